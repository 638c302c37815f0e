//go:build linux

package spool

import (
	"bytes"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

// socatPair starts socat joining two pseudo-terminals (testkit.Socat),
// like a null-modem cable, and returns their paths. It skips the test when
// socat is missing, unless CI=true.
func socatPair(t *testing.T) (dev, peer string) {
	t.Helper()
	p := testkit.Socat(t)
	return p.Dev, p.Peer
}

// serialPrinter plays an ESC/POS printer on the far end of a pty: it
// records every byte and answers DLE EOT n with "online, paper present".
type serialPrinter struct {
	mu   sync.Mutex
	got  []byte
	f    *os.File
	done chan struct{}
}

func startSerialPrinter(t *testing.T, path string) *serialPrinter {
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	sp := &serialPrinter{f: f, done: make(chan struct{})}
	go func() {
		defer close(sp.done)
		buf := make([]byte, 512)
		state := 0
		for {
			n, err := f.Read(buf)
			sp.mu.Lock()
			sp.got = append(sp.got, buf[:n]...)
			sp.mu.Unlock()
			for _, b := range buf[:n] {
				switch {
				case state == 0 && b == 0x10:
					state = 1
				case state == 1 && b == 0x04:
					state = 2
				case state == 2 && b >= 1 && b <= 4:
					f.Write([]byte{0x12})
					state = 0
				default:
					state = 0
				}
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { f.Close(); <-sp.done })
	return sp
}

func (sp *serialPrinter) bytes() []byte {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return append([]byte(nil), sp.got...)
}

func TestSerialJobByteExact(t *testing.T) {
	dev, peer := socatPair(t)
	sp := startSerialPrinter(t, peer)
	f := newFixture(t, []Printer{{Name: "bar", Connection: "serial://" + dev + "?baud=115200", Profile: "TM-T20III"}}, testOptions())
	f.run()
	f.submit(Request{ID: "ser-1", Printer: "bar", Kind: KindReceipt, Order: testOrder("ord_ser")})
	f.waitJob("ser-1", Printed)
	want := onWire(f.data("ser-1"))
	waitFor(t, "bytes at the far end", func() bool { return len(sp.bytes()) >= len(want) })
	if got := sp.bytes(); !bytes.Equal(got, want) {
		t.Fatalf("serial peer received %d bytes, want %d, byte-exact", len(got), len(want))
	}
	if st, _ := f.s.Printer("bar"); st.State != StateOnline {
		t.Errorf("state = %s", st.State)
	}
}

func TestSerialDeviceMissingStaysQueued(t *testing.T) {
	f := newFixture(t, []Printer{{Name: "bar", Connection: "serial:///dev/ttyAURA-missing"}}, testOptions())
	f.run()
	f.submit(Request{ID: "s", Printer: "bar", Kind: KindTest})
	waitFor(t, "retries", func() bool { j, _ := f.s.Job("s"); return j.Attempts >= 2 })
	if j, _ := f.s.Job("s"); j.State != Queued {
		t.Fatalf("state = %s", j.State)
	}
	if st, _ := f.s.Printer("bar"); st.State != StateOffline || st.LastError == "" {
		t.Errorf("status = %+v", st)
	}
}
