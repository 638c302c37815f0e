package testkit_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// A missing tool skips a test on a developer's machine and fails it in CI;
// Available says whether to run a part that needs it. The CI half runs in
// a child test process so that its failure is observed, not suffered.
func TestNeedMissingTool(t *testing.T) {
	const tool = "aura-edge-no-such-tool"
	if os.Getenv("TESTKIT_CHILD") == "need" {
		testkit.Need(t, tool, "apt-get install it")
		t.Log("Need returned")
		return
	}
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestNeedMissingTool$", "-test.v")
			cmd.Env = append(os.Environ(), "TESTKIT_CHILD=need", "CI="+ci)
			out, err := cmd.CombinedOutput()
			if ci == "true" {
				if err == nil || !strings.Contains(string(out), tool+" not installed (apt-get install it)") ||
					!strings.Contains(string(out), "required in CI") {
					t.Errorf("with CI=true a missing tool must fail the test saying what to install: %v\n%s", err, out)
				}
			} else if err != nil || !strings.Contains(string(out), "--- SKIP") {
				t.Errorf("without CI a missing tool must skip the test: %v\n%s", err, out)
			}
			if strings.Contains(string(out), "Need returned") {
				t.Errorf("Need returned for a missing tool:\n%s", out)
			}
		})
	}
	t.Setenv("CI", "")
	if testkit.Available(tool) {
		t.Error("Available: a missing tool outside CI")
	}
	if !testkit.Available("sh") {
		t.Error("Available: sh is installed")
	}
	t.Setenv("CI", "true")
	if !testkit.Available(tool) {
		t.Error("Available must be true in CI, where Need then fails")
	}
}

// A tmpfs from MountTmpfs fills up at its size: writes past it fail with
// ENOSPC.
func TestMountTmpfs(t *testing.T) {
	dir := testkit.MountTmpfs(t, 1<<20)
	f, err := os.Create(filepath.Join(dir, "fill"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	var written int
	for written <= 2<<20 {
		n, err := f.Write(chunk)
		written += n
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("write: %v, want ENOSPC", err)
			}
			break
		}
	}
	if written > 1<<20 {
		t.Errorf("wrote %d bytes to a 1 MiB tmpfs", written)
	}
}
