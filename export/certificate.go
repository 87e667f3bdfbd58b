package main

// #include "dtlsgo-core.h"
import "C"

import (
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

// Compile-time proof that dtlsgo.CertificateFlags is GTlsCertificateFlags:
// a non-zero difference makes a negative unsigned constant.
const (
	_ uint = 0 - uint(uint32(dtlsgo.FlagUnknownCA)^uint32(C.G_TLS_CERTIFICATE_UNKNOWN_CA))
	_ uint = 0 - uint(uint32(dtlsgo.FlagBadIdentity)^uint32(C.G_TLS_CERTIFICATE_BAD_IDENTITY))
	_ uint = 0 - uint(uint32(dtlsgo.FlagNotActivated)^uint32(C.G_TLS_CERTIFICATE_NOT_ACTIVATED))
	_ uint = 0 - uint(uint32(dtlsgo.FlagExpired)^uint32(C.G_TLS_CERTIFICATE_EXPIRED))
	_ uint = 0 - uint(uint32(dtlsgo.FlagRevoked)^uint32(C.G_TLS_CERTIFICATE_REVOKED))
	_ uint = 0 - uint(uint32(dtlsgo.FlagInsecure)^uint32(C.G_TLS_CERTIFICATE_INSECURE))
	_ uint = 0 - uint(uint32(dtlsgo.FlagGenericError)^uint32(C.G_TLS_CERTIFICATE_GENERIC_ERROR))
)

//export dtlsgo_core_certificate_new
func dtlsgo_core_certificate_new(der *C.GBytes, pem *C.DtlsGoConstChar, keyDER *C.GBytes,
	keyPEM *C.DtlsGoConstChar, issuer C.DtlsGoHandle, gerr **C.GError) C.DtlsGoHandle {
	defer guard(gerr)
	c, err := dtlsgo.NewCertificate(dtlsgo.CertificateSource{
		DER:    goBytes(der),
		PEM:    goString(pem),
		KeyDER: goBytes(keyDER),
		KeyPEM: goString(keyPEM),
		Issuer: handleValue[*dtlsgo.Certificate](issuer),
	})
	if err != nil {
		setError(gerr, err)
		return 0
	}
	return newHandle(c)
}

//export dtlsgo_core_certificate_new_from_pkcs12
func dtlsgo_core_certificate_new_from_pkcs12(data *C.GBytes, password *C.DtlsGoConstChar, gerr **C.GError) C.DtlsGoHandle {
	defer guard(gerr)
	c, err := dtlsgo.ParsePKCS12(goBytes(data), goString(password))
	if err != nil {
		setError(gerr, err)
		return 0
	}
	return newHandle(c)
}

//export dtlsgo_core_certificate_new_from_der_chain
func dtlsgo_core_certificate_new_from_der_chain(ders **C.GBytes, n C.guint, gerr **C.GError) C.DtlsGoHandle {
	defer guard(gerr)
	var list [][]byte
	if n > 0 && ders != nil {
		for _, b := range unsafe.Slice(ders, int(n)) {
			list = append(list, goBytes(b))
		}
	}
	c, err := dtlsgo.ParseCertificateChainDER(list)
	if err != nil {
		setError(gerr, err)
		return 0
	}
	return newHandle(c)
}

// certificateGet serves one getter of the certificate behind h: get's
// answer, or the zero value (NULL) for a handle that holds no certificate
// or a getter that panicked.
func certificateGet[T any](h C.DtlsGoHandle, get func(c *dtlsgo.Certificate) T) (v T) {
	defer guard(nil)
	if c := handleValue[*dtlsgo.Certificate](h); c != nil {
		return get(c)
	}
	return v
}

//export dtlsgo_core_certificate_dup
func dtlsgo_core_certificate_dup(h C.DtlsGoHandle) C.DtlsGoHandle {
	return certificateGet(h, func(c *dtlsgo.Certificate) C.DtlsGoHandle { return newHandle(c) })
}

//export dtlsgo_core_certificate_get_issuer
func dtlsgo_core_certificate_get_issuer(h C.DtlsGoHandle) C.DtlsGoHandle {
	return certificateGet(h, func(c *dtlsgo.Certificate) C.DtlsGoHandle {
		if c.Issuer() == nil {
			return 0
		}
		return newHandle(c.Issuer())
	})
}

//export dtlsgo_core_certificate_get_der
func dtlsgo_core_certificate_get_der(h C.DtlsGoHandle) *C.GBytes {
	return certificateGet(h, func(c *dtlsgo.Certificate) *C.GBytes { return newGBytes(c.DER()) })
}

//export dtlsgo_core_certificate_get_pem
func dtlsgo_core_certificate_get_pem(h C.DtlsGoHandle) *C.char {
	return certificateGet(h, func(c *dtlsgo.Certificate) *C.char { return gstrdup(c.PEM()) })
}

//export dtlsgo_core_certificate_get_private_key_der
func dtlsgo_core_certificate_get_private_key_der(h C.DtlsGoHandle) *C.GBytes {
	return certificateGet(h, func(c *dtlsgo.Certificate) *C.GBytes {
		if der := c.PrivateKeyDER(); der != nil {
			return newGBytes(der)
		}
		return nil
	})
}

//export dtlsgo_core_certificate_get_private_key_pem
func dtlsgo_core_certificate_get_private_key_pem(h C.DtlsGoHandle) *C.char {
	return certificateGet(h, func(c *dtlsgo.Certificate) *C.char {
		if pem := c.PrivateKeyPEM(); pem != "" {
			return gstrdup(pem)
		}
		return nil
	})
}

//export dtlsgo_core_certificate_get_not_valid_before
func dtlsgo_core_certificate_get_not_valid_before(h C.DtlsGoHandle) *C.GDateTime {
	return certificateGet(h, func(c *dtlsgo.Certificate) *C.GDateTime {
		return C.g_date_time_new_from_unix_utc(C.gint64(c.NotBefore().Unix()))
	})
}

//export dtlsgo_core_certificate_get_not_valid_after
func dtlsgo_core_certificate_get_not_valid_after(h C.DtlsGoHandle) *C.GDateTime {
	return certificateGet(h, func(c *dtlsgo.Certificate) *C.GDateTime {
		return C.g_date_time_new_from_unix_utc(C.gint64(c.NotAfter().Unix()))
	})
}

//export dtlsgo_core_certificate_get_subject_name
func dtlsgo_core_certificate_get_subject_name(h C.DtlsGoHandle) *C.char {
	return certificateGet(h, func(c *dtlsgo.Certificate) *C.char { return gstrdup(c.SubjectName()) })
}

//export dtlsgo_core_certificate_get_issuer_name
func dtlsgo_core_certificate_get_issuer_name(h C.DtlsGoHandle) *C.char {
	return certificateGet(h, func(c *dtlsgo.Certificate) *C.char { return gstrdup(c.IssuerName()) })
}

//export dtlsgo_core_certificate_get_dns_names
func dtlsgo_core_certificate_get_dns_names(h C.DtlsGoHandle) *C.GPtrArray {
	return certificateGet(h, func(c *dtlsgo.Certificate) *C.GPtrArray {
		arr := C.g_ptr_array_new_with_free_func(C.GDestroyNotify(C.g_bytes_unref))
		for _, name := range c.DNSNames() {
			C.g_ptr_array_add(arr, C.gpointer(newGBytes([]byte(name))))
		}
		return arr
	})
}

//export dtlsgo_core_certificate_get_ip_addresses
func dtlsgo_core_certificate_get_ip_addresses(h C.DtlsGoHandle) *C.GPtrArray {
	return certificateGet(h, func(c *dtlsgo.Certificate) *C.GPtrArray {
		arr := C.g_ptr_array_new_with_free_func(C.GDestroyNotify(C.g_object_unref))
		for _, ip := range c.IPAddresses() {
			family := C.GSocketFamily(C.G_SOCKET_FAMILY_IPV6)
			if len(ip) == 4 {
				family = C.G_SOCKET_FAMILY_IPV4
			}
			addr := C.g_inet_address_new_from_bytes((*C.guint8)(unsafe.Pointer(&ip[0])), family)
			C.g_ptr_array_add(arr, C.gpointer(addr))
		}
		return arr
	})
}

//export dtlsgo_core_certificate_verify
func dtlsgo_core_certificate_verify(h C.DtlsGoHandle, identity *C.DtlsGoConstChar, trustedCA C.DtlsGoHandle) (flags C.GTlsCertificateFlags) {
	defer guard(nil)
	flags = C.G_TLS_CERTIFICATE_GENERIC_ERROR // also what a panic returns
	c := handleValue[*dtlsgo.Certificate](h)
	if c == nil {
		return flags
	}
	var ca *dtlsgo.Certificate
	if trustedCA != 0 {
		if ca = handleValue[*dtlsgo.Certificate](trustedCA); ca == nil {
			return flags
		}
	}
	return C.GTlsCertificateFlags(c.Verify(goIdentity(identity), ca))
}

// goIdentity reads the identity convention of dtlsgo-core.h.
func goIdentity(identity *C.DtlsGoConstChar) dtlsgo.Identity {
	if identity == nil {
		return dtlsgo.Identity{}
	}
	return dtlsgo.HostIdentity(goString(identity))
}

// goBytes copies a GBytes; nil for NULL, empty (not nil) for no bytes.
func goBytes(b *C.GBytes) []byte {
	if b == nil {
		return nil
	}
	var n C.gsize
	p := C.g_bytes_get_data(b, &n)
	if n == 0 {
		return []byte{}
	}
	return C.GoBytes(unsafe.Pointer(p), C.int(n))
}

func goString(s *C.DtlsGoConstChar) string {
	if s == nil {
		return ""
	}
	return C.GoString((*C.char)(s))
}

func newGBytes(b []byte) *C.GBytes {
	if len(b) == 0 {
		return C.g_bytes_new(nil, 0)
	}
	return C.g_bytes_new(C.gconstpointer(unsafe.Pointer(&b[0])), C.gsize(len(b)))
}

// gstrdup returns s as a string C frees with g_free.
func gstrdup(s string) *C.char {
	p := (*C.char)(C.g_malloc(C.gsize(len(s) + 1)))
	buf := unsafe.Slice((*byte)(unsafe.Pointer(p)), len(s)+1)
	copy(buf, s)
	buf[len(s)] = 0
	return p
}
