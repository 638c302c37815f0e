package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
)

// TestConfigSetAutoPrintSurvivesKill9: auto-print is off in the file, so
// the daemon starts without durable auto-print hooks; an admin turns it on
// with POST /v1/config (config.set), terminals post orders, and the daemon
// is killed with SIGKILL right after the last 202, while hooks are still
// queued. After a restart every acknowledged order has its receipt job:
// the hooks became durable when the setting turned auto-print on.
func TestConfigSetAutoPrintSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	pr := printertest.Start(t)
	dataDir := t.TempDir()
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf("store_id: autoprint-crash\ndata_dir: %s\napi:\n  listen: %s\nlog:\n  level: warn\n"+
		"printers:\n  - name: front\n    connection: %s\n    auto_print: none\n", dataDir, addr, pr.URL()))
	admin := createToken(t, cfg, "admin")
	terminal := createToken(t, cfg, "terminal")
	client := &http.Client{Timeout: 5 * time.Second}
	do := func(token, path string, body []byte) (int, []byte) {
		req, _ := http.NewRequest("POST", "http://"+addr+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.Bytes()
	}

	cmd, logs := startDaemon(t, cfg, addr)
	if code, body := do(admin, "/v1/config", []byte(`{"set":{"printers.front.auto_print":"customer"},"by":"test"}`)); code != http.StatusOK {
		t.Fatalf("POST /v1/config: %d %s", code, body)
	}
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	for p := 0; p < 8; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				code, body := do(terminal, "/v1/orders", orderJSON(fmt.Sprintf("ap-%d-%d", p, i)))
				var r struct{ ID string }
				if code != http.StatusAccepted || json.Unmarshal(body, &r) != nil || r.ID == "" {
					t.Errorf("order: %d %s", code, body)
					return
				}
				mu.Lock()
				ids = append(ids, r.ID)
				mu.Unlock()
			}
		}(p)
	}
	wg.Wait()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if t.Failed() {
		t.Fatalf("logs:\n%s", logs)
	}

	cmd, logs = startDaemon(t, cfg, addr)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	// Each acknowledged order has its receipt job, printed (or, for the
	// job being sent at the kill, held as unconfirmed for staff to check).
	missing := func() []string {
		var out []string
		for _, id := range ids {
			req, _ := http.NewRequest("GET", "http://"+addr+"/v1/print/jobs?order_id="+id, nil)
			req.Header.Set("Authorization", "Bearer "+admin)
			resp, err := client.Do(req)
			if err != nil {
				return []string{err.Error()}
			}
			var list struct{ Jobs []struct{ State string } }
			err = json.NewDecoder(resp.Body).Decode(&list)
			resp.Body.Close()
			if err != nil || len(list.Jobs) != 1 || (list.Jobs[0].State != "printed" && list.Jobs[0].State != "unconfirmed") {
				out = append(out, fmt.Sprintf("%s (jobs: %v)", id, list.Jobs))
			}
		}
		return out
	}
	deadline := time.Now().Add(90 * time.Second)
	for len(missing()) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if m := missing(); len(m) > 0 {
		t.Fatalf("%d of %d acknowledged orders have no receipt job after the restart, e.g. %s\nlogs:\n%s", len(m), len(ids), m[0], logs)
	}
}
