package trust

import (
	"encoding/asn1"
	"testing"
)

type testATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

type testRDNSET []testATV // encoding/asn1 makes a SET of a type named *SET

func atv(oid asn1.ObjectIdentifier, tag int, s string) testATV {
	return testATV{oid, asn1.RawValue{Tag: tag, Bytes: []byte(s)}}
}

// The expected strings are what glib-networking's GnuTLS backend printed
// for the same names on Debian 12 (GnuTLS 3.7.9).
func TestFormatDNLikeGnuTLS(t *testing.T) {
	const utf8, printable, ia5, teletex, bmp = 12, 19, 22, 20, 30
	oid := func(s ...int) asn1.ObjectIdentifier { return s }
	cn, c, o := oid(2, 5, 4, 3), oid(2, 5, 4, 6), oid(2, 5, 4, 10)
	email, dc := oid(1, 2, 840, 113549, 1, 9, 1), oid(0, 9, 2342, 19200300, 100, 1, 25)
	for name, tc := range map[string]struct {
		rdns []testRDNSET
		want string
	}{
		"order kept": {[]testRDNSET{{atv(c, printable, "US")}, {atv(oid(2, 5, 4, 8), utf8, "Some State")}, {atv(cn, utf8, "localhost")}},
			"C=US,ST=Some State,CN=localhost"},
		"escapes": {[]testRDNSET{{atv(o, utf8, `Ex, Inc. "q" <a>;b=c`)}, {atv(o, utf8, "  sp lead")}, {atv(o, utf8, "#hash")}, {atv(cn, utf8, "trail ")}, {atv(cn, utf8, `back\slash+plus`)}},
			`O=Ex\, Inc. \"q\" \<a\>\;b=c,O=\  sp lead,O=\#hash,CN=trail\ ,CN=back\\slash\+plus`},
		"multi-valued": {[]testRDNSET{{atv(oid(2, 5, 4, 12), utf8, "Boss"), atv(oid(2, 5, 4, 11), utf8, "Unit+One")}},
			`title=Boss+OU=Unit\+One`},
		"names": {[]testRDNSET{
			{atv(email, ia5, "a@b.c")}, {atv(dc, ia5, "example")}, {atv(oid(2, 5, 4, 5), printable, "42")},
			{atv(oid(0, 9, 2342, 19200300, 100, 1, 1), utf8, "u1")}, {atv(oid(2, 5, 4, 9), utf8, "Main St")},
			{atv(oid(2, 5, 4, 42), utf8, "Gi")}, {atv(oid(2, 5, 4, 4), utf8, "Sur")}, {atv(oid(2, 5, 4, 13), utf8, "desc")},
			{atv(oid(1, 3, 6, 1, 4, 1, 311, 60, 2, 1, 3), printable, "US")}, {atv(oid(1, 3, 6, 1, 5, 5, 7, 9, 3), printable, "M")},
			{atv(oid(1, 2, 840, 113549, 1, 9, 7), utf8, "chal")}},
			"EMAIL=a@b.c,DC=example,serialNumber=42,UID=u1,street=Main St,givenName=Gi,surName=Sur,description=desc," +
				"jurisdictionOfIncorporationCountryName=US,gender=M,1.2.840.113549.1.9.7=chal"},
		"type mismatches are hex": {[]testRDNSET{{atv(c, utf8, "US")}, {atv(dc, utf8, "dcutf")}, {atv(email, utf8, "e@utf")},
			{atv(oid(2, 5, 4, 5), utf8, "utfserial")}, {atv(oid(1, 3, 6, 1, 5, 5, 7, 9, 4), utf8, "US")}},
			"C=#0c025553,DC=#0c056463757466,EMAIL=#0c056540757466,serialNumber=#0c0975746673657269616c,countryOfCitizenship=#0c025553"},
		"unknown attributes are hex": {[]testRDNSET{{atv(oid(1, 2, 3, 4), utf8, "unk")}, {atv(oid(2, 5, 4, 16), utf8, "pa")}, {atv(oid(1, 2, 840, 113549, 1, 9, 2), ia5, "unstr")}},
			"1.2.3.4=#0c03756e6b,2.5.4.16=#0c027061,1.2.840.113549.1.9.2=#1605756e737472"},
		"string types": {[]testRDNSET{{{cn, asn1.RawValue{Tag: bmp, Bytes: []byte{0, 'b', 0, 'm', 0, 'p', 0, 0xe9}}}}, {atv(cn, teletex, "teletex\xe9")}, {atv(cn, teletex, "ascii")}, {atv(o, printable, "prt")}},
			`CN=bmpé,CN=\#74656c65746578e9,CN=ascii,O=prt`},
		"NUL and control bytes": {[]testRDNSET{{atv(cn, utf8, "nul\x00x")}, {atv(cn, utf8, "ctl\x01x=y")}},
			"CN=#0c056e756c0078,CN=ctl\x01x=y"},
		"empty": {nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			raw, err := asn1.Marshal(tc.rdns)
			if err != nil {
				t.Fatal(err)
			}
			if tc.rdns == nil {
				raw = []byte{0x30, 0}
			}
			got, ok := FormatDN(raw)
			if !ok || got != tc.want {
				t.Errorf("got %q (%v)\nwant %q", got, ok, tc.want)
			}
		})
	}
	for _, bad := range [][]byte{nil, {0x31, 0}, {0x30, 3, 0x30, 1, 0}, {0x30, 0, 0}} {
		if s, ok := FormatDN(bad); ok {
			t.Errorf("FormatDN(%x) = %q, want failure", bad, s)
		}
	}
}

func FuzzFormatDN(f *testing.F) {
	f.Add([]byte{0x30, 0})
	f.Add([]byte("0\x0f1\r0\v\x06\x03U\x04\x03\x0c\x04test"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		FormatDN(raw) // must not panic
	})
}
