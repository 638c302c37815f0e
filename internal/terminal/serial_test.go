//go:build linux

package terminal

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

// socatPair joins two pseudo-terminals at fixed link paths
// (testkit.SocatAt), like a null-modem cable between the till (peer) and
// aura-edge (dev). Killing it is an adapter pulled out; starting it again
// on the same paths, the adapter plugged back in.
type socatPair struct {
	p         *testkit.PtyPair
	dev, peer string
}

func startSocatAt(t testing.TB, dev, peer string) *socatPair {
	t.Helper()
	return &socatPair{p: testkit.SocatAt(t, dev, peer), dev: dev, peer: peer}
}

func (p *socatPair) kill() { p.p.Kill() }

func (p *socatPair) openPeer(t testing.TB) *os.File { return p.p.OpenPeer(t) }

// A till on a serial line (a socat pty pair): bytes pass through exactly,
// status answers come back over the line, and when the adapter disappears
// and returns the terminal opens it again by itself.
func TestSerialTillDisappearsAndReturns(t *testing.T) {
	dir := t.TempDir()
	dev, peer := filepath.Join(dir, "ttyTILL"), filepath.Join(dir, "till")
	pair := startSocatAt(t, dev, peer)
	f := newFixture(t, Config{Name: "serial1", Listen: "serial://" + dev + "?baud=115200", IdleCut: 200 * time.Millisecond})
	waitFor(t, "the port to open", 10*time.Second, func() bool { return f.m.Status()[0].Device != "" })
	till := pair.openPeer(t)

	r1 := testReceipt("5001", 2048)
	if _, err := till.Write(append(append([]byte(nil), r1...), 0x10, 0x04, 0x01)); err != nil {
		t.Fatal(err)
	}
	ans := make([]byte, 1)
	_ = till.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := till.Read(ans); err != nil || ans[0] != 0x12 {
		t.Fatalf("status answer over serial: %#x, %v", ans[0], err)
	}
	jobs, err := f.printer.WaitJobs(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(append([]byte(nil), r1...), 0x10, 0x04, 0x01); !bytes.Equal(jobs[0], want) {
		t.Fatalf("printer got %d bytes, want %d", len(jobs[0]), len(want))
	}

	// Pull the adapter out.
	till.Close()
	pair.kill()
	waitFor(t, "the terminal to notice", 10*time.Second, func() bool { return f.m.Status()[0].State == StateError })

	// Plug it back in.
	pair = startSocatAt(t, dev, peer)
	waitFor(t, "the port to open again", 10*time.Second, func() bool {
		st := f.m.Status()[0]
		return st.State == StateConnected
	})
	till = pair.openPeer(t)
	r2 := testReceipt("5002", 0)
	if _, err := till.Write(r2); err != nil {
		t.Fatal(err)
	}
	jobs, err = f.printer.WaitJobs(2, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jobs[1], r2) {
		t.Fatalf("after the replug the printer got %q", jobs[1])
	}
	waitFor(t, "both captures", 10*time.Second, func() bool { return len(f.receipts()) == 2 })
}

// A register's journal over serial with STX/ETX frames and an XOR
// checksum, no printer: transactions are captured, a corrupted frame is
// counted.
func TestSerialJournal(t *testing.T) {
	dir := t.TempDir()
	dev, peer := filepath.Join(dir, "ttyREG"), filepath.Join(dir, "reg")
	pair := startSocatAt(t, dev, peer)
	f := newFixture(t, Config{Name: "reg1", Mode: "journal", Listen: "serial://" + dev + "?baud=115200",
		Framing: "stx-etx", Checksum: "xor", IdleCut: 200 * time.Millisecond, KeepRaw: 5})
	waitFor(t, "the port to open", 10*time.Second, func() bool { return f.m.Status()[0].Device != "" })
	reg := pair.openPeer(t)
	var stream []byte
	for _, l := range []string{"BON 0815  03.12.2026 10:20", "1 x Espresso        2,20", "SUMME               2,20", "BAR                 2,20"} {
		stream = append(stream, frame(l, false)...)
	}
	stream = append(stream, frame("garbled", true)...)
	if _, err := reg.Write(stream); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the journal capture", 10*time.Second, func() bool { return len(f.receipts()) >= 1 })
	waitFor(t, "the bad frame count", 5*time.Second, func() bool { return f.m.Status()[0].BadFrames == 1 })
	got := f.receipts()[0]
	if !bytes.Contains([]byte(got.Text), []byte("Espresso")) {
		t.Fatalf("journal text %q", got.Text)
	}
	if jobs := f.printer.Jobs(); len(jobs) != 0 {
		t.Fatalf("journal without a printer printed %d jobs", len(jobs))
	}
}

// frame wraps a line as STX line ETX xor; bad corrupts the checksum.
func frame(line string, bad bool) []byte {
	b := append([]byte{stx}, line...)
	b = append(b, etx)
	var sum byte
	for _, c := range b[1:] {
		sum ^= c
	}
	if bad {
		sum ^= 0xFF
	}
	return append(b, sum)
}
