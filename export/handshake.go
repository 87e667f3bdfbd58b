package main

// #include "dtlsgo-core.h"
import "C"

import (
	"context"

	"github.com/dtlsgo/dtlsgo"
)

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
	if p.session_key != nil {
		cfg.SessionKey = C.GoString(p.session_key)
	}
	if p.client_ca_database != 0 {
		cfg.ClientCAs = handleValue[*dtlsgo.Database](p.client_ca_database)
	}
	return cfg, namespaceConfig(p, &cfg)
}
