package main

// #include "dtlsgo-core.h"
import "C"

import (
	"context"
	"errors"
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

// upcalls hand the handshake's questions to the op's main context and wait
// for the answer there.
type upcalls struct{ op C.gpointer }

// ask posts req as an upcall of kind and waits for the shim's one answer on
// reply (buffered: an answer after ctx ended is dropped, not blocked on).
// The shim frees req's handle with the answer (see answered).
func ask[A any](ctx context.Context, u *upcalls, kind C.DtlsGoUpcall, req any, reply <-chan A) (A, error) {
	post(u.op, kind, req)
	select {
	case a := <-reply:
		return a, nil
	case <-ctx.Done():
		var zero A
		return zero, ctx.Err()
	}
}

// answered returns the request behind an upcall's handle and frees the
// handle: the shim answers each request once.
func answered[T any](req C.DtlsGoHandle) T {
	r := handleValue[T](req)
	dtlsgo_core_handle_free(req)
	return r
}

type verifyRequest struct {
	chain [][]byte
	reply chan verifyVerdict
}

type verifyVerdict struct {
	flags dtlsgo.CertificateFlags
	err   error // nil: accepted
}

func (u *upcalls) VerifyPeer(ctx context.Context, chain [][]byte) (dtlsgo.CertificateFlags, error) {
	req := &verifyRequest{chain: chain, reply: make(chan verifyVerdict, 1)}
	v, err := ask(ctx, u, C.DTLSGO_UPCALL_VERIFY, req, req.reply)
	if err != nil {
		return 0, err
	}
	return v.flags, v.err
}

type certificateRequest struct {
	cas   [][]byte
	reply chan certificateReply
}

type certificateReply struct {
	cert *dtlsgo.Certificate
	err  error
}

func (u *upcalls) RequestCertificate(ctx context.Context, cas [][]byte) (*dtlsgo.Certificate, error) {
	req := &certificateRequest{cas: cas, reply: make(chan certificateReply, 1)}
	r, err := ask(ctx, u, C.DTLSGO_UPCALL_REQUEST_CERTIFICATE, req, req.reply)
	if err != nil {
		return nil, err
	}
	return r.cert, r.err
}

type passwordRequest struct {
	cert    *dtlsgo.Certificate
	opened  *dtlsgo.Certificate
	lastErr error // of the last try
	reply   chan error
}

func (u *upcalls) UnlockCertificate(ctx context.Context, cert *dtlsgo.Certificate) (*dtlsgo.Certificate, error) {
	req := &passwordRequest{cert: cert, reply: make(chan error, 1)}
	verdict, err := ask(ctx, u, C.DTLSGO_UPCALL_ASK_PASSWORD, req, req.reply)
	if err != nil {
		return nil, err
	}
	switch {
	case verdict != nil:
		return nil, verdict
	case req.opened != nil:
		return req.opened, nil
	case req.lastErr != nil && !errors.Is(req.lastErr, dtlsgo.ErrBadCertificatePassword):
		return nil, req.lastErr // not a password problem: a key that cannot be used
	}
	return nil, dtlsgo.Errorf(dtlsgo.ErrBadCertificatePassword, "The private key of %s is encrypted and no password opened it", cert.SubjectName())
}

//export dtlsgo_core_password_request_subject
func dtlsgo_core_password_request_subject(req C.DtlsGoHandle) (s *C.char) {
	defer guard(nil)
	return gstrdup(handleValue[*passwordRequest](req).cert.SubjectName())
}

//export dtlsgo_core_password_try
func dtlsgo_core_password_try(req C.DtlsGoHandle, password *C.guint8, length C.gsize) (ok C.gboolean) {
	defer guard(nil)
	r := handleValue[*passwordRequest](req)
	var pw []byte
	if length > 0 {
		pw = C.GoBytes(unsafe.Pointer(password), C.int(length))
	}
	opened, err := r.cert.Unlock(pw)
	if err != nil {
		r.lastErr = err
		return 0
	}
	r.opened = opened
	return 1
}

//export dtlsgo_core_password_reply
func dtlsgo_core_password_reply(req C.DtlsGoHandle, gerr *C.GError) {
	defer guard(nil)
	r := answered[*passwordRequest](req)
	if gerr != nil {
		r.reply <- errorFromC(gerr)
		return
	}
	r.reply <- nil
}

//export dtlsgo_core_verify_chain
func dtlsgo_core_verify_chain(req C.DtlsGoHandle) (arr *C.GPtrArray) {
	defer guard(nil)
	return bytesArrayToC(handleValue[*verifyRequest](req).chain)
}

//export dtlsgo_core_verify_reply
func dtlsgo_core_verify_reply(req C.DtlsGoHandle, accepted C.gboolean, flags C.GTlsCertificateFlags, identity *C.DtlsGoConstChar, gerr *C.GError) {
	defer guard(nil)
	r := answered[*verifyRequest](req)
	v := verifyVerdict{flags: dtlsgo.CertificateFlags(flags)}
	switch {
	case gerr != nil:
		v.err = errorFromC(gerr)
	case accepted == 0:
		id := ""
		if identity != nil {
			id = C.GoString(identity)
		}
		v.err = dtlsgo.RejectionError(v.flags, r.chain, id)
	}
	r.reply <- v
}

//export dtlsgo_core_certificate_request_cas
func dtlsgo_core_certificate_request_cas(req C.DtlsGoHandle) (arr *C.GPtrArray) {
	defer guard(nil)
	return bytesArrayToC(handleValue[*certificateRequest](req).cas)
}

//export dtlsgo_core_certificate_reply
func dtlsgo_core_certificate_reply(req C.DtlsGoHandle, cert C.DtlsGoHandle, gerr *C.GError) {
	defer guard(nil)
	r := answered[*certificateRequest](req)
	var reply certificateReply
	if cert != 0 {
		reply.cert = handleValue[*dtlsgo.Certificate](cert)
		dtlsgo_core_handle_free(cert)
	}
	if gerr != nil {
		reply.err = errorFromC(gerr)
	}
	r.reply <- reply
}
