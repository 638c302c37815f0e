package testkit

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// PtyPair is two pseudo-terminals joined by socat, like a null-modem
// cable: bytes written to one end come out of the other. Dev is the end
// the code under test opens, Peer the one the test plays the device on.
// Killing it is an adapter pulled out (both ends hang up); SocatAt on the
// same paths again is the adapter plugged back in.
type PtyPair struct {
	Dev, Peer string
	cmd       *exec.Cmd
}

var ptyLine = regexp.MustCompile(`PTY is (/dev/\S+)`)

// Socat starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and reads the
// two /dev/pts paths from its log. It fails the test when socat is missing
// and CI=true, and skips it otherwise; socat is stopped when the test ends.
func Socat(tb testing.TB) *PtyPair {
	tb.Helper()
	path := Need(tb, "socat", "apt-get install socat")
	cmd := exec.Command(path, "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0")
	killWithTest(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start socat: %v", err)
	}
	p := &PtyPair{cmd: cmd}
	tb.Cleanup(p.Kill)
	paths := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := ptyLine.FindStringSubmatch(sc.Text()); m != nil {
				paths <- m[1]
			}
		}
	}()
	timeout := time.After(10 * time.Second)
	for _, end := range []*string{&p.Dev, &p.Peer} {
		select {
		case *end = <-paths:
		case <-timeout:
			tb.Fatal("socat did not report two PTYs within 10s")
		}
	}
	p.waitPaths(tb)
	return p
}

// SocatAt starts socat joining two pseudo-terminals linked at the fixed
// paths dev and peer (a device name the code under test is configured
// with), and waits until both links exist.
func SocatAt(tb testing.TB, dev, peer string) *PtyPair {
	tb.Helper()
	path := Need(tb, "socat", "apt-get install socat")
	cmd := exec.Command(path, "pty,raw,echo=0,link="+dev, "pty,raw,echo=0,link="+peer)
	killWithTest(cmd)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start socat: %v", err)
	}
	p := &PtyPair{Dev: dev, Peer: peer, cmd: cmd}
	tb.Cleanup(p.Kill)
	p.waitPaths(tb)
	return p
}

// waitPaths waits for both ends to exist: socat reports (or links) the
// PTYs before it starts relaying.
func (p *PtyPair) waitPaths(tb testing.TB) {
	tb.Helper()
	WaitFor(tb, "socat's pseudo-terminals "+p.Dev+" and "+p.Peer, 10*time.Second, func() bool {
		_, e1 := os.Stat(p.Dev)
		_, e2 := os.Stat(p.Peer)
		return e1 == nil && e2 == nil
	})
}

// Kill stops socat: both pseudo-terminals hang up. It is safe to call more
// than once.
func (p *PtyPair) Kill() {
	if p.cmd.Process == nil || p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
}

// OpenPeer opens the far end for the test to play the device; it is
// closed when the test ends.
func (p *PtyPair) OpenPeer(tb testing.TB) *os.File {
	tb.Helper()
	f, err := os.OpenFile(p.Peer, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Fatalf("open the device side %s: %v", p.Peer, err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}
