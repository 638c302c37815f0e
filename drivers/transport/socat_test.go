//go:build linux

package transport_test

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// ptyPair is a pseudo-terminal pair joined by socat: bytes written to one
// end come out of the other, like a null-modem cable.
type ptyPair struct {
	dev, peer string // the two /dev/pts paths
	cmd       *exec.Cmd
}

var ptyLine = regexp.MustCompile(`PTY is (/dev/\S+)`)

// startSocat starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and reads
// the two device paths from its stderr. It skips the test when socat is
// missing, unless CI=true.
func startSocat(t *testing.T) *ptyPair {
	t.Helper()
	path, err := exec.LookPath("socat")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("socat is required in CI: %v", err)
		}
		t.Skipf("socat not installed: %v", err)
	}
	cmd := exec.Command(path, "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0")
	// Kill socat with the test binary, even when a test times out.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start socat: %v", err)
	}
	pair := &ptyPair{cmd: cmd}
	t.Cleanup(func() { pair.kill() })

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
	for _, p := range []*string{&pair.dev, &pair.peer} {
		select {
		case *p = <-paths:
		case <-timeout:
			t.Fatal("socat did not report two PTYs within 10s")
		}
	}
	// socat logs the PTYs before it starts relaying; wait for the
	// transfer loop.
	for _, p := range []string{pair.dev, pair.peer} {
		for deadline := time.Now().Add(5 * time.Second); ; {
			if _, err := os.Stat(p); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not appear", p)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return pair
}

// kill stops socat: both pseudo-terminals hang up.
func (p *ptyPair) kill() {
	if p.cmd.Process == nil || p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
}

// openPeer opens the far end for the test to play the printer.
func (p *ptyPair) openPeer(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile(p.peer, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open peer %s: %v", p.peer, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
