package trust

import (
	"encoding/asn1"
	"encoding/hex"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Distinguished names are shown the way glib-networking's GnuTLS backend
// shows them (gnutls_x509_dn_get_str), since that is what GLib programs
// already see: RDNs in encoding order joined by ',', multi-valued RDNs by
// '+', known attributes by short name, anything undecodable as #hex of its
// DER.

type dnAttr struct {
	name string // "" for attributes GnuTLS prints by OID
	kind stringKind
}

type stringKind int

const (
	kindDirectory stringKind = iota // DirectoryString CHOICE
	kindPrintable
	kindIA5
)

var dnAttrs = map[string]dnAttr{
	"2.5.4.3":                    {"CN", kindDirectory},
	"2.5.4.4":                    {"surName", kindDirectory},
	"2.5.4.5":                    {"serialNumber", kindPrintable},
	"2.5.4.6":                    {"C", kindPrintable},
	"2.5.4.7":                    {"L", kindDirectory},
	"2.5.4.8":                    {"ST", kindDirectory},
	"2.5.4.9":                    {"street", kindDirectory},
	"2.5.4.10":                   {"O", kindDirectory},
	"2.5.4.11":                   {"OU", kindDirectory},
	"2.5.4.12":                   {"title", kindDirectory},
	"2.5.4.13":                   {"description", kindDirectory},
	"2.5.4.15":                   {"businessCategory", kindDirectory},
	"2.5.4.17":                   {"postalCode", kindDirectory},
	"2.5.4.20":                   {"telephoneNumber", kindPrintable},
	"2.5.4.41":                   {"name", kindDirectory},
	"2.5.4.42":                   {"givenName", kindDirectory},
	"2.5.4.43":                   {"initials", kindDirectory},
	"2.5.4.44":                   {"generationQualifier", kindDirectory},
	"2.5.4.46":                   {"dnQualifier", kindPrintable},
	"2.5.4.65":                   {"pseudonym", kindDirectory},
	"0.9.2342.19200300.100.1.1":  {"UID", kindDirectory},
	"0.9.2342.19200300.100.1.25": {"DC", kindIA5},
	"1.2.840.113549.1.9.1":       {"EMAIL", kindIA5},
	"1.2.840.113549.1.9.7":       {"", kindDirectory},
	"1.3.6.1.4.1.311.60.2.1.1":   {"jurisdictionOfIncorporationLocalityName", kindDirectory},
	"1.3.6.1.4.1.311.60.2.1.2":   {"jurisdictionOfIncorporationStateOrProvinceName", kindDirectory},
	"1.3.6.1.4.1.311.60.2.1.3":   {"jurisdictionOfIncorporationCountryName", kindPrintable},
	"1.3.6.1.5.5.7.9.2":          {"placeOfBirth", kindDirectory},
	"1.3.6.1.5.5.7.9.3":          {"gender", kindPrintable},
	"1.3.6.1.5.5.7.9.4":          {"countryOfCitizenship", kindPrintable},
	"1.3.6.1.5.5.7.9.5":          {"countryOfResidence", kindPrintable},
}

type rawAttr struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// FormatDN renders a DER-encoded Name (x509.Certificate.RawSubject or
// RawIssuer). ok is false when raw is not a Name.
func FormatDN(raw []byte) (string, bool) {
	var rdns []asn1.RawValue
	if rest, err := asn1.Unmarshal(raw, &rdns); err != nil || len(rest) != 0 {
		return "", false
	}
	var b strings.Builder
	for i, rdn := range rdns {
		if rdn.Tag != asn1.TagSet {
			return "", false
		}
		var set []rawAttr
		if _, err := asn1.UnmarshalWithParams(rdn.FullBytes, &set, "set"); err != nil {
			return "", false
		}
		for j, a := range set {
			switch {
			case j > 0:
				b.WriteByte('+')
			case i > 0:
				b.WriteByte(',')
			}
			formatAttr(&b, a)
		}
	}
	return b.String(), true
}

func formatAttr(b *strings.Builder, a rawAttr) {
	oid := a.Type.String()
	known, isKnown := dnAttrs[oid]
	if isKnown && known.name != "" {
		b.WriteString(known.name)
	} else {
		b.WriteString(oid)
	}
	b.WriteByte('=')
	if isKnown {
		if s, ok := decodeString(a.Value, known.kind); ok {
			b.WriteString(escapeDNValue(s))
			return
		}
	}
	b.WriteByte('#')
	b.WriteString(hex.EncodeToString(a.Value.FullBytes))
}

// decodeString returns the value as UTF-8 text when its ASN.1 string type
// is one the attribute allows.
func decodeString(v asn1.RawValue, kind stringKind) (string, bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", false
	}
	var s string
	switch {
	case v.Tag == asn1.TagPrintableString:
		s = string(v.Bytes)
	case v.Tag == asn1.TagIA5String && kind == kindIA5:
		s = string(v.Bytes)
	case kind != kindDirectory:
		return "", false
	case v.Tag == asn1.TagUTF8String:
		if !utf8.Valid(v.Bytes) {
			return "", false
		}
		s = string(v.Bytes)
	case v.Tag == asn1.TagT61String:
		// GnuTLS passes ASCII T.61 through and shows anything else as the
		// hex of its content, which its escaping then prefixes with '\'.
		for _, c := range v.Bytes {
			if c >= 0x80 {
				return "#" + hex.EncodeToString(v.Bytes), true
			}
		}
		s = string(v.Bytes)
	case v.Tag == asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		s = string(utf16.Decode(u))
	case v.Tag == 28: // UniversalString, UCS-4
		if len(v.Bytes)%4 != 0 {
			return "", false
		}
		var rs []rune
		for i := 0; i < len(v.Bytes); i += 4 {
			r := rune(v.Bytes[i])<<24 | rune(v.Bytes[i+1])<<16 | rune(v.Bytes[i+2])<<8 | rune(v.Bytes[i+3])
			if !utf8.ValidRune(r) {
				return "", false
			}
			rs = append(rs, r)
		}
		s = string(rs)
	default:
		return "", false
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", false
	}
	return s, true
}

// escapeDNValue escapes as RFC 4514 asks (and GnuTLS does).
func escapeDNValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(",+\"\\<>;", c) >= 0,
			i == 0 && (c == '#' || c == ' '),
			i == len(s)-1 && c == ' ':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}
