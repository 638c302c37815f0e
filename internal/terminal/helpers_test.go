package terminal

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/receipt"
	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/store"
)

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// fixture is a terminal manager over a real store, outbox, ingest and
// print queue, passing through to a printer stand-in.
type fixture struct {
	t       testing.TB
	dir     string
	db      *store.DB
	ob      *outbox.Outbox
	in      *ingest.Ingest
	sp      *spool.Spool
	m       *Manager
	printer *printertest.Printer
	cancel  context.CancelFunc
	terms   []Config
	done    sync.WaitGroup
}

// newFixture starts everything. terms get Printer "front" (the stand-in)
// unless set; Listen defaults to tcp://127.0.0.1:0.
func newFixture(t testing.TB, terms ...Config) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), printer: printertest.Start(t)}
	f.start(terms, f.printer.URL())
	return f
}

func (f *fixture) start(terms []Config, printerURL string) {
	t := f.t
	t.Helper()
	var err error
	f.db, err = store.Open(f.dir, store.Options{LockTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	log := testLogger()
	f.ob, err = outbox.Open(f.db, outbox.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	f.in = ingest.New(f.db, f.ob, log)
	printers := []spool.Printer{{Name: "front", Connection: printerURL}}
	f.sp, err = spool.New(f.db, "s1", printers, receipt.Settings{}, spool.Options{
		Logger: log, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		StatusTimeout: 300 * time.Millisecond, StatusInterval: -1, DialTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range terms {
		if terms[i].Printer == "" && terms[i].Mode != "journal" {
			terms[i].Printer = "front"
		}
		if terms[i].Listen == "" {
			terms[i].Listen = "tcp://127.0.0.1:0"
		}
		if terms[i].IdleCut == 0 {
			terms[i].IdleCut = 300 * time.Millisecond
		}
	}
	f.m, err = New(terms, Deps{Printers: printers, Spool: f.sp, Sink: &OutboxSink{DB: f.db, Outbox: f.ob, Ingest: f.in},
		Log: log, RawDir: f.dir + "/raw", Location: time.UTC},
		Options{MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, DialTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.done.Go(func() { _ = f.sp.Run(ctx) })
	f.done.Go(func() { _ = f.m.Run(ctx) })
	select {
	case <-f.m.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("terminals not ready")
	}
	t.Cleanup(f.stop)
	f.terms = terms
}

func (f *fixture) stop() {
	if f.cancel == nil {
		return
	}
	f.cancel()
	f.done.Wait()
	f.cancel = nil
	f.db.Close()
	f.done = sync.WaitGroup{}
}

// dial connects a till to terminal name.
func (f *fixture) dial(name string) *net.TCPConn {
	f.t.Helper()
	addr := f.m.Addr(name)
	if addr == nil {
		f.t.Fatalf("terminal %s has no address", name)
	}
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// receipts returns the terminal receipt events in the outbox.
func (f *fixture) receipts() []Capture {
	f.t.Helper()
	rows, err := f.ob.Peek(outbox.Orders, 0, 10000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []Capture
	for _, r := range rows {
		if r.Type != TypeReceipt {
			continue
		}
		var c Capture
		if err := json.Unmarshal(r.Data, &c); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readN reads exactly n bytes from r within timeout.
func readN(t testing.TB, c net.Conn, n int, timeout time.Duration) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	defer c.SetReadDeadline(time.Time{})
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d bytes from terminal: %v", n, err)
	}
	return b
}

// testReceipt is an ESC/POS receipt with a raster logo, styles and a cut.
// Its logo holds the bytes of a status request (10 04 01) as image data.
func testReceipt(number string, logo int) []byte {
	return receiptWithLogo(number, logo, []byte{0x10, 0x04, 0x01, 0xff, 0x00, 0x1d})
}

func receiptWithLogo(number string, logo int, pattern []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x1b@\x1bt\x13")
	if logo > 0 {
		// GS v 0: width 64 bytes, height logo/64 rows of pattern bytes
		// that include 10 04 01 (a status request's bytes) inside the image.
		h := logo / 64
		b.Write([]byte{0x1d, 'v', '0', 0, 64, 0, byte(h), byte(h >> 8)})
		for i := 0; i < 64*h; i++ {
			b.WriteByte(pattern[i%len(pattern)])
		}
	}
	b.WriteString("\x1ba\x01\x1b!\x30CORNER CAFE\x1b!\x00\n\x1ba\x00")
	b.WriteString("Receipt " + number + "\n2026-12-03 10:15\n")
	b.WriteString("Flat white          3.50\nCroissant           2.80\n")
	b.WriteString("TOTAL               6.30\nCash               10.00\nChange              3.70\n")
	b.WriteString("Card 4111 1111 1111 1111\n")
	b.WriteString("\n\n\n\x1dV\x42\x00")
	return b.Bytes()
}
