//go:build linux

package terminal

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkPassthroughSerialReceipt is BenchmarkPassthroughReceipt for a
// till on a serial line: distinct ~220-byte receipts at 50 a second from
// a till writing to a pseudo-terminal pair (socat, the cable) whose far
// end aura-edge reads (serial://) and passes to the printer stand-in
// (another process, TCP), each captured. The baseline is the same till on
// its own cable of the same kind (another socat pty pair) straight to the
// printer, which reads the far end of that cable itself: both paths cross
// one socat and two pseudo-terminals, and what is added is aura-edge and
// its TCP connection to the printer.
func BenchmarkPassthroughSerialReceipt(b *testing.B) {
	dir := b.TempDir()
	directDev, directPeer := filepath.Join(dir, "ttyPRINTER"), filepath.Join(dir, "till-direct")
	startSocatAt(b, directDev, directPeer)
	pr := startSink(b, "AURA_EDGE_TEST_SINK_TTY="+directDev)
	dev, peer := filepath.Join(dir, "ttyTILL"), filepath.Join(dir, "till")
	pair := startSocatAt(b, dev, peer)
	f := &fixture{t: b, dir: b.TempDir()}
	f.start([]Config{{Name: "bench", IdleCut: time.Minute, Listen: "serial://" + dev + "?baud=115200"}}, pr.url())
	waitFor(b, "the port to open", 10*time.Second, func() bool { return f.m.Status()[0].Device != "" })
	till := pair.openPeer(b)
	direct, err := os.OpenFile(directPeer, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	benchVia(b, pr, f, till, direct, func(i int) []byte { return testReceipt(fmt.Sprint(300000+i), 0) }, 50)
}

// BenchmarkPassthroughSerialBareReceipt is BenchmarkPassthroughSerialReceipt
// through a bare relay (bareRelay reading the serial line) instead of
// aura-edge.
func BenchmarkPassthroughSerialBareReceipt(b *testing.B) {
	dir := b.TempDir()
	directDev, directPeer := filepath.Join(dir, "ttyPRINTER"), filepath.Join(dir, "till-direct")
	startSocatAt(b, directDev, directPeer)
	pr := startSink(b, "AURA_EDGE_TEST_SINK_TTY="+directDev)
	dev, peer := filepath.Join(dir, "ttyTILL"), filepath.Join(dir, "till")
	pair := startSocatAt(b, dev, peer)
	line, err := os.OpenFile(dev, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer line.Close()
	bareRelay(b, line, pr)
	till := pair.openPeer(b)
	direct, err := os.OpenFile(directPeer, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	benchVia(b, pr, nil, till, direct, func(i int) []byte { return testReceipt(fmt.Sprint(300000+i), 0) }, 50)
}
