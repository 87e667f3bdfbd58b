package dtlsgo

import (
	"crypto"
	_ "crypto/sha256" // the hashes RFC 5929 picks
	_ "crypto/sha512"
	"crypto/x509"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"sync"
)

// ChannelBindingType mirrors GTlsChannelBindingType.
type ChannelBindingType int

const (
	ChannelBindingTLSUnique ChannelBindingType = iota
	ChannelBindingTLSServerEndPoint
	ChannelBindingTLSExporter
)

// exporterLabel and exporterLength are RFC 9266's tls-exporter parameters.
const (
	exporterLabel  = "EXPORTER-Channel-Binding"
	exporterLength = 32
)

// channelBindings are computed on first use (most connections never ask,
// hashing the server's certificate means parsing it, and tls-unique means
// decrypting a record): they never change once the handshake completed.
type channelBindings struct {
	session        *record.Session
	isClient       bool
	serverLeaf     []byte
	extendedMaster bool

	once              sync.Once
	serverEndPoint    []byte
	serverEndPointErr error
	exporter          []byte
	exporterErr       error
	unique            []byte
	uniqueErr         error
}

func (b *channelBindings) compute() {
	b.serverEndPoint, b.serverEndPointErr = serverEndPoint(b.serverLeaf)
	b.unique, b.uniqueErr = record.TLSUnique(b.session, b.isClient)
	if !b.extendedMaster {
		// Without it a DTLS 1.2 exporter value is not unique to the
		// connection (the triple handshake attack), so RFC 9266 forbids it.
		b.exporterErr = Errorf(ErrChannelBindingNotSupp,
			"tls-exporter channel binding needs the extended master secret (RFC 7627), which this DTLS 1.2 connection did not negotiate")
		return
	}
	var err error
	if b.exporter, err = b.session.ExportKeyingMaterial(exporterLabel, []byte{}, exporterLength); err != nil {
		b.exporterErr = Errorf(ErrChannelBindingGeneral, "Cannot export tls-exporter channel binding data: %v", err)
	}
}

// serverEndPoint is RFC 5929's tls-server-end-point: the hash of the server's
// certificate with the hash of its signature algorithm, SHA-256 in place of
// MD5 and SHA-1; undefined for algorithms with no single hash (Ed25519).
func serverEndPoint(der []byte) ([]byte, error) {
	if len(der) == 0 {
		return nil, Errorf(ErrChannelBindingNotAvail, "No server certificate: tls-server-end-point channel binding is not available")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, Errorf(ErrChannelBindingGeneral, "Cannot parse the server certificate for tls-server-end-point: %v", err)
	}
	var h crypto.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.DSAWithSHA256, x509.ECDSAWithSHA256, x509.SHA256WithRSAPSS:
		h = crypto.SHA256
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = crypto.SHA512
	default:
		return nil, Errorf(ErrChannelBindingNotSupp,
			"tls-server-end-point channel binding is undefined for a server certificate signed with %v (RFC 5929 section 4.1)", cert.SignatureAlgorithm)
	}
	sum := h.New()
	sum.Write(der)
	return sum.Sum(nil), nil
}

// ChannelBinding returns the channel binding data of kind (RFC 5929, RFC
// 9266) once the handshake has completed. tls-unique is given with or
// without the extended master secret, as GLib's other backends give it
// (RFC 9266 asks for it only of tls-exporter).
func (c *Conn) ChannelBinding(kind ChannelBindingType) ([]byte, error) {
	info, ok := c.Info()
	if !ok {
		return nil, Errorf(ErrChannelBindingInvalid, "Handshake is not finished, no channel binding information yet")
	}
	b := info.bindings
	switch kind {
	case ChannelBindingTLSServerEndPoint:
		b.once.Do(b.compute)
		return b.serverEndPoint, b.serverEndPointErr
	case ChannelBindingTLSExporter:
		b.once.Do(b.compute)
		return b.exporter, b.exporterErr
	case ChannelBindingTLSUnique:
		b.once.Do(b.compute)
		return b.unique, b.uniqueErr
	}
	return nil, Errorf(ErrChannelBindingNotImpl, "Channel binding type %d is not implemented", int(kind))
}
