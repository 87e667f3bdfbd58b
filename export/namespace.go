package main

// #include "dtlsgo-core.h"
import "C"

import (
	"context"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

// The rows of the DtlsGo namespace: what GIO has no API for.

// namespaceConfig reads the namespace's part of the handshake parameters.
func namespaceConfig(p *C.DtlsGoHandshakeParams, cfg *dtlsgo.Config) error {
	profiles, err := dtlsgo.ParseSRTPProfiles(goStrv(p.srtp_profiles))
	if err != nil {
		return err
	}
	cfg.SRTPProfiles = profiles
	if p.psk != nil {
		cfg.PSK = goBytes(p.psk)
		cfg.PSKIdentity = C.GoString(p.psk_identity)
	}
	cfg.ServerPSK = p.psk_server != 0
	cfg.PSKIdentityHint = C.GoString(p.psk_identity_hint)
	cfg.ConnectionIDLength = int(p.connection_id_length)
	cfg.HandshakeTimeout = time.Duration(p.handshake_timeout_ms) * time.Millisecond
	cfg.RetransmitInterval = time.Duration(p.retransmission_interval_ms) * time.Millisecond
	cfg.MTU = int(p.mtu)
	cfg.KeyLogFile = C.GoString(p.key_log_file)
	return echConfig(p, cfg) // export/streamextras.go
}

// goStrv copies a NULL-terminated string array; nil for NULL.
func goStrv(v **C.gchar) []string {
	if v == nil {
		return nil
	}
	var out []string
	for _, s := range unsafe.Slice(v, 1<<20) {
		if s == nil {
			break
		}
		out = append(out, C.GoString(s))
	}
	return out
}

// newStrv returns strs as a NULL-terminated array C frees with g_strfreev.
func newStrv(strs []string) **C.gchar {
	v := (**C.gchar)(C.g_malloc0(C.gsize(unsafe.Sizeof(uintptr(0)) * uintptr(len(strs)+1))))
	items := unsafe.Slice(v, len(strs)+1)
	for i, s := range strs {
		items[i] = gstrdup(s)
	}
	return v
}

type pskRequest struct {
	identity string
	reply    chan pskReply
}

type pskReply struct {
	key []byte
	err error
}

// ResolvePSK asks the server's psk-requested handlers, in the op's main
// context, for the key of identity.
func (u *upcalls) ResolvePSK(ctx context.Context, identity string) ([]byte, error) {
	req := &pskRequest{identity: identity, reply: make(chan pskReply, 1)}
	r, err := ask(ctx, u, C.DTLSGO_UPCALL_PSK, req, req.reply)
	if err != nil {
		return nil, err
	}
	return r.key, r.err
}

//export dtlsgo_core_psk_identity
func dtlsgo_core_psk_identity(req C.DtlsGoHandle) (s *C.gchar) {
	defer guard(nil)
	return gstrdup(handleValue[*pskRequest](req).identity)
}

//export dtlsgo_core_psk_reply
func dtlsgo_core_psk_reply(req C.DtlsGoHandle, key *C.GBytes, gerr *C.GError) {
	defer guard(nil)
	r := answered[*pskRequest](req)
	var reply pskReply
	if gerr != nil {
		reply.err = errorFromC(gerr)
	} else {
		reply.key = goBytes(key)
	}
	r.reply <- reply
}

//export dtlsgo_core_connection_export_keying_material
func dtlsgo_core_connection_export_keying_material(h C.DtlsGoHandle, label *C.DtlsGoConstChar, context *C.GBytes, length C.gsize, gerr **C.GError) (km *C.GBytes) {
	defer guard(gerr)
	if length > 1<<20 {
		length = 1 << 20 // refused by the core; keeps the int conversion sane
	}
	// Both kinds of connection export: DTLS through pion, streams through
	// crypto/tls.
	exporter := connectionFrom(h).core.(interface {
		ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error)
	})
	b, err := exporter.ExportKeyingMaterial(goString(label), goBytes(context), int(length))
	if err != nil {
		setError(gerr, err)
		return nil
	}
	return newGBytes(b)
}

//export dtlsgo_core_connection_srtp_profile
func dtlsgo_core_connection_srtp_profile(h C.DtlsGoHandle) (s *C.gchar) {
	defer guard(nil)
	if d, err := dtlsFrom(h); err == nil && d.SRTPProfile() != "" {
		return gstrdup(d.SRTPProfile())
	}
	return nil
}

//export dtlsgo_core_connection_srtp_keys
func dtlsgo_core_connection_srtp_keys(h C.DtlsGoHandle, localKey, localSalt, remoteKey, remoteSalt **C.GBytes, gerr **C.GError) (ok C.gboolean) {
	defer guard(gerr)
	d, err := dtlsFrom(h)
	var keys dtlsgo.SRTPKeys
	if err == nil {
		keys, err = d.SRTPKeys()
	}
	if err != nil {
		setError(gerr, err)
		return 0
	}
	*localKey, *localSalt = newGBytes(keys.LocalKey), newGBytes(keys.LocalSalt)
	*remoteKey, *remoteSalt = newGBytes(keys.RemoteKey), newGBytes(keys.RemoteSalt)
	return 1
}

var version = sync.OnceValue(func() *C.gchar { return C.CString(dtlsgo.Version) })

//export dtlsgo_core_version
func dtlsgo_core_version() (v *C.gchar) {
	defer guard(nil)
	return version()
}

//export dtlsgo_core_cipher_suites
func dtlsgo_core_cipher_suites() (v **C.gchar) {
	defer guard(nil)
	return newStrv(dtlsgo.CipherSuites())
}

//export dtlsgo_core_srtp_profiles
func dtlsgo_core_srtp_profiles() (v **C.gchar) {
	defer guard(nil)
	return newStrv(dtlsgo.SRTPProfileNames())
}

//export dtlsgo_core_goroutine_count
func dtlsgo_core_goroutine_count() (n C.guint) {
	defer guard(nil)
	return C.guint(runtime.NumGoroutine())
}

//export dtlsgo_core_live_heap
func dtlsgo_core_live_heap() (n C.guint64) {
	defer guard(nil)
	// Twice: what sync.Pools hold survives one collection.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return C.guint64(ms.HeapAlloc)
}
