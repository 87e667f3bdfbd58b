package dtlsgo

import (
	"github.com/dtlsgo/dtlsgo/internal/record"
	"sync/atomic"

	"github.com/pion/logging"
)

// Alerts pion leaves out of a handshake with pre-shared keys, sent by
// dtlsgo as RFC 4279 §2 says, so that both sides fail at once and can say
// why. An unknown identity is unknown_psk_identity (pion answers
// internal_error). A key that differs from the client's: pion cannot
// decrypt the client's Finished and drops it as an invalid record (RFC
// 6347 4.1.2.7), then both sides wait for the handshake timeout; the
// server answers decrypt_error instead. The alert goes in the clear
// (epoch 0: the client cannot read the server's epoch 1 yet) and nothing
// of pion's follows it.

// Alert descriptions pion has no names for.
const (
	alertDecryptError        = 51
	alertUnknownPSKIdentity  = 115
	alertCertificateRequired = 116
)

// pskWatch is what a server's handshake learnt from its key lookups.
type pskWatch struct {
	c        *Conn
	identity atomic.Pointer[string] // whose key the server uses
}

// keyFound: the handshake goes on with identity's key.
func (w *pskWatch) keyFound(identity string) { w.identity.Store(&identity) }

// identityUnknown: the handshake ends with err.
func (w *pskWatch) identityUnknown(err error) { w.c.abortHandshake(alertUnknownPSKIdentity, err) }

// recordUnreadable: pion could not decrypt a record of the client's. While
// the server handshakes, the client's only encrypted record is its
// Finished, sealed under the key the client holds. (A forged epoch-1
// record ends the handshake too, as a forged plaintext alert can anyway.)
func (w *pskWatch) recordUnreadable() {
	id := w.identity.Load()
	if id == nil || !w.c.tr.Handshaking() {
		return
	}
	w.c.abortHandshake(alertDecryptError, Errorf(ErrHandshake,
		"The client's Finished message did not verify: its pre-shared key for identity %q differs from this server's (sent decrypt_error)", *id))
}

// abortHandshake sends a fatal alert in the clear and ends the handshake
// with err; once, and pion sends nothing more.
func (c *Conn) abortHandshake(desc byte, err error) {
	if !c.tr.Abort() {
		return
	}
	_ = c.tr.Write(plaintextAlert(desc), nil)
	c.mu.Lock()
	cancel := c.hsCancel
	c.mu.Unlock()
	if cancel != nil {
		cancel(err)
	}
}

// plaintextAlert is an epoch-0 fatal alert record. Its sequence number is
// far beyond any of pion's epoch-0 records, so the peer's replay window
// takes it.
func plaintextAlert(desc byte) []byte {
	rec := record.AppendHeader(nil, record.ContentAlert, 1<<47, 2) // epoch 0
	return append(rec, alertFatal, desc)
}

// decryptWatch is pion's logger, which alone hears (at debug level) of a
// record pion could not decrypt.
type decryptWatch struct {
	logging.LeveledLogger
	unreadable func()
}

func (w decryptWatch) Debugf(format string, args ...any) {
	if format == pionDecryptFailed {
		w.unreadable()
	}
	w.LeveledLogger.Debugf(format, args...)
}

type decryptWatchFactory struct {
	logging.LoggerFactory
	unreadable func()
}

func (f decryptWatchFactory) NewLogger(scope string) logging.LeveledLogger {
	return decryptWatch{f.LoggerFactory.NewLogger(scope), f.unreadable}
}
