//go:build linux

package usb_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/testkit"
)

// The usb driver opens a character device read-write; a pseudo-terminal
// from socat is one, so it stands in for /dev/usb/lp0.
func TestUSBOverPTY(t *testing.T) {
	pair := testkit.Socat(t)
	peer := pair.OpenPeer(t)
	c := printertest.Open(t, "usb://"+pair.Dev, transport.Options{})

	job := printertest.Payload(9 << 10)
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
		t.Fatalf("peer got %d bytes, want %d", len(b), len(job))
	}

	if _, err := transport.QueryStatus(context.Background(), c, 2, 100*time.Millisecond); !errors.Is(err, transport.ErrNoStatus) {
		t.Errorf("QueryStatus without an answer = %v, want ErrNoStatus", err)
	}
	go playPrinter(peer, 0x32) // paper end stop
	// Skip the unanswered query that playPrinter reads first.
	for {
		b, err := transport.QueryStatus(context.Background(), c, 2, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if b == 0x32 {
			break
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestUSBOpenErrors(t *testing.T) {
	_, err := transport.Open(context.Background(), "usb:///dev/usb/lpDOESNOTEXIST", transport.Options{})
	if want := "open usb /dev/usb/lpDOESNOTEXIST: device unavailable: device not found"; err == nil || err.Error() != want {
		t.Errorf("Open missing device = %v, want %s", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) || !transport.Retryable(err) {
		t.Errorf("error %v: want fs.ErrNotExist and retryable", err)
	}

	regular := filepath.Join(t.TempDir(), "lp0")
	os.WriteFile(regular, nil, 0o600)
	_, err = transport.Open(context.Background(), "usb://"+regular, transport.Options{})
	if want := "open usb " + regular + ": device unavailable: not a character device"; err == nil || err.Error() != want {
		t.Errorf("Open regular file = %v, want %s", err, want)
	}
}
