package transport

import (
	"bytes"
	"fmt"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"testing"
)

// Encrypted alerts are taken out of the datagrams pion would read while
// held, and released in order: to the record layer, or back to pion.
func TestHeldAlerts(t *testing.T) {
	data := rawRecord(record.ContentAppData, 1, 7, []byte("application data"))
	hs := rawRecord(record.ContentHandshake, 0, 3, []byte("handshake"))
	plainAlert := rawRecord(record.ContentAlert, 0, 4, []byte{2, 40})
	alert := rawRecord(record.ContentAlert, 1, 8, []byte("an encrypted alert"))
	alert2 := rawRecord(record.ContentAlert, 1, 9, []byte("another"))

	tr := New(nil, record.Wire{})
	if got := tr.hold(cat(data, alert)); !bytes.Equal(got, cat(data, alert)) {
		t.Fatalf("not holding, hold kept %x", got)
	}
	tr.HoldAlerts(true)
	for _, c := range []struct{ in, want []byte }{
		{cat(data, alert), data},
		{cat(hs, plainAlert), cat(hs, plainAlert)}, // a plaintext alert ends a handshake
		{alert2, nil},
	} {
		if got := tr.hold(c.in); !bytes.Equal(got, c.want) {
			t.Errorf("hold(%x) = %x, want %x", c.in, got, c.want)
		}
	}
	var taken [][]byte
	ended := 0
	tr.ReleaseAlerts(func(d []byte) { taken = append(taken, d) }, func() { ended++ })
	if len(taken) != 2 || !bytes.Equal(taken[0], alert) || !bytes.Equal(taken[1], alert2) || ended != 0 {
		t.Fatalf("released %x (ended %d), want the two alerts in order", taken, ended)
	}
	if got := tr.hold(alert); !bytes.Equal(got, alert) {
		t.Errorf("after the release, hold kept %x", got)
	}
	tr.stop()
	if ended != 1 {
		t.Errorf("the reader's end called ended %d times", ended)
	}

	tr = New(nil, record.Wire{})
	tr.HoldAlerts(true)
	for i := range maxHeldAlerts + 2 {
		tr.hold(rawRecord(record.ContentAlert, 1, uint64(i), []byte(fmt.Sprint(i))))
	}
	tr.ReleaseAlertsToPion()
	if len(tr.queue) != maxHeldAlerts || !bytes.HasSuffix(tr.queue[0].data, []byte("2")) ||
		!bytes.HasSuffix(tr.queue[maxHeldAlerts-1].data, []byte(fmt.Sprint(maxHeldAlerts+1))) {
		t.Fatalf("pion got %d alerts, want the last %d", len(tr.queue), maxHeldAlerts)
	}
}
