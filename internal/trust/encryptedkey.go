package trust

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"hash"
)

// An encrypted PKCS #8 private key (RFC 5958 EncryptedPrivateKeyInfo) with
// PBES2 (RFC 8018): what `openssl pkcs8 -topk8` and most tools write. GLib's
// own constructors refuse such keys; dtlsgo accepts them through the
// private-key(-pem) construct properties and asks the connection's
// interaction for the password when a handshake needs the key.

type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                      `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"`
}

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

// isEncryptedPrivateKey says whether der is an EncryptedPrivateKeyInfo.
func isEncryptedPrivateKey(der []byte) bool {
	var info encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(der, &info)
	return err == nil && len(rest) == 0 && len(info.EncryptedData) > 0 && len(info.Algorithm.Algorithm) > 0
}

// decryptPrivateKey opens an EncryptedPrivateKeyInfo with password. A
// wrong password is errkind.ErrBadCertificatePassword; a scheme it does not know,
// errkind.ErrBadCertificate.
func decryptPrivateKey(der, password []byte) (any, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse encrypted private key: %v", err)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Unsupported private key encryption %v (only PKCS #5 PBES2 is supported)", info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse PBES2 parameters: %v", err)
	}
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Unsupported key derivation %v (only PBKDF2 is supported)", params.KeyDerivationFunc.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse PBKDF2 parameters: %v", err)
	}
	prf, err := pbkdf2PRF(kdf.PRF.Algorithm)
	if err != nil {
		return nil, err
	}
	newCipher, keyLen, err := pbes2Cipher(params.EncryptionScheme.Algorithm)
	if err != nil {
		return nil, err
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse the encryption IV: %v", err)
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != keyLen {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "PBKDF2 key length %d does not fit the cipher", kdf.KeyLength)
	}
	key, err := pbkdf2.Key(prf, string(password), kdf.Salt, kdf.IterationCount, keyLen)
	if err != nil {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not derive the key: %v", err)
	}
	block, err := newCipher(key)
	if err != nil || len(iv) != block.BlockSize() || len(info.EncryptedData)%block.BlockSize() != 0 {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Malformed encrypted private key")
	}
	plain := make([]byte, len(info.EncryptedData))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.EncryptedData)
	plain, ok := unpad(plain, block.BlockSize())
	if !ok {
		return nil, errkind.Errorf(errkind.ErrBadCertificatePassword, "Incorrect password for the private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(plain)
	if err != nil {
		return nil, errkind.Errorf(errkind.ErrBadCertificatePassword, "Incorrect password for the private key")
	}
	return k, nil
}

func pbkdf2PRF(oid asn1.ObjectIdentifier) (func() hash.Hash, error) {
	switch {
	case len(oid) == 0, oid.Equal(oidHMACSHA1):
		return sha1.New, nil
	case oid.Equal(oidHMACSHA224):
		return sha256.New224, nil
	case oid.Equal(oidHMACSHA256):
		return sha256.New, nil
	case oid.Equal(oidHMACSHA384):
		return sha512.New384, nil
	case oid.Equal(oidHMACSHA512):
		return sha512.New, nil
	}
	return nil, errkind.Errorf(errkind.ErrBadCertificate, "Unsupported PBKDF2 function %v", oid)
}

func pbes2Cipher(oid asn1.ObjectIdentifier) (func([]byte) (cipher.Block, error), int, error) {
	switch {
	case oid.Equal(oidAES128CBC):
		return aes.NewCipher, 16, nil
	case oid.Equal(oidAES192CBC):
		return aes.NewCipher, 24, nil
	case oid.Equal(oidAES256CBC):
		return aes.NewCipher, 32, nil
	case oid.Equal(oidDESEDE3CBC):
		return des.NewTripleDESCipher, 24, nil
	}
	return nil, 0, errkind.Errorf(errkind.ErrBadCertificate, "Unsupported private key cipher %v", oid)
}

// unpad removes PKCS #7 padding; false when it is not valid (most often, a
// wrong password).
func unpad(b []byte, size int) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n == 0 || n > size || n > len(b) {
		return nil, false
	}
	want := make([]byte, n)
	for i := range want {
		want[i] = byte(n)
	}
	return b[:len(b)-n], subtle.ConstantTimeCompare(b[len(b)-n:], want) == 1
}
