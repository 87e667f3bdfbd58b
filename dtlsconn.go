// Package dtlsgo is the Go core of dtlsgo, a GIO TLS backend that gives GLib
// programs GDtlsConnection over pion/dtls v3. It knows nothing of cgo: package
// export adapts it to the C shim.
package dtlsgo
