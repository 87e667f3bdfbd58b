package dtlsgo

import (
	"crypto"

	"github.com/dtlsgo/dtlsgo/internal/trust"
)

// The trust store (internal/trust) under the names the façade's callers
// use: the same types, constants and functions, documented there.

type (
	Certificate       = trust.Certificate
	CertificateSource = trust.CertificateSource
	CertificateFlags  = trust.CertificateFlags
	Database          = trust.Database
	Identity          = trust.Identity
)

const (
	FlagUnknownCA    = trust.FlagUnknownCA
	FlagBadIdentity  = trust.FlagBadIdentity
	FlagNotActivated = trust.FlagNotActivated
	FlagExpired      = trust.FlagExpired
	FlagRevoked      = trust.FlagRevoked
	FlagInsecure     = trust.FlagInsecure
	FlagGenericError = trust.FlagGenericError

	PurposeAuthenticateServer = trust.PurposeAuthenticateServer
	PurposeAuthenticateClient = trust.PurposeAuthenticateClient

	SystemHandlePrefix = trust.SystemHandlePrefix
)

func NewCertificate(src CertificateSource) (*Certificate, error) { return trust.NewCertificate(src) }

func ParseCertificateChainDER(ders [][]byte) (*Certificate, error) {
	return trust.ParseCertificateChainDER(ders)
}

func ParsePKCS12(data []byte, password string) (*Certificate, error) {
	return trust.ParsePKCS12(data, password)
}

func ParsePrivateKeyDER(der []byte) (crypto.Signer, error) { return trust.ParsePrivateKeyDER(der) }

func ParsePrivateKeyPEM(text string) (crypto.Signer, error) { return trust.ParsePrivateKeyPEM(text) }

func NewFileDatabase(path, handlePrefix string) (*Database, error) {
	return trust.NewFileDatabase(path, handlePrefix)
}

func SystemDatabase() *Database { return trust.SystemDatabase() }

func FormatDN(raw []byte) (string, bool) { return trust.FormatDN(raw) }

func HostIdentity(host string) Identity { return trust.HostIdentity(host) }

func RejectionError(flags CertificateFlags, chain [][]byte, identity string) error {
	return trust.RejectionError(flags, chain, identity)
}
