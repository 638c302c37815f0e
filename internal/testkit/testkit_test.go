package testkit_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

// Bytes written on one end of a socat pair come out of the other, both
// ways; Kill hangs both ends up.
func TestSocatPairs(t *testing.T) {
	dir := t.TempDir()
	for name, start := range map[string]func(t *testing.T) *testkit.PtyPair{
		"pts": func(t *testing.T) *testkit.PtyPair { return testkit.Socat(t) },
		"links": func(t *testing.T) *testkit.PtyPair {
			return testkit.SocatAt(t, filepath.Join(dir, "dev"), filepath.Join(dir, "peer"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := start(t)
			peer := p.OpenPeer(t)
			dev, err := os.OpenFile(p.Dev, os.O_RDWR|syscall.O_NOCTTY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer dev.Close()
			for _, dir := range []struct {
				name     string
				from, to *os.File
			}{{"dev to peer", dev, peer}, {"peer to dev", peer, dev}} {
				want := []byte("\x1b@hello " + dir.name)
				if _, err := dir.from.Write(want); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, len(want))
				dir.to.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := io.ReadFull(dir.to, got); err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s: read %q, %v; want %q", dir.name, got, err, want)
				}
			}
			p.Kill()
			p.Kill() // twice is fine
			testkit.WaitFor(t, "the hangup", 5*time.Second, func() bool {
				_, err := os.Stat(p.Dev)
				return err != nil || name == "pts" // /dev/pts entries may linger; links go
			})
		})
	}
}

func TestWait(t *testing.T) {
	n := 0
	if err := testkit.Wait(time.Second, func() bool { n++; return n == 3 }); err != nil {
		t.Fatal(err)
	}
	if err := testkit.Wait(30*time.Millisecond, func() bool { return false }); err == nil {
		t.Fatal("Wait of a condition that never holds returned nil")
	}
}
