package tlsstream

import (
	"bytes"
	"context"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// caller waits for the socket as the module's shim does: it polls its own
// descriptor of the socket (the GSocket's), its wake eventfd and a
// cancellation eventfd, within a timeout, and calls again with what ended
// the wait.
type caller struct {
	t       *testing.T
	c       *Conn
	sock    int // a duplicate of the socket, as the GSocket's own descriptor
	wake    int
	cancel  int
	polls   int // waits so far
	goWaits int // operations that waited in Go instead
}

func newCaller(t *testing.T, c *Conn, raw net.Conn) *caller {
	t.Helper()
	sc, err := raw.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	sock := -1
	if err := sc.Control(func(fd uintptr) { sock, err = unix.Dup(int(fd)) }); err != nil || sock < 0 {
		t.Fatalf("dup: %v", err)
	}
	w := &caller{t: t, c: c, sock: sock}
	for _, fd := range []*int{&w.wake, &w.cancel} {
		if *fd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { unix.Close(w.sock); unix.Close(w.wake); unix.Close(w.cancel) })
	return w
}

// cancelNow fires the cancellation: a wait in progress ends, and every
// later one at once.
func (w *caller) cancelNow() { signalFD(w.cancel) }

func signalFD(fd int) {
	one := [8]byte{0, 0, 0, 0, 0, 0, 0, 1}
	_, _ = unix.Write(fd, one[:])
}

// wait polls for what need asks within timeout (< 0: none) and says what
// ended the wait.
func (w *caller) wait(need Need, timeout time.Duration) Waited {
	w.t.Helper()
	w.polls++
	events := int16(unix.POLLIN)
	if need == NeedOutput {
		events = unix.POLLOUT
	}
	fds := []unix.PollFd{{Fd: int32(w.sock), Events: events}, {Fd: int32(w.wake), Events: unix.POLLIN},
		{Fd: int32(w.cancel), Events: unix.POLLIN}}
	ms := -1
	if timeout >= 0 {
		ms = int(timeout.Milliseconds())
	}
	n, err := unix.Poll(fds, ms)
	for err == unix.EINTR {
		n, err = unix.Poll(fds, ms)
	}
	if err != nil {
		w.t.Fatalf("poll: %v", err)
	}
	if fds[1].Revents != 0 {
		var b [8]byte
		_, _ = unix.Read(w.wake, b[:])
	}
	switch {
	case fds[2].Revents != 0:
		return WaitedCancelled
	case n == 0:
		return WaitedTimedOut
	}
	return WaitedReady
}

// goContext bounds an operation that waits in Go by timeout (< 0: none).
func (w *caller) goContext(timeout time.Duration) context.Context {
	ctx := context.Background()
	if timeout >= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		w.t.Cleanup(cancel)
	}
	return ctx
}

// read is one blocking read through ReadOrWait, each wait bounded by
// timeout.
func (w *caller) read(p []byte, timeout time.Duration) (int, error) {
	w.t.Helper()
	waited := WaitedNothing
	for {
		n, need, err := w.c.ReadOrWait(p, w.wake, waited)
		switch need {
		case NeedNothing:
			return n, err
		case NeedGoWait: // as the shim does
			w.goWaits++
			return w.c.Read(w.goContext(timeout), p, false)
		}
		waited = w.wait(need, timeout)
	}
}

func (w *caller) write(p []byte, timeout time.Duration) (int, error) {
	w.t.Helper()
	waited := WaitedNothing
	for {
		n, need, err := w.c.WriteOrWait(p, w.wake, waited)
		switch need {
		case NeedNothing:
			return n, err
		case NeedGoWait:
			w.goWaits++
			return w.c.Write(w.goContext(timeout), p, false)
		}
		waited = w.wait(need, timeout)
	}
}

func TestACallerThatWaitsReadsWhatArrivesWhileItWaits(t *testing.T) {
	client, server, raw := pair(t, nil)
	w := newCaller(t, client, raw)
	time.AfterFunc(50*time.Millisecond, func() { writeAll(t, server, []byte("later")) })
	buf := make([]byte, 16)
	n, err := w.read(buf, -1)
	if err != nil || string(buf[:n]) != "later" {
		t.Fatalf("read: %q %v", buf[:n], err)
	}
	if w.polls == 0 || w.goWaits != 0 {
		t.Fatalf("the read waited %d times for the socket, %d in Go; nothing had come yet", w.polls, w.goWaits)
	}
}

// What crypto/tls holds (the rest of a record already decrypted) is read
// without a wait: the socket is empty meanwhile.
func TestWhatCryptoTLSHoldsIsReadWithoutWaiting(t *testing.T) {
	client, server, raw := pair(t, nil)
	w := newCaller(t, client, raw)
	sent := bytes.Repeat([]byte("0123456789"), 100)
	writeAll(t, server, sent)
	var got []byte
	buf := make([]byte, 10)
	n, err := w.read(buf, -1) // waits for the record, perhaps
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, buf[:n]...)
	w.polls = 0
	for len(got) < len(sent) {
		// A wait now would wait for nothing: bounded, so that it fails.
		if n, err = w.read(buf, time.Second); err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if w.polls != 0 || w.goWaits != 0 || !bytes.Equal(got, sent) {
		t.Fatalf("%d waits for bytes crypto/tls held; got them right: %v", w.polls, bytes.Equal(got, sent))
	}
}

// The caller's timeout fails that read only: the next one reads on.
func TestACallersTimeoutFailsThatReadOnly(t *testing.T) {
	client, server, raw := pair(t, nil)
	w := newCaller(t, client, raw)
	buf := make([]byte, 16)
	if _, err := w.read(buf, 20*time.Millisecond); code(err) != CodeTimedOut {
		t.Fatalf("a read past its timeout: %v", err)
	}
	writeAll(t, server, []byte("late"))
	if n, err := w.read(buf, -1); err != nil || string(buf[:n]) != "late" {
		t.Fatalf("the next read: %q %v", buf[:n], err)
	}
}

func TestACancelledWaitFailsTheReadCancelled(t *testing.T) {
	client, server, raw := pair(t, nil)
	w := newCaller(t, client, raw)
	time.AfterFunc(20*time.Millisecond, w.cancelNow)
	buf := make([]byte, 16)
	if _, err := w.read(buf, -1); code(err) != CodeCancelled {
		t.Fatalf("a cancelled read: %v", err)
	}
	writeAll(t, server, []byte("after"))
	var b [8]byte
	_, _ = unix.Read(w.cancel, b[:]) // a new cancellable
	if n, err := w.read(buf, -1); err != nil || string(buf[:n]) != "after" {
		t.Fatalf("the next read: %q %v", buf[:n], err)
	}
}

// A close, the read side shut, or the transport closed under the Conn
// wakes a caller waiting for the socket (which nothing else would wake:
// the caller polls a descriptor of its own).
func TestWhatEndsReadingWakesAWaitingCaller(t *testing.T) {
	for name, end := range map[string]func(c *Conn, raw net.Conn){
		"close":         func(c *Conn, _ net.Conn) { c.Abort() },
		"shutdown-read": func(c *Conn, _ net.Conn) { c.ShutdownRead() },
		"transport":     func(_ *Conn, raw net.Conn) { raw.Close() },
	} {
		t.Run(name, func(t *testing.T) {
			clientRaw, serverRaw := tcpPair(t)
			notifying := &closeNotifying{Conn: clientRaw}
			client, server, cerr, serr := handshakeOver(t, notifying, serverRaw, Config{ServerName: "localhost"}, Config{}, nil)
			if cerr != nil || serr != nil {
				t.Fatalf("handshake: %v, %v", cerr, serr)
			}
			w := newCaller(t, client, clientRaw)
			got := make(chan error, 1)
			go func() {
				_, err := w.read(make([]byte, 8), -1)
				got <- err
			}()
			time.Sleep(50 * time.Millisecond)
			end(client, notifying)
			select {
			case err := <-got:
				if code(err) != CodeClosed {
					t.Fatalf("the woken read: %v", err)
				}
			case <-time.After(10 * time.Second):
				server.Abort()
				t.Fatal("the caller was not woken")
			}
		})
	}
}

// closeNotifying is a socket transport that says when it is closed, as
// the module's watched GSocket duplicate does.
type closeNotifying struct {
	net.Conn
	mu      sync.Mutex
	onClose func()
}

func (c *closeNotifying) OnClose(f func()) {
	c.mu.Lock()
	c.onClose = f
	c.mu.Unlock()
}

func (c *closeNotifying) Close() error {
	err := c.Conn.Close()
	c.mu.Lock()
	f := c.onClose
	c.mu.Unlock()
	if f != nil {
		f()
	}
	return err
}

func (c *closeNotifying) SyscallConn() (syscall.RawConn, error) {
	return c.Conn.(syscall.Conn).SyscallConn()
}

// A peer that does not read: a caller's writes wait for the socket; past
// its timeout, the write that had taken its bytes still counts them, and
// the writer sends them. Every byte arrives, in order.
func TestACallersWriteToAPeerThatDoesNotReadWaitsThenHandsOver(t *testing.T) {
	client, server, raw := pair(t, nil)
	w := newCaller(t, client, raw)
	var sent []byte
	block := make([]byte, 16<<10)
	for i := 0; w.polls == 0; i++ {
		for j := range block {
			block[j] = byte(i + j/7)
		}
		n, err := w.write(block, 20*time.Millisecond)
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		sent = append(sent, block[:n]...)
		if len(sent) > 256<<20 {
			t.Fatal("writes never waited")
		}
	}
	// The write that waited timed out (nothing reads): its bytes went to
	// the writer, which sends them once the peer reads.
	if got := readFull(t, server, len(sent), 64<<10); !bytes.Equal(got, sent) {
		t.Fatal("the bytes read are not the bytes written")
	}
	if n, err := w.write([]byte("end"), -1); n != 3 || err != nil {
		t.Fatalf("a write once the peer read: %d %v", n, err)
	}
	if got := readFull(t, server, 3, 8); string(got) != "end" {
		t.Fatalf("after the backlog: %q", got)
	}
}
