// Package transport is pion's transport adapter: a net.PacketConn over the
// base socket that moves datagrams between them, hands the handshake's
// datagrams to taps, and, once dtlsgo's record layer took over, gives it
// the records it serves and keeps pion's retired reads quiet.
package transport

import ()
