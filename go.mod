module github.com/dtlsgo/dtlsgo

go 1.26.8

require (
	github.com/pion/dtls/v3 v3.1.16
	github.com/pion/logging v0.2.4
	golang.org/x/sys v0.41.0
	software.sslmate.com/src/go-pkcs12 v0.7.4
)

require (
	github.com/pion/transport/v5 v5.0.0 // indirect
	golang.org/x/crypto v0.48.0 // indirect
)
