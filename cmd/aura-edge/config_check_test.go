package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
)

// TestConfigCheckOverrides: `aura-edge config check` checks the file
// together with the settings changed at runtime, read from the running
// daemon or, when none runs, from the store, and names each stored
// change the next start would skip, and why.
func TestConfigCheckOverrides(t *testing.T) {
	pr := printertest.Start(t)
	dataDir := t.TempDir()
	addr := freeAddr(t)
	head := fmt.Sprintf("store_id: check-overrides\ndata_dir: %s\napi:\n  listen: %s\nlog:\n  level: warn\n", dataDir, addr)
	printers := fmt.Sprintf("printers:\n  - name: front\n    connection: %s\n  - name: bar\n    connection: %s\n", pr.URL(), pr.URL())
	cfg := writeConfig(t, head+printers)
	// The installer's edit: the front printer is gone.
	edited := writeConfig(t, head+fmt.Sprintf("printers:\n  - name: bar\n    connection: %s\n", pr.URL()))

	// A store without overrides: nothing to say.
	admin := createToken(t, cfg, "admin")
	if out, code := runBin(t, "config", "check", "--config", edited); code != 0 || strings.Contains(out, "runtime settings") {
		t.Fatalf("no overrides: exit %d\n%s", code, out)
	}

	cmd, logs := startDaemon(t, cfg, addr)
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/config",
		bytes.NewReader([]byte(`{"set":{"printers.front.auto_print":"customer","printers.bar.auto_print":"kitchen"},"by":"Maria"}`)))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/config: %d\n%s", resp.StatusCode, logs)
	}
	wantRefused := `printers.front.auto_print = "customer" would be refused: printers.front.auto_print: there is no printer named "front" (printers: bar)`
	for _, from := range []string{"as the running daemon reports them", "in " + dataDir} {
		out, code := runBin(t, "config", "check", "--config", edited)
		if code != 1 || !strings.Contains(out, "2 runtime settings stored ("+from+"), 1 would be skipped at the next start") ||
			!strings.Contains(out, wantRefused) || !strings.Contains(out, `{"set":{"printers.front.auto_print":null}}`) {
			t.Fatalf("edited file, overrides %s: exit %d\n%s", from, code, out)
		}
		// The file as it is keeps every stored change.
		if out, code := runBin(t, "config", "check", "--config", cfg); code != 0 || !strings.Contains(out, "2 runtime settings stored ("+from+"), 0 would be skipped") {
			t.Fatalf("unchanged file, overrides %s: exit %d\n%s", from, code, out)
		}
		if from != "in "+dataDir {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	}
}
