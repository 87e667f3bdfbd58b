package trust

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"strings"
)

// ParsePrivateKeyDER parses an unencrypted private key in PKCS #8, PKCS #1
// (RSA) or SEC 1 (EC) form: GTlsCertificate:private-key documents the first
// two, and openssl writes the third for EC keys.
func ParsePrivateKeyDER(der []byte) (crypto.Signer, error) {
	if len(der) == 0 {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse DER private key: no data")
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return asSigner(k)
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse DER private key: not a PKCS #8, PKCS #1 or SEC 1 private key")
}

// ParsePrivateKeyPEM parses the first "… PRIVATE KEY" block of text, as
// GLib's PEM reader picks it.
func ParsePrivateKeyPEM(text string) (crypto.Signer, error) {
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse PEM private key: no PEM-encoded private key found")
		}
		if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
			continue
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] != "" {
			return nil, errkind.Errorf(errkind.ErrBadCertificate, "Cannot decrypt PEM-encoded private key")
		}
		var k any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse PEM private key: unsupported key type %q", block.Type)
		}
		if err != nil {
			return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse PEM private key: %v", err)
		}
		return asSigner(k)
	}
}

// encryptedKeyPEM returns the DER of text's first private key block when
// that is an encrypted PKCS #8 key.
func encryptedKeyPEM(text string) ([]byte, bool) {
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, false
		}
		if strings.HasSuffix(block.Type, "PRIVATE KEY") {
			return block.Bytes, block.Type == "ENCRYPTED PRIVATE KEY" && isEncryptedPrivateKey(block.Bytes)
		}
	}
}

func asSigner(k any) (crypto.Signer, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, errkind.Errorf(errkind.ErrBadCertificate, "Unsupported private key type %T", k)
}

// keyMatches reports whether key is the private half of the certificate's
// public key.
func keyMatches(cert *x509.Certificate, key crypto.Signer) bool {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}

func marshalPrivateKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not encode private key: %v", err)
	}
	return der, nil
}
