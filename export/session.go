package main

// #include "dtlsgo-core.h"
import "C"

import "github.com/dtlsgo/dtlsgo"

// Session resumption on stream TLS: copy_session_state, and whether a
// handshake resumed. The session cache's key comes with the handshake's
// parameters (configFrom).

//export dtlsgo_core_stream_copy_session_state
func dtlsgo_core_stream_copy_session_state(h, source C.DtlsGoHandle) {
	defer guard(nil)
	dst, ok := connectionFrom(h).core.(*dtlsgo.StreamConn)
	src, ok2 := connectionFrom(source).core.(*dtlsgo.StreamConn)
	if ok && ok2 {
		dst.CopySessionState(src)
	}
}

//export dtlsgo_core_connection_session_resumed
func dtlsgo_core_connection_session_resumed(h C.DtlsGoHandle) (resumed C.gboolean) {
	defer guard(nil)
	if info, done := connectionFrom(h).core.Info(); done && info.Resumed {
		return 1
	}
	return 0
}
