package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

var binPath string

// TestMain builds the real binary once; the tests run it as a subprocess.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aura-edge-bin-")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "aura-edge")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runBin(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return buf.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.String(), 0
}

func writeConfig(t *testing.T, body string) string { return writeConfigTB(t, body) }

func writeConfigTB(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "aura-edge.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExitCodes(t *testing.T) {
	good := writeConfig(t, "store_id: s1\ndata_dir: "+t.TempDir()+"\n")
	bad := writeConfig(t, "store_id: s1\nlog:\n  levle: debug\n  format: xml\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"version", []string{"version"}, 0, "aura-edge "},
		{"config ok", []string{"config", "check", "--config", good}, 0, ": ok"},
		{"config bad", []string{"config", "check", "--config", bad}, 2, bad + `:3:3: log.levle: unknown field "levle" (did you mean "level"?)`},
		{"config bad second problem", []string{"config", "check", "--config", bad}, 2, bad + `:4:11: log.format: must be text or json`},
		{"config missing", []string{"config", "check", "--config", "/nonexistent.yaml"}, 2, "no such file"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"unknown flag", []string{"version", "--frob"}, 2, "unknown flag"},
		{"extra arg", []string{"version", "x"}, 2, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runBin(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d (want %d), output:\n%s\nwant substring %q", code, tt.code, out, tt.want)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe to read while a subprocess writes it.
type syncBuffer = testkit.SyncBuffer

// startDaemon runs `aura-edge run` and waits until its API answers.
func startDaemon(t testing.TB, cfgPath, addr string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binPath, "run", "--config", cfgPath)
	logs := &syncBuffer{}
	cmd.Stdout = logs
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return cmd, logs
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("daemon did not become ready; logs:\n%s", logs.String())
	return nil, nil
}

func freeAddr(t *testing.T) string { return freeAddrTB(t) }

func freeAddrTB(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestRunStopsCleanlyOnSIGTERM(t *testing.T) {
	dataDir := t.TempDir()
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf("store_id: s1\ndata_dir: %s\napi:\n  listen: %s\n", dataDir, addr))
	cmd, logs := startDaemon(t, cfg, addr)

	// A second daemon on the same data dir fails at once with a clear message.
	cfg2 := writeConfig(t, fmt.Sprintf("store_id: s1\ndata_dir: %s\napi:\n  listen: %s\n", dataDir, freeAddr(t)))
	start := time.Now()
	out, code := runBin(t, "run", "--config", cfg2)
	want := fmt.Sprintf("data dir %s is in use by another aura-edge (pid %d)", dataDir, cmd.Process.Pid)
	if code != 1 || !strings.Contains(out, want) {
		t.Fatalf("second daemon: exit %d, output %q, want %q", code, out, want)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("second daemon took %v to fail", time.Since(start))
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("daemon did not stop within 15s of SIGTERM\n%s", logs)
	}
	if !strings.Contains(logs.String(), "store closed") {
		t.Fatalf("store not closed cleanly:\n%s", logs)
	}
	// The store is free again: a new daemon starts on the same dir.
	cmd2, _ := startDaemon(t, cfg, addr)
	cmd2.Process.Signal(syscall.SIGINT)
	if err := cmd2.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v", err)
	}
}
