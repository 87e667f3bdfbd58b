package dtlsgo

import (
	"strings"

	"github.com/pion/dtls/v3"
)

// SRTPProfile is a DTLS-SRTP protection profile (RFC 5764 §4.1.2, RFC 7714
// §14.2), named as the IANA registry names it.
type SRTPProfile struct {
	Name    string
	id      dtls.SRTPProtectionProfile
	keyLen  int // SRTP master key, bytes
	saltLen int // SRTP master salt, bytes
}

// srtpProfiles are the profiles dtlsgo negotiates, in its preference
// order: the registered ones pion implements, without the NULL-cipher pair.
var srtpProfiles = []SRTPProfile{
	{"SRTP_AEAD_AES_256_GCM", dtls.SRTP_AEAD_AES_256_GCM, 32, 12},
	{"SRTP_AEAD_AES_128_GCM", dtls.SRTP_AEAD_AES_128_GCM, 16, 12},
	{"SRTP_AES128_CM_HMAC_SHA1_80", dtls.SRTP_AES128_CM_HMAC_SHA1_80, 16, 14},
	{"SRTP_AES128_CM_HMAC_SHA1_32", dtls.SRTP_AES128_CM_HMAC_SHA1_32, 16, 14},
}

// SRTPProfileNames lists the profiles dtlsgo supports.
func SRTPProfileNames() []string {
	names := make([]string, len(srtpProfiles))
	for i, p := range srtpProfiles {
		names[i] = p.Name
	}
	return names
}

// ParseSRTPProfiles maps profile names to profiles, keeping their order.
func ParseSRTPProfiles(names []string) ([]SRTPProfile, error) {
	out := make([]SRTPProfile, 0, len(names))
	for _, name := range names {
		p, ok := srtpProfileNamed(name)
		if !ok {
			return nil, Errorf(ErrInvalidArgument, "Unknown SRTP protection profile %q (supported: %s)",
				name, strings.Join(SRTPProfileNames(), ", "))
		}
		out = append(out, p)
	}
	return out, nil
}

func srtpProfileNamed(name string) (SRTPProfile, bool) {
	for _, p := range srtpProfiles {
		if p.Name == name {
			return p, true
		}
	}
	return SRTPProfile{}, false
}

func srtpProfileFor(id dtls.SRTPProtectionProfile) (SRTPProfile, bool) {
	for _, p := range srtpProfiles {
		if p.id == id {
			return p, true
		}
	}
	return SRTPProfile{}, false
}

func srtpOptions(profiles []SRTPProfile) []dtls.Option {
	if len(profiles) == 0 {
		return nil
	}
	ids := make([]dtls.SRTPProtectionProfile, len(profiles))
	for i, p := range profiles {
		ids[i] = p.id
	}
	return []dtls.Option{dtls.WithSRTPProtectionProfiles(ids...)}
}

// SRTPKeys are the SRTP master keys and salts of one connection, seen from
// its side: Local protects what it sends, Remote what its peer sends.
type SRTPKeys struct {
	Profile               string
	LocalKey, LocalSalt   []byte
	RemoteKey, RemoteSalt []byte
}

// srtpExporterLabel is RFC 5764 §4.2's label for the keying material.
const srtpExporterLabel = "EXTRACTOR-dtls_srtp"

// SRTPProfile names the profile the handshake selected; "" when none was
// (or before the handshake).
func (c *Conn) SRTPProfile() string {
	info, ok := c.Info()
	if !ok {
		return ""
	}
	return info.SRTPProfile
}

// SRTPKeys derives the SRTP master keys and salts from the keying material
// (RFC 5764 §4.2: client key, server key, client salt, server salt).
func (c *Conn) SRTPKeys() (SRTPKeys, error) {
	if _, err := c.exporter(); err != nil {
		return SRTPKeys{}, err
	}
	info, _ := c.Info()
	p, ok := srtpProfileNamed(info.SRTPProfile)
	if !ok {
		return SRTPKeys{}, Errorf(ErrChannelBindingNotAvail, "No SRTP protection profile was negotiated")
	}
	km, err := c.ExportKeyingMaterial(srtpExporterLabel, nil, 2*(p.keyLen+p.saltLen))
	if err != nil {
		return SRTPKeys{}, err
	}
	clientKey, km := km[:p.keyLen], km[p.keyLen:]
	serverKey, km := km[:p.keyLen], km[p.keyLen:]
	clientSalt, serverSalt := km[:p.saltLen], km[p.saltLen:]
	keys := SRTPKeys{Profile: p.Name, LocalKey: clientKey, LocalSalt: clientSalt,
		RemoteKey: serverKey, RemoteSalt: serverSalt}
	if !c.isClient {
		keys.LocalKey, keys.RemoteKey = keys.RemoteKey, keys.LocalKey
		keys.LocalSalt, keys.RemoteSalt = keys.RemoteSalt, keys.LocalSalt
	}
	return keys, nil
}
