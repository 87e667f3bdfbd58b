package main

// #include "dtlsgo-core.h"
import "C"

import (
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

//export dtlsgo_core_database_new_file
func dtlsgo_core_database_new_file(anchors, handlePrefix *C.DtlsGoConstChar, gerr **C.GError) C.DtlsGoHandle {
	defer guard(gerr)
	db, err := dtlsgo.NewFileDatabase(goString(anchors), goString(handlePrefix))
	if err != nil {
		setError(gerr, err)
		return 0
	}
	return newHandle(db)
}

//export dtlsgo_core_database_new_system
func dtlsgo_core_database_new_system() C.DtlsGoHandle {
	defer guard(nil)
	return newHandle(dtlsgo.SystemDatabase())
}

//export dtlsgo_core_database_verify_chain
func dtlsgo_core_database_verify_chain(h, chain C.DtlsGoHandle, purpose, identity *C.DtlsGoConstChar,
	gerr **C.GError) (flags C.GTlsCertificateFlags) {
	defer guard(gerr)
	flags = C.G_TLS_CERTIFICATE_GENERIC_ERROR // also what a panic returns
	db := handleValue[*dtlsgo.Database](h)
	c := handleValue[*dtlsgo.Certificate](chain)
	if db == nil || c == nil {
		setError(gerr, dtlsgo.Errorf(dtlsgo.ErrInvalidArgument, "dtlsgo: database or certificate missing"))
		return flags
	}
	f, err := db.VerifyChain(c, goString(purpose), goIdentity(identity))
	setError(gerr, err)
	return C.GTlsCertificateFlags(f)
}

//export dtlsgo_core_database_create_certificate_handle
func dtlsgo_core_database_create_certificate_handle(h, cert C.DtlsGoHandle) *C.char {
	defer guard(nil)
	db := handleValue[*dtlsgo.Database](h)
	c := handleValue[*dtlsgo.Certificate](cert)
	if db == nil || c == nil {
		return nil
	}
	if s := db.CertificateHandle(c); s != "" {
		return gstrdup(s)
	}
	return nil
}

//export dtlsgo_core_database_lookup_certificate_for_handle
func dtlsgo_core_database_lookup_certificate_for_handle(h C.DtlsGoHandle, handle *C.DtlsGoConstChar,
	gerr **C.GError) C.DtlsGoHandle {
	defer guard(gerr)
	db := handleValue[*dtlsgo.Database](h)
	if db == nil || handle == nil {
		return 0
	}
	c, err := db.LookupHandle(goString(handle))
	return certificateResult(c, err, gerr)
}

//export dtlsgo_core_database_lookup_certificate_issuer
func dtlsgo_core_database_lookup_certificate_issuer(h, cert C.DtlsGoHandle, flags C.GTlsDatabaseLookupFlags,
	gerr **C.GError) C.DtlsGoHandle {
	defer guard(gerr)
	db := handleValue[*dtlsgo.Database](h)
	c := handleValue[*dtlsgo.Certificate](cert)
	if db == nil || c == nil {
		return 0
	}
	issuer, err := db.LookupIssuer(c, flags&C.G_TLS_DATABASE_LOOKUP_KEYPAIR != 0)
	return certificateResult(issuer, err, gerr)
}

//export dtlsgo_core_database_lookup_certificates_issued_by
func dtlsgo_core_database_lookup_certificates_issued_by(h C.DtlsGoHandle, rawDN *C.GBytes,
	flags C.GTlsDatabaseLookupFlags, n *C.guint, gerr **C.GError) *C.DtlsGoHandle {
	defer guard(gerr)
	*n = 0
	db := handleValue[*dtlsgo.Database](h)
	if db == nil || rawDN == nil {
		return nil
	}
	certs, err := db.LookupIssuedBy(goBytes(rawDN), flags&C.G_TLS_DATABASE_LOOKUP_KEYPAIR != 0)
	if err != nil {
		setError(gerr, err)
		return nil
	}
	if len(certs) == 0 {
		return nil
	}
	out := (*C.DtlsGoHandle)(C.g_malloc_n(C.gsize(len(certs)), C.gsize(unsafe.Sizeof(C.DtlsGoHandle(0)))))
	handles := unsafe.Slice(out, len(certs))
	for i, c := range certs {
		handles[i] = newHandle(c)
	}
	*n = C.guint(len(certs))
	return out
}

func certificateResult(c *dtlsgo.Certificate, err error, gerr **C.GError) C.DtlsGoHandle {
	if err != nil {
		setError(gerr, err)
		return 0
	}
	if c == nil {
		return 0
	}
	return newHandle(c)
}
