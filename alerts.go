package dtlsgo

import (
	"context"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"io"
	"net"
	"sync/atomic"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/protocol/alert"
)

// receivedAlert is how pion's (unexported) alert error shows itself: the
// alert record the peer sent.
type receivedAlert interface {
	error
	IsFatalOrCloseNotify() bool
	Marshal() ([]byte, error)
}

// peerAlert returns the alert the peer sent, if err is one.
func peerAlert(err error) (alert.Description, bool) {
	var ra receivedAlert
	if !errors.As(err, &ra) {
		return 0, false
	}
	raw, merr := ra.Marshal()
	if merr != nil || len(raw) != 2 {
		return 0, false
	}
	return alert.Description(raw[1]), true
}

// transientReadError reports whether pion's Read failed over one bad
// record while its connection lives on: after the handshake pion hands
// such errors (a warning alert, a record it could not decode) to Read and
// keeps reading, as RFC 6347 4.1.2.7 wants invalid records discarded. The
// stream ends with io.EOF (close_notify, a fatal alert, a closed
// transport), a closed connection or a deadline.
func transientReadError(err error) bool {
	var ra receivedAlert
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, dtls.ErrConnClosed),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &ra):
		return !ra.IsFatalOrCloseNotify()
	case errors.As(err, &ne) && ne.Timeout():
		return false
	}
	return true
}

// handshakeFacts is what the handshake saw besides pion's error, needed to
// name a failure precisely.
type handshakeFacts struct {
	sentNoCertificate bool   // we were asked for a certificate and had none
	interactionErr    error  // why the interaction gave us none
	datagrams         int    // datagrams the peer sent
	dtlsRecords       int    // of which looked like DTLS
	baseEOF           bool   // the base socket ended
	pskIdentity       string // a client's, when it offered a pre-shared key
	acceptableCAs     [][]byte
}

// datagramCounts is the tap that counts the datagrams a handshake received
// and how many of them began with a DTLS record header: a peer that sends
// only other things is not speaking DTLS.
type datagramCounts struct{ datagrams, dtlsLike atomic.Int64 }

func (n *datagramCounts) Datagram(d []byte, sent bool) {
	if sent {
		return
	}
	n.datagrams.Add(1)
	if record.LooksLikeDTLS(d) {
		n.dtlsLike.Add(1)
	}
}

// handshakeError turns what ended a failed handshake into the GLib error a
// caller can act on. ctx is the handshake's bounded context.
func handshakeError(ctx context.Context, err error, facts handshakeFacts) error {
	// Our own verdicts (a rejected certificate, an interaction that failed,
	// a key that stayed locked) already carry their kind.
	var coded *errkind.Error
	if errors.As(err, &coded) {
		return coded
	}
	// GLib's errors (the base socket's, an interaction's) as GLib said them.
	var foreign interface {
		error
		ForeignError()
	}
	if errors.As(err, &foreign) {
		return foreign
	}
	if desc, ok := peerAlert(err); ok {
		switch {
		case desc == alert.NoCertificate || desc == alertCertificateRequired ||
			(desc == alert.HandshakeFailure && facts.sentNoCertificate):
			if facts.interactionErr != nil {
				return facts.interactionErr
			}
			return Errorf(ErrCertificateRequired, "The peer requires a certificate and none was sent (peer sent fatal DTLS alert: %s)", desc)
		case desc == alert.CloseNotify:
			return Errorf(ErrEOF, "The peer closed the DTLS connection during the handshake")
		case desc == alertUnknownPSKIdentity:
			return Errorf(ErrHandshake, "The server does not know PSK identity %q (peer sent fatal DTLS alert: unknown_psk_identity)", facts.pskIdentity)
		case facts.pskIdentity != "" && (desc == alertDecryptError || desc == alert.BadRecordMac):
			return Errorf(ErrHandshake, "The server could not verify the handshake: the pre-shared keys for identity %q differ (peer sent fatal DTLS alert: %s)", facts.pskIdentity, desc)
		default:
			return Errorf(ErrTLSMisc, "Peer sent fatal DTLS alert: %s", desc)
		}
	}
	if ctx.Err() != nil {
		cerr := contextError(ctx, "performing the DTLS handshake")
		if timedOut(cerr) && facts.datagrams > 0 && facts.dtlsRecords == 0 {
			return Errorf(ErrNotTLS, "Peer failed to perform DTLS handshake: %d datagrams received, none of them DTLS", facts.datagrams)
		}
		return cerr
	}
	switch {
	case facts.baseEOF, errors.Is(err, io.EOF):
		return Errorf(ErrEOF, "The base socket ended before the DTLS handshake completed")
	case errors.Is(err, net.ErrClosed):
		return Errorf(ErrClosed, "Connection is closed")
	case pionSaid(err, pionNoApplicationProtocol):
		return Errorf(ErrHandshake, "No application protocol in common with the peer (ALPN): sent no_application_protocol")
	case pionSaid(err, pionClientCertificateRequired):
		return Errorf(ErrCertificateRequired, "The client sent no certificate and one is required")
	}
	return Errorf(ErrHandshake, "DTLS handshake failed: %v", innermost(err))
}

// pion's sentinels for these are unexported: match their innermost text.
const (
	pionNoApplicationProtocol     = "no application protocol"
	pionClientCertificateRequired = "server required client verification, but got none"
)

// pionDecryptFailed is the format of pion's debug line for a record it
// could not decrypt (see decryptWatch).
const pionDecryptFailed = "%s: decrypt failed: %s"

func pionSaid(err error, text string) bool { return innermost(err).Error() == text }

// innermost drops pion's "handshake error:" / "dtls fatal:" wrappers.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
