//go:build linux

package terminal

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

// BenchmarkPassthroughSerialReceipt is BenchmarkPassthroughReceipt for a
// till on a serial line: distinct ~400-byte receipts at 50 a second from
// a till writing to a pseudo-terminal (socat's pty pair, the cable) that
// aura-edge reads (serial://) and passes to the printer stand-in (another
// process, TCP), each captured. The baseline is the same till on its own
// cable straight to the printer (socat relaying a pty to the printer's
// TCP port), so both paths cross one socat.
func BenchmarkPassthroughSerialReceipt(b *testing.B) {
	pr := startSink(b)
	dir := b.TempDir()
	dev, peer := filepath.Join(dir, "ttyTILL"), filepath.Join(dir, "till")
	pair := startSocatAt(b, dev, peer)
	f := &fixture{t: b, dir: b.TempDir()}
	f.start([]Config{{Name: "bench", IdleCut: time.Minute, Listen: "serial://" + dev + "?baud=115200"}}, pr.url())
	waitFor(b, "the port to open", 10*time.Second, func() bool { return f.m.Status()[0].Device != "" })
	till := pair.openPeer(b)

	directPeer := filepath.Join(dir, "till-direct")
	cable := exec.Command(testkit.Need(b, "socat", "apt-get install socat"), "pty,raw,echo=0,link="+directPeer, "tcp:"+pr.addr)
	cable.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cable.Start(); err != nil {
		b.Fatalf("start socat: %v", err)
	}
	b.Cleanup(func() { cable.Process.Signal(syscall.SIGTERM); cable.Wait() })
	waitFor(b, "socat's direct link", 5*time.Second, func() bool { _, err := os.Stat(directPeer); return err == nil })
	direct, err := os.OpenFile(directPeer, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	benchVia(b, pr, f, till, direct, func(i int) []byte { return testReceipt(fmt.Sprint(300000+i), 0) }, 50)
}
