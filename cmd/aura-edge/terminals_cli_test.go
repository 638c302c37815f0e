package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
)

// `aura-edge terminals` against a running daemon: each till's state and
// counts; a bad listen URL is a config error with its position.
func TestTerminalsCommand(t *testing.T) {
	printer := printertest.Start(t)
	addr, tillAddr := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf("store_id: s1\ndata_dir: %s\napi:\n  listen: %s\nprinters:\n  - name: front\n    connection: %s\nterminals:\n  - name: till1\n    listen: tcp://%s\n    printer: front\n",
		t.TempDir(), addr, printer.URL(), tillAddr))
	cmd, logs := startDaemon(t, cfg, addr)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for !printReady(tillAddr) {
		if time.Now().After(deadline) {
			t.Fatalf("terminal not listening; logs:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !printReceipt(tillAddr, tillReceipt("77")) {
		t.Fatal("print through the terminal failed")
	}
	out, code := runBin(t, "terminals", "--config", cfg)
	if code != 0 || !strings.Contains(out, "till1") || !strings.Contains(out, "listening") || !strings.Contains(out, "#77") {
		t.Fatalf("aura-edge terminals (exit %d):\n%s", code, out)
	}
	out, code = runBin(t, "terminals", "--json", "--config", cfg)
	if code != 0 || !strings.Contains(out, `"receipts": 1`) {
		t.Fatalf("aura-edge terminals --json (exit %d):\n%s", code, out)
	}

	bad := writeConfig(t, "store_id: s1\nprinters:\n  - name: front\n    connection: tcp://10.0.0.5:9100\nterminals:\n  - name: till1\n    listen: tcp://0.0.0.0\n    printer: front\n")
	out, code = runBin(t, "config", "check", "--config", bad)
	if code != 2 || !strings.Contains(out, "terminals[0].listen") || !strings.Contains(out, "tcp://HOST:PORT") {
		t.Fatalf("config check of a bad listen URL (exit %d):\n%s", code, out)
	}
}
