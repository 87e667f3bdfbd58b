package main

// #include "dtlsgo-core.h"
import "C"

import (
	"context"
	"errors"
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

// connection is what a DtlsGoConnection's handle holds: a DTLS Conn or a
// stream TLS StreamConn, driven alike through engine.
type connection struct {
	core engine
	gio  *gioStreamTransport // the GLib threads of a stream connection's generic base, or nil
}

// engine is what both kinds of connection share: the handshake, what it
// established, readiness and close.
type engine interface {
	SetOnChange(f func())
	SetRequireCloseNotify(require bool)
	State() (dtlsgo.HandshakeState, error)
	BeginHandshake() (bool, error)
	RunHandshake(ctx context.Context, cfg dtlsgo.Config, hooks dtlsgo.HandshakeHooks) error
	WaitHandshake(ctx context.Context) error
	Info() (dtlsgo.Info, bool)
	ChannelBinding(kind dtlsgo.ChannelBindingType) ([]byte, error)
	Readiness() (in, out bool)
	Close() error
}

// dtlsFrom is h's DTLS connection, for the datagram calls.
func dtlsFrom(h C.DtlsGoHandle) (*dtlsgo.Conn, error) {
	if d, ok := connectionFrom(h).core.(*dtlsgo.Conn); ok {
		return d, nil
	}
	return nil, dtlsgo.Errorf(dtlsgo.ErrNotSupported, "This is a stream TLS connection, not a DTLS one")
}

func connectionFrom(h C.DtlsGoHandle) *connection {
	c := handleValue[*connection](h)
	if c == nil {
		panic("dtlsgo: invalid connection handle")
	}
	return c
}

//export dtlsgo_core_connection_new
func dtlsgo_core_connection_new(gobj C.gpointer, base *C.GDatagramBased, isClient C.gboolean, gerr **C.GError) (h C.DtlsGoHandle) {
	defer guard(gerr)
	bs, err := newBaseSocket(base)
	if err != nil {
		setError(gerr, err)
		return 0
	}
	core := dtlsgo.NewConn(bs, isClient != 0)
	core.SetOnChange(func() { C.dtlsgo_shim_connection_changed(gobj) })
	return newHandle(&connection{core: core})
}

//export dtlsgo_core_connection_free
func dtlsgo_core_connection_free(h C.DtlsGoHandle) {
	defer guard(nil)
	c := connectionFrom(h)
	// After this the GObject is gone: no more change callbacks.
	c.core.SetOnChange(nil)
	_ = c.core.Close()
	dtlsgo_core_handle_free(h)
}

//export dtlsgo_core_connection_handshake_state
func dtlsgo_core_connection_handshake_state(h C.DtlsGoHandle) (s C.DtlsGoHandshakeState) {
	defer guard(nil)
	state, _ := connectionFrom(h).core.State()
	return C.DtlsGoHandshakeState(state)
}

//export dtlsgo_core_connection_handshake
func dtlsgo_core_connection_handshake(h C.DtlsGoHandle, params *C.DtlsGoHandshakeParams, op C.gpointer, timeoutUS C.gint64, cancellable *C.GCancellable, started *C.gboolean, gerr **C.GError) (ok C.gboolean) {
	defer guard(gerr)
	c := connectionFrom(h)
	cfg, err := configFrom(params)
	if err != nil {
		setError(gerr, err)
		return 0
	}
	begun, err := c.core.BeginHandshake()
	if err != nil {
		setError(gerr, err)
		return 0
	}
	if begun {
		*started = 1
	} else {
		*started = 0
	}
	ctx, release := opContext(context.Background(), int64(timeoutUS), cancellable)
	hooks := &upcalls{op: op}
	go func() {
		var err error
		defer func() {
			if r := recover(); r != nil {
				err = panicError(r)
			}
			release()
			postDone(op, err) // the op's one DONE, whatever happened
		}()
		if begun {
			err = c.core.RunHandshake(ctx, cfg, hooks)
		} else {
			err = c.core.WaitHandshake(ctx)
		}
	}()
	return 1
}

// handshakeResult answers DTLSGO_UPCALL_HANDSHAKE_DONE.
type handshakeResult struct{ err error }

func postDone(op C.gpointer, err error) {
	post(op, C.DTLSGO_UPCALL_HANDSHAKE_DONE, &handshakeResult{err: err})
}

// post hands req to the op's main context as an upcall of kind.
func post(op C.gpointer, kind C.DtlsGoUpcall, req any) {
	posting <- struct{}{}
	defer func() { <-posting }()
	C.dtlsgo_shim_upcall(op, kind, newHandle(req))
}

// posting bounds the goroutines inside dtlsgo_shim_upcall at once. Posting
// takes the lock of the op's main context, which the context's thread holds
// while it scans its sources; a goroutine waiting there in C holds an OS
// thread, and Go starts another for the other goroutines. Unbounded, the
// end of a burst of handshakes on one context (500 at once in the load
// test, on a loaded machine) left 40-70 idle threads behind.
var posting = make(chan struct{}, 4)

//export dtlsgo_core_handshake_result
func dtlsgo_core_handshake_result(req C.DtlsGoHandle, gerr **C.GError) (ok C.gboolean) {
	defer guard(gerr)
	r := answered[*handshakeResult](req)
	if r == nil || r.err != nil {
		if r != nil {
			setError(gerr, r.err)
		}
		return 0
	}
	return 1
}

func configFrom(p *C.DtlsGoHandshakeParams) (dtlsgo.Config, error) {
	cfg := dtlsgo.Config{
		IsClient:           p.is_client != 0,
		AuthenticationMode: dtlsgo.AuthenticationMode(p.authentication_mode),
	}
	if p.certificate != 0 {
		cert := handleValue[*dtlsgo.Certificate](p.certificate)
		if cert == nil {
			return cfg, dtlsgo.Errorf(dtlsgo.ErrBadCertificate, "The connection's certificate is not usable")
		}
		cfg.Certificate = cert
	}
	if p.server_name != nil {
		cfg.ServerName = C.GoString(p.server_name)
	}
	if p.protocols != nil {
		cfg.ALPN = append([]string{}, goStrv(p.protocols)...)
	}
	if p.client_ca_database != 0 {
		cfg.ClientCAs = handleValue[*dtlsgo.Database](p.client_ca_database)
	}
	return cfg, namespaceConfig(p, &cfg)
}

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
	reply chan error
}

func (u *upcalls) VerifyPeer(ctx context.Context, chain [][]byte) error {
	req := &verifyRequest{chain: chain, reply: make(chan error, 1)}
	verdict, err := ask(ctx, u, C.DTLSGO_UPCALL_VERIFY, req, req.reply)
	if err != nil {
		return err
	}
	return verdict
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
func dtlsgo_core_verify_reply(req C.DtlsGoHandle, accepted C.gboolean, gerr *C.GError) {
	defer guard(nil)
	r := answered[*verifyRequest](req)
	switch {
	case gerr != nil:
		r.reply <- errorFromC(gerr)
	case accepted == 0:
		r.reply <- dtlsgo.Errorf(dtlsgo.ErrBadCertificate, "Unacceptable TLS certificate")
	default:
		r.reply <- nil
	}
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

//export dtlsgo_core_connection_send
func dtlsgo_core_connection_send(h C.DtlsGoHandle, msgs *C.GOutputMessage, n C.guint, timeoutUS C.gint64, cancellable *C.GCancellable, gerr **C.GError) (sent C.gint) {
	defer guard(gerr)
	messages := unsafe.Slice(msgs, int(n))
	payloads := make([][]byte, len(messages))
	for i := range messages {
		payloads[i] = gather(&messages[i])
	}
	d, err := dtlsFrom(h)
	if err != nil {
		setError(gerr, err)
		return -1
	}
	ctx, release := opContext(context.Background(), int64(timeoutUS), cancellable)
	defer release()
	count, err := d.Send(ctx, timeoutUS == 0, payloads)
	if err != nil {
		setError(gerr, err)
		return -1
	}
	for i := 0; i < count; i++ {
		messages[i].bytes_sent = C.guint(len(payloads[i]))
	}
	return C.gint(count)
}

// gather copies a message's vectors into one record payload.
func gather(m *C.GOutputMessage) []byte {
	vectors := unsafe.Slice(m.vectors, int(m.num_vectors))
	size := 0
	for _, v := range vectors {
		size += int(v.size)
	}
	p := make([]byte, 0, size)
	for _, v := range vectors {
		if v.size > 0 {
			p = append(p, unsafe.Slice((*byte)(v.buffer), int(v.size))...)
		}
	}
	return p
}

//export dtlsgo_core_connection_receive
func dtlsgo_core_connection_receive(h C.DtlsGoHandle, msgs *C.GInputMessage, n C.guint, timeoutUS C.gint64, cancellable *C.GCancellable, gerr **C.GError) (received C.gint) {
	defer guard(gerr)
	messages := unsafe.Slice(msgs, int(n))
	d, err := dtlsFrom(h)
	if err != nil {
		setError(gerr, err)
		return -1
	}
	ctx, release := opContext(context.Background(), int64(timeoutUS), cancellable)
	defer release()
	count, err := d.Receive(ctx, timeoutUS == 0, len(messages), func(i int, rec []byte) {
		scatter(&messages[i], rec)
	})
	if err != nil {
		setError(gerr, err)
		return -1
	}
	return C.gint(count)
}

// scatter copies one record into a message's vectors, in order; what does
// not fit is cut, as a datagram socket cuts it.
func scatter(m *C.GInputMessage, rec []byte) {
	if m.address != nil {
		*m.address = nil
	}
	if m.control_messages != nil {
		*m.control_messages = nil
	}
	if m.num_control_messages != nil {
		*m.num_control_messages = 0
	}
	m.flags = 0
	copied := 0
	for _, v := range unsafe.Slice(m.vectors, int(m.num_vectors)) {
		if copied == len(rec) {
			break
		}
		if v.size > 0 {
			copied += copy(unsafe.Slice((*byte)(v.buffer), int(v.size)), rec[copied:])
		}
	}
	m.bytes_received = C.gsize(copied)
}

//export dtlsgo_core_connection_condition
func dtlsgo_core_connection_condition(h C.DtlsGoHandle, cond C.GIOCondition) (ready C.GIOCondition) {
	defer guard(nil)
	in, out := connectionFrom(h).core.Readiness()
	if in {
		ready |= C.G_IO_IN
	}
	if out {
		ready |= C.G_IO_OUT
	}
	return ready & cond
}

//export dtlsgo_core_connection_condition_wait
func dtlsgo_core_connection_condition_wait(h C.DtlsGoHandle, cond C.GIOCondition, timeoutUS C.gint64, cancellable *C.GCancellable, gerr **C.GError) (ok C.gboolean) {
	defer guard(gerr)
	d, err := dtlsFrom(h)
	if err != nil {
		setError(gerr, err)
		return 0
	}
	ctx, release := opContext(context.Background(), int64(timeoutUS), cancellable)
	defer release()
	err = d.WaitReady(ctx, timeoutUS == 0, cond&C.G_IO_IN != 0, cond&C.G_IO_OUT != 0)
	if err != nil {
		setError(gerr, err)
		return 0
	}
	return 1
}

//export dtlsgo_core_connection_shutdown
func dtlsgo_core_connection_shutdown(h C.DtlsGoHandle, read, write C.gboolean, gerr **C.GError) (ok C.gboolean) {
	defer guard(gerr)
	d, err := dtlsFrom(h)
	if err == nil {
		err = d.Shutdown(read != 0, write != 0)
	}
	if err != nil {
		setError(gerr, err)
		return 0
	}
	return 1
}

//export dtlsgo_core_connection_set_require_close_notify
func dtlsgo_core_connection_set_require_close_notify(h C.DtlsGoHandle, require C.gboolean) {
	defer guard(nil)
	connectionFrom(h).core.SetRequireCloseNotify(require != 0)
}

//export dtlsgo_core_connection_ciphersuite
func dtlsgo_core_connection_ciphersuite(h C.DtlsGoHandle) (s *C.char) {
	defer guard(nil)
	if info, ok := connectionFrom(h).core.Info(); ok {
		return gstrdup(info.CipherSuite)
	}
	return nil
}

//export dtlsgo_core_connection_negotiated_protocol
func dtlsgo_core_connection_negotiated_protocol(h C.DtlsGoHandle) (s *C.char) {
	defer guard(nil)
	if info, ok := connectionFrom(h).core.Info(); ok && info.NegotiatedProtocol != "" {
		return gstrdup(info.NegotiatedProtocol)
	}
	return nil
}

//export dtlsgo_core_connection_accepted_cas
func dtlsgo_core_connection_accepted_cas(h C.DtlsGoHandle) (arr *C.GPtrArray) {
	defer guard(nil)
	info, _ := connectionFrom(h).core.Info()
	return bytesArrayToC(info.AcceptableCAs)
}

//export dtlsgo_core_connection_channel_binding
func dtlsgo_core_connection_channel_binding(h C.DtlsGoHandle, kind C.GTlsChannelBindingType, data *C.GByteArray, gerr **C.GError) (ok C.gboolean) {
	defer guard(gerr)
	b, err := connectionFrom(h).core.ChannelBinding(dtlsgo.ChannelBindingType(kind))
	if err != nil {
		setError(gerr, err)
		return 0
	}
	if data != nil {
		C.g_byte_array_set_size(data, 0)
		C.g_byte_array_append(data, (*C.guint8)(unsafe.Pointer(&b[0])), C.guint(len(b)))
	}
	return 1
}
