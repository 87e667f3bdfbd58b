package dtlsgo

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3/pkg/protocol/alert"
	"github.com/pion/dtls/v3/pkg/protocol/extension"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"
)

// TraceSink is where handshake traces go (package export: GLib's debug
// log, domain "dtlsgo"). Enabled is asked once per handshake; when it says
// no, the connection has no tracer and its trace points cost one nil check,
// formatting nothing.
type TraceSink interface {
	Enabled() bool
	// Write emits one line about connection id (a client when client).
	Write(id uint64, client bool, line string)
}

var (
	traceSink   atomic.Pointer[TraceSink]
	traceSerial atomic.Uint64
)

// SetTraceSink installs s for the handshakes that start from now on.
func SetTraceSink(s TraceSink) { traceSink.Store(&s) }

// tracer writes one connection's trace. A nil *tracer traces nothing: every
// method is safe to call on it, and a trace point that must build its
// arguments checks for nil first.
type tracer struct {
	sink   TraceSink
	id     uint64
	client bool
	begun  time.Time

	mu   sync.Mutex
	seen map[flightKey]time.Time // per direction and datagram: when last sent
	cids [2][]byte               // the connection IDs each hello asked for (client, server)
	asks [2]bool                 // whether each hello carried the extension
}

// newTracer returns the tracer of a handshake that starts now, nil when
// nobody reads the trace.
func newTracer(client bool) *tracer {
	s := traceSink.Load()
	if s == nil || !(*s).Enabled() {
		return nil
	}
	return &tracer{sink: *s, id: traceSerial.Add(1), client: client, begun: time.Now(),
		seen: make(map[flightKey]time.Time)}
}

func (tr *tracer) printf(format string, args ...any) {
	if tr != nil {
		tr.sink.Write(tr.id, tr.client, fmt.Sprintf(format, args...))
	}
}

// elapsed is the time since the handshake began, for the trace.
func (tr *tracer) elapsed() string {
	return time.Since(tr.begun).Round(10 * time.Microsecond).String()
}

// flightKey tells a datagram of a flight from the same datagram sent again:
// its direction and the identity of its first record's content.
type flightKey struct {
	sent    bool
	typ     byte
	epoch   uint16
	msgSeq  uint16
	fragOff uint32
	flight  int
}

// datagram traces a handshake datagram crossing the transport: which
// flight, the records in it, and whether it repeats an earlier one.
func (tr *tracer) Datagram(d []byte, sent bool) {
	if tr == nil {
		return
	}
	desc, key, ok := tr.describe(d, sent)
	if !ok {
		return
	}
	way := "received"
	if sent {
		way = "sent"
	}
	now := time.Now()
	tr.mu.Lock()
	last, again := tr.seen[key]
	tr.seen[key] = now
	tr.mu.Unlock()
	switch {
	case key.flight == 0:
		tr.printf("%s %s (%d bytes)", way, desc, len(d))
	case again:
		tr.printf("%s flight %d again, %.3f s after the previous copy: %s (%d bytes)",
			way, key.flight, now.Sub(last).Seconds(), desc, len(d))
	default:
		tr.printf("%s flight %d: %s (%d bytes)", way, key.flight, desc, len(d))
	}
}

// describe names the records of d; ok is false for a datagram of
// application data only, or one that is not DTLS.
func (tr *tracer) describe(d []byte, sent bool) (string, flightKey, bool) {
	fromClient := sent == tr.client
	key := flightKey{sent: sent}
	var names []string
	first := true
	for r := range record.All(d) {
		if r.Type == record.ContentCID {
			// Its header is longer than record.Next knows: the walk ends here.
			break
		}
		if first {
			key.typ, key.epoch = r.Type, r.Epoch
		}
		switch {
		case r.Type == record.ContentHandshake && r.Epoch == 0:
			for _, m := range handshakeMessages(r.Body) {
				if first {
					key.msgSeq, key.fragOff = m.seq, m.fragOff
					key.flight = flightOf(fromClient, m)
				}
				names = append(names, m.String())
				tr.noteHello(m)
				first = false
			}
		case r.Type == record.ContentHandshake:
			// Encrypted: in a DTLS 1.2 handshake only Finished is.
			names = append(names, "Finished (encrypted)")
		case r.Type == record.ContentChangeCipherSpec:
			names = append(names, "ChangeCipherSpec")
		case r.Type == record.ContentAlert && r.Epoch == 0 && len(r.Body) == 2:
			names = append(names, fmt.Sprintf("alert %s %s", alert.Level(r.Body[0]), alert.Description(r.Body[1])))
		case r.Type == record.ContentAlert:
			names = append(names, "alert (encrypted)")
		default:
			continue
		}
		if first && key.flight == 0 && r.Type != record.ContentAlert {
			key.flight = lastFlightOf(fromClient)
		}
		first = false
	}
	return strings.Join(names, ", "), key, len(names) > 0
}

// handshakeMessage is the header of one handshake message (or fragment)
// and, when whole, its body.
type handshakeMessage struct {
	typ                      handshake.Type
	seq                      uint16
	length, fragOff, fragLen uint32
	body                     []byte // nil for a fragment
}

func (m handshakeMessage) String() string {
	// pion's names but one ("TypeCertificate"), and a number for the unknown.
	name := m.typ.String()
	switch {
	case m.typ == handshake.TypeCertificate:
		name = "Certificate"
	case name == "":
		name = fmt.Sprintf("handshake message %d", m.typ)
	}
	if m.body == nil {
		return fmt.Sprintf("%s (bytes %d-%d of %d)", name, m.fragOff, m.fragOff+m.fragLen, m.length)
	}
	return name
}

// handshakeMessages splits a plaintext handshake record's body into its
// messages (RFC 6347 4.2.2: a 12-byte header each).
func handshakeMessages(b []byte) []handshakeMessage {
	var out []handshakeMessage
	for len(b) >= handshake.HeaderLength {
		m := handshakeMessage{
			typ:     handshake.Type(b[0]),
			length:  uint32(b[1])<<16 | uint32(binary.BigEndian.Uint16(b[2:4])),
			seq:     binary.BigEndian.Uint16(b[4:6]),
			fragOff: uint32(b[6])<<16 | uint32(binary.BigEndian.Uint16(b[7:9])),
			fragLen: uint32(b[9])<<16 | uint32(binary.BigEndian.Uint16(b[10:12])),
		}
		end := handshake.HeaderLength + int(m.fragLen)
		if end > len(b) {
			break
		}
		if m.fragOff == 0 && m.fragLen == m.length {
			m.body = b[handshake.HeaderLength:end]
		}
		out = append(out, m)
		b = b[end:]
	}
	return out
}

// flightOf numbers the flight (RFC 6347 4.2.4) a datagram starting with
// message m belongs to.
func flightOf(fromClient bool, m handshakeMessage) int {
	switch {
	case m.typ == handshake.TypeClientHello:
		if m.body != nil && clientHelloHasCookie(m.body) {
			return 3
		}
		return 1
	case m.typ == handshake.TypeHelloVerifyRequest:
		return 2
	case fromClient:
		return 5
	case m.typ == handshake.TypeFinished:
		return 6
	}
	return 4
}

// lastFlightOf numbers a datagram that starts with ChangeCipherSpec or an
// encrypted Finished: the last flight of its sender.
func lastFlightOf(fromClient bool) int {
	if fromClient {
		return 5
	}
	return 6
}

// clientHelloHasCookie: client_version (2), random (32), session_id and
// cookie (each a length byte and bytes).
func clientHelloHasCookie(b []byte) bool {
	off := 2 + 32
	if len(b) <= off {
		return false
	}
	off += 1 + int(b[off])
	return len(b) > off && b[off] > 0
}

// noteHello remembers the connection IDs a whole ClientHello or
// ServerHello asks for (RFC 9146: the ID its sender wants to receive).
func (tr *tracer) noteHello(m handshakeMessage) {
	if m.body == nil {
		return
	}
	var exts []extension.Extension
	side := 0
	switch m.typ {
	case handshake.TypeClientHello:
		var h handshake.MessageClientHello
		if h.Unmarshal(m.body) != nil {
			return
		}
		exts = h.Extensions
	case handshake.TypeServerHello:
		var h handshake.MessageServerHello
		if h.Unmarshal(m.body) != nil {
			return
		}
		exts, side = h.Extensions, 1
	default:
		return
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.asks[side] = false
	for _, e := range exts {
		if cid, ok := e.(*extension.ConnectionID); ok {
			tr.asks[side], tr.cids[side] = true, cid.CID
		}
	}
}

// connectionIDs says what the hellos negotiated (RFC 9146): both must carry
// the extension; each side then puts the other's ID in its records.
func (tr *tracer) connectionIDs() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if !tr.asks[0] || !tr.asks[1] {
		return "none"
	}
	show := func(id []byte) string {
		if len(id) == 0 {
			return "(empty)"
		}
		return hex.EncodeToString(id)
	}
	return fmt.Sprintf("client receives %s, server receives %s", show(tr.cids[0]), show(tr.cids[1]))
}

// verdict traces the judgement of the peer's certificate.
func (tr *tracer) verdict(chain [][]byte, flags CertificateFlags, err error) {
	if tr == nil {
		return
	}
	subject := "an unreadable certificate"
	if c, perr := ParseCertificateChainDER(chain); perr == nil {
		subject = c.SubjectName()
	}
	switch {
	case err == nil:
		tr.printf("peer certificate %s (chain of %d): verification flags %s, accepted", subject, len(chain), flags)
	default:
		tr.printf("peer certificate %s (chain of %d): verification flags %s, refused: %v", subject, len(chain), flags, err)
	}
}

// begin traces what the handshake sets out with.
func (tr *tracer) begin(cfg Config) {
	alpn := "none"
	if len(cfg.ALPN) > 0 {
		alpn = strings.Join(cfg.ALPN, ",")
	}
	var srtp []string
	for _, p := range cfg.SRTPProfiles {
		srtp = append(srtp, p.Name)
	}
	interval := cfg.RetransmitInterval
	if interval <= 0 {
		interval = DefaultRetransmitInterval
	}
	psk := ""
	if cfg.PSK != nil || cfg.ServerPSK {
		psk = ", pre-shared keys"
	}
	tr.printf("handshake begins: DTLS 1.2, server name %s, ALPN %s, SRTP profiles %s, connection ID length %d%s, MTU %d, first retransmission after %v, bounded by %v",
		orNone(cfg.ServerName), alpn, orNone(strings.Join(srtp, ",")), cfg.ConnectionIDLength, psk,
		cfg.mtu(), interval, cfg.handshakeTimeout())
}

// completed traces what the handshake established.
func (tr *tracer) completed(info Info, ownRecordLayer bool) {
	layer := "pion's"
	if ownRecordLayer {
		layer = "dtlsgo's"
	}
	tr.printf("handshake complete after %s: DTLS 1.2, %s, ALPN %s, SRTP profile %s, connection IDs %s, extended master secret %t, %s record layer",
		tr.elapsed(), info.CipherSuite, orNone(info.NegotiatedProtocol), orNone(info.SRTPProfile),
		tr.connectionIDs(), info.ExtendedMaster, layer)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
