//go:build linux

package serial_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/testkit"
)

// playPrinter reads DLE EOT n queries from peer and answers each with
// answer, until the peer is closed.
func playPrinter(peer *os.File, answer byte) {
	q := make([]byte, 3)
	for {
		if _, err := io.ReadFull(peer, q); err != nil {
			return
		}
		if q[0] == 0x10 && q[1] == 0x04 {
			peer.Write([]byte{answer})
		}
	}
}

func TestSerialBytesExactOverPTY(t *testing.T) {
	pair := testkit.Socat(t)
	peer := pair.OpenPeer(t)
	c := printertest.Open(t, "serial://"+pair.Dev+"?baud=115200&databits=8&parity=none&stopbits=1", transport.Options{})

	job := printertest.Payload(5<<10 + 123) // more than one pty buffer, several paced chunks
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, len(job))
		peer.SetReadDeadline(time.Now().Add(20 * time.Second))
		n, _ := io.ReadFull(peer, b)
		got <- b[:n]
	}()
	if n, err := c.Write(job); err != nil || n != len(job) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if b := <-got; !bytes.Equal(b, job) {
		t.Fatalf("peer got %d bytes, want %d (first difference at %d)", len(b), len(job), printertest.FirstDiff(b, job))
	}

	// The peer answers status queries.
	go playPrinter(peer, 0x1a) // offline: paper out or cover open
	b, err := transport.QueryStatus(context.Background(), c, 1, 5*time.Second)
	if err != nil || b != 0x1a {
		t.Fatalf("QueryStatus = %#x, %v; want 0x1a", b, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSerialNoStatusAnswer(t *testing.T) {
	pair := testkit.Socat(t)
	pair.OpenPeer(t) // a printer that never answers
	c := printertest.Open(t, "serial://"+pair.Dev, transport.Options{})
	_, err := transport.QueryStatus(context.Background(), c, 1, 100*time.Millisecond)
	if !errors.Is(err, transport.ErrNoStatus) {
		t.Fatalf("QueryStatus = %v, want ErrNoStatus", err)
	}
	// Read honours deadlines (go.bug.st/serial's (0, nil) timeout).
	d := c.(transport.Deadliner)
	d.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read past deadline = %v, want os.ErrDeadlineExceeded", err)
	}
}

func TestSerialPeerVanishes(t *testing.T) {
	pair := testkit.Socat(t)
	peer := pair.OpenPeer(t)
	c := printertest.Open(t, "serial://"+pair.Dev+"?baud=115200", transport.Options{})
	go io.Copy(io.Discard, peer)
	if _, err := c.Write([]byte("first half of the receipt\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let socat pass it on
	pair.Kill()

	var err error
	for range 100 { // the hangup reaches the pty shortly after socat exits
		if _, err = c.Write([]byte("second half\n")); err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !errors.Is(err, transport.ErrInterrupted) || transport.Retryable(err) {
		t.Fatalf("Write after the peer vanished = %v, want ErrInterrupted", err)
	}
	t.Logf("vanished peer: %v", err)
}

func TestSerialMissingDevice(t *testing.T) {
	_, err := transport.Open(context.Background(), "serial:///dev/ttyDOESNOTEXIST?baud=19200", transport.Options{})
	if want := "open serial /dev/ttyDOESNOTEXIST: device unavailable: device not found"; err == nil || err.Error() != want {
		t.Fatalf("Open missing device = %v, want %s", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) || !transport.Retryable(err) {
		t.Errorf("error %v: want fs.ErrNotExist and retryable", err)
	}
}
