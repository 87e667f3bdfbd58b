// Package record is the DTLS 1.2 record format and its protection: the only
// code that parses record bytes (headers, content types, the forged-record
// filter), the replay window, what the handshake shows on the wire (secrets,
// the ServerHello, the last flight, tls-unique), key derivation and dtlsgo's
// own record layer, which takes over from pion after the handshake.
package record
