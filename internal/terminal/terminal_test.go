package terminal

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
)

// The till's bytes reach the printer unchanged and in order, a 64 KiB
// raster logo included, and the receipt is captured once.
func TestPassthroughByteExact(t *testing.T) {
	f := newFixture(t, Config{Name: "till1", KeepRaw: 2})
	want := testReceipt("1001", 64<<10)
	c := f.dial("till1")
	if _, err := c.Write(want); err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	jobs, err := f.printer.WaitJobs(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jobs[0], want) {
		t.Fatalf("printer got %d bytes, want %d (first difference at %d)", len(jobs[0]), len(want), firstDiff(jobs[0], want))
	}
	waitFor(t, "the capture", 10*time.Second, func() bool { return len(f.receipts()) == 1 })
	got := f.receipts()[0]
	if got.Terminal != "till1" || got.Source != "terminal:till1" || got.RawBytes != len(want) {
		t.Fatalf("capture = %+v", got)
	}
	if got.RawBase64 != nil && bytes.Contains(got.RawBase64, []byte("4111 1111 1111 1111")) {
		t.Fatal("card number sent unmasked")
	}
	if strings.Contains(got.Text, "4111 1111 1111 1111") {
		t.Fatal("card number in text")
	}
	// keep_raw: one file, masked.
	files, _ := filepath.Glob(filepath.Join(f.dir, "raw", "till1", "*.escpos"))
	if len(files) != 1 {
		t.Fatalf("kept raw files: %v", files)
	}
	kept, _ := os.ReadFile(files[0])
	if len(kept) != len(want) || bytes.Contains(kept, []byte("4111 1111 1111 1111")) || !bytes.Contains(kept, []byte("**** **** **** 1111")) {
		t.Fatalf("kept raw capture not masked or not whole (%d bytes)", len(kept))
	}

	// The same receipt again (the till resends it): printed again, not
	// captured twice.
	c2 := f.dial("till1")
	c2.Write(want)
	c2.CloseWrite()
	if _, err := f.printer.WaitJobs(2, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the duplicate to be counted", 10*time.Second, func() bool { return f.m.Status()[0].Duplicates == 1 })
	if n := len(f.receipts()); n != 1 {
		t.Fatalf("%d receipt events after a resend, want 1", n)
	}
	st := f.m.Status()[0]
	if st.Receipts != 1 || st.LastCapture == nil || !st.PrinterReachable {
		t.Fatalf("status = %+v", st)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// Status requests travel to the printer and its answers back to the till.
func TestStatusRoundTrip(t *testing.T) {
	f := newFixture(t, Config{Name: "till1"})
	c := f.dial("till1")
	c.Write([]byte("\x1b@Hello\n\x10\x04\x01"))
	if got := readN(t, c, 1, 5*time.Second); got[0] != 0x12 {
		t.Fatalf("DLE EOT 1 answer %#x, want 0x12", got[0])
	}
	f.printer.SetMode(printertest.PaperOut)
	c.Write([]byte("\x10\x04\x04"))
	if got := readN(t, c, 1, 5*time.Second); got[0] != 0x72 {
		t.Fatalf("DLE EOT 4 answer with paper out %#x, want 0x72", got[0])
	}
	c.Write([]byte("\x1dV\x00"))
	c.CloseWrite()
	jobs, err := f.printer.WaitJobs(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := "\x1b@Hello\n\x10\x04\x01\x10\x04\x04\x1dV\x00"; string(jobs[0]) != want {
		t.Fatalf("printer got %q, want %q", jobs[0], want)
	}
}

// A printer that is off during a sale: the till hears "offline" at once,
// the bytes wait durably in the print queue and print, exactly, when the
// printer is back.
func TestPrinterOffDuringSale(t *testing.T) {
	for _, mode := range []string{"offline", "online"} {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t, Config{Name: "till1", OfflineReply: mode})
			f.printer.SetMode(printertest.Offline)
			// (A logo without 10 04 n bytes: the print queue's status
			// confirmation reads the printer's answers to those.)
			want := receiptWithLogo("2002", 4096, []byte{0xff, 0x00, 0x81})
			c := f.dial("till1")
			cut := bytes.Index(want, []byte("TOTAL")) // after the logo: a query inside image data is data
			c.Write(want[:cut])
			start := time.Now()
			c.Write([]byte{0x10, 0x04, 0x01})
			got := readN(t, c, 1, 3*time.Second)
			if el := time.Since(start); el > 2*time.Second {
				t.Fatalf("offline reply took %s", el)
			}
			wantByte := byte(0x1A)
			if mode == "online" {
				wantByte = 0x12
			}
			if got[0] != wantByte {
				t.Fatalf("DLE EOT 1 answer %#x, want %#x", got[0], wantByte)
			}
			c.Write([]byte{0x1d, 'a', 0xff})
			asb := readN(t, c, 4, 3*time.Second)
			wantASB := offlineASB
			if mode == "online" {
				wantASB = onlineASB
			}
			if !bytes.Equal(asb, wantASB) {
				t.Fatalf("ASB % x, want % x", asb, wantASB)
			}
			c.Write(want[cut:])
			c.CloseWrite()
			waitFor(t, "the segment to be queued", 10*time.Second, func() bool { return f.m.Status()[0].Queued == 1 })
			if jobs := f.printer.Jobs(); len(jobs) != 0 {
				t.Fatalf("printer off but %d jobs", len(jobs))
			}
			f.printer.SetMode(printertest.Online)
			jobs, err := f.printer.WaitJobs(1, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			sent := append(append(append([]byte(nil), want[:cut]...), 0x10, 0x04, 0x01, 0x1d, 'a', 0xff), want[cut:]...)
			// The print queue brackets a job with its own DLE EOT status
			// queries; between them are exactly the till's bytes.
			if got := stripQueries(jobs[0]); !bytes.Equal(got, sent) {
				t.Fatalf("printed %d bytes (% x...), want the %d the till sent", len(got), got[:min(len(got), 16)], len(sent))
			}
			waitFor(t, "the capture", 10*time.Second, func() bool { return len(f.receipts()) == 1 })
			// The next sale goes straight through once the queue is empty.
			waitFor(t, "no pending jobs", 10*time.Second, func() bool {
				_ = f.m.terms[0].goOffline()
				return f.m.Status()[0].PendingJobs == 0
			})
			next := testReceipt("2003", 0)
			c2 := f.dial("till1")
			waitFor(t, "printer backoff to pass", 5*time.Second, func() bool { return !f.m.terms[0].goOffline() })
			c2.Write(next)
			c2.CloseWrite()
			jobs, err = f.printer.WaitJobs(2, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(jobs[1], next) {
				t.Fatalf("second job %q", jobs[1])
			}
		})
	}
}

// A till that never cuts: the idle gap ends the receipt.
func TestIdleCut(t *testing.T) {
	f := newFixture(t, Config{Name: "till1", IdleCut: 200 * time.Millisecond})
	c := f.dial("till1")
	r := []byte("\x1b@Receipt 7\nTOTAL 3.00\nCash 3.00\n\n\n")
	c.Write(r)
	jobs, err := f.printer.WaitJobs(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jobs[0], r) {
		t.Fatalf("printed %q", jobs[0])
	}
	waitFor(t, "the capture", 10*time.Second, func() bool { return len(f.receipts()) == 1 })
	raw, _ := base64.StdEncoding.DecodeString(base64.StdEncoding.EncodeToString(f.receipts()[0].RawBase64))
	if f.receipts()[0].Kind == "unparsed" && !bytes.Equal(raw, r) {
		t.Fatalf("unparsed capture carries %q", raw)
	}
	// The till keeps its connection: a second receipt after the gap.
	c.Write([]byte("Receipt 8\nTOTAL 4.00\n"))
	if _, err := f.printer.WaitJobs(2, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second capture", 10*time.Second, func() bool { return len(f.receipts()) == 2 })
}

// Many tills at once on one terminal: each connection is its own job.
func TestConcurrentTills(t *testing.T) {
	f := newFixture(t, Config{Name: "till1"})
	const n = 8
	want := map[string]bool{}
	done := make(chan error, n)
	for i := range n {
		r := testReceipt(fmt.Sprint(3000+i), 1024)
		want[string(r)] = true
		go func() {
			c := f.dial("till1")
			_, err := c.Write(r)
			c.CloseWrite()
			done <- err
		}()
	}
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	jobs, err := f.printer.WaitJobs(n, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if !want[string(j)] {
			t.Fatalf("printer got a job that no till sent (%d bytes)", len(j))
		}
		delete(want, string(j))
	}
	waitFor(t, "every capture", 10*time.Second, func() bool { return len(f.receipts()) == n })
}

// stripQueries removes the print queue's DLE EOT n status queries from the
// start and end of a job.
func stripQueries(b []byte) []byte {
	for len(b) >= 3 && b[0] == 0x10 && b[1] == 0x04 && b[2] >= 1 && b[2] <= 4 {
		b = b[3:]
	}
	for len(b) >= 3 && b[len(b)-3] == 0x10 && b[len(b)-2] == 0x04 && b[len(b)-1] >= 1 && b[len(b)-1] <= 4 {
		b = b[:len(b)-3]
	}
	return b
}

// Bytes queued while the printer is off survive a restart, and receipts
// printed after the restart queue behind them, so the paper comes out in
// the order the till printed.
func TestQueuedBytesSurviveRestartInOrder(t *testing.T) {
	f := newFixture(t, Config{Name: "till1"})
	terms := []Config{{Name: "till1"}}
	f.printer.SetMode(printertest.Offline)
	first := receiptWithLogo("6001", 0, nil)
	c := f.dial("till1")
	c.Write(first)
	c.CloseWrite()
	waitFor(t, "the segment to be queued", 10*time.Second, func() bool { return f.m.Status()[0].Queued == 1 })
	f.stop()

	f.start(terms, f.printer.URL())
	if st := f.m.Status()[0]; st.PendingJobs != 1 {
		t.Fatalf("after the restart %d pending jobs, want 1", st.PendingJobs)
	}
	second := receiptWithLogo("6002", 0, nil)
	c = f.dial("till1")
	c.Write(second)
	c.CloseWrite()
	waitFor(t, "the second segment to be queued", 10*time.Second, func() bool { return f.m.Status()[0].Queued == 1 })
	f.printer.SetMode(printertest.Online)
	jobs, err := f.printer.WaitJobsInOrder(2, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stripQueries(jobs[0]), first) || !bytes.Equal(stripQueries(jobs[1]), second) {
		t.Fatalf("printed out of order or changed: %q / %q", jobs[0], jobs[1])
	}
}

// A printer that drops the connection in the middle of a receipt: the
// segment is counted as interrupted (the receipt may be incomplete on
// paper), bytes the printer did not take wait in the print queue, and the
// next receipt prints whole once the printer takes connections again.
func TestPrinterDropsMidReceipt(t *testing.T) {
	f := newFixture(t, Config{Name: "till1"})
	f.printer.DropAfter(1000)
	big := receiptWithLogo("7001", 256<<10, []byte{0xff, 0x00, 0x81})
	c := f.dial("till1")
	c.Write(big)
	c.CloseWrite()
	// The session is over (queued what it had to) when aura-edge closes.
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the interruption to be counted", 10*time.Second, func() bool { return f.m.Status()[0].Interrupted == 1 })
	// The passthrough's connection was accepted first; the print queue's
	// may have ended before it.
	jobs, err := f.printer.WaitJobsInOrder(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jobs[0], big[:1000]) {
		t.Fatalf("first job: %d bytes", len(jobs[0]))
	}
	f.printer.DropAfter(0)
	waitFor(t, "the queue to drain", 10*time.Second, func() bool { return f.m.Status()[0].PendingJobs == 0 })
	// Whatever was queued printed (parts of the receipt, never its head
	// again; the print queue may itself have met the dropping printer).
	jobs, _ = f.printer.WaitJobsInOrder(1, 10*time.Second)
	for _, j := range jobs[1:] {
		if part := stripQueries(j); !bytes.Contains(big, part) || bytes.HasPrefix(big, part) {
			t.Fatalf("queued part (%d bytes) is not a later part of the receipt", len(part))
		}
	}
	n := len(f.printer.Jobs())
	waitFor(t, "the printer backoff", 10*time.Second, func() bool { return !f.m.terms[0].goOffline() })
	next := testReceipt("7002", 0)
	c2 := f.dial("till1")
	c2.Write(next)
	c2.CloseWrite()
	jobs, err = f.printer.WaitJobs(n+1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jobs[n], next) {
		t.Fatalf("next receipt printed as %d bytes", len(jobs[n]))
	}
}
