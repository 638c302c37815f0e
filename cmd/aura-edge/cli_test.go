package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestTokenAndKeyCommands runs the CLI without a daemon (it opens the
// store) and against a running daemon (through the control socket).
func TestTokenAndKeyCommands(t *testing.T) {
	dataDir := t.TempDir()
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf("store_id: s1\ndata_dir: %s\napi:\n  listen: %s\n", dataDir, addr))

	admin := createToken(t, cfg, "admin") // no daemon: straight into the store
	if !strings.HasPrefix(admin, "ae_") {
		t.Fatalf("token %q", admin)
	}
	if out, code := runBin(t, "token", "create", "--role", "chef", "--config", cfg); code != 2 || !strings.Contains(out, "role") {
		t.Fatalf("bad role: exit %d %s", code, out)
	}
	if out, code := runBin(t, "token", "create", "--config", cfg); code != 2 {
		t.Fatalf("missing --role: exit %d %s", code, out)
	}

	cmd, logs := startDaemon(t, cfg, addr)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	base := "http://" + addr
	if code := get(t, base+"/v1/queue", admin); code != 200 {
		t.Fatalf("token made offline: %d", code)
	}
	// Through the control socket while the daemon holds the store.
	staff := createToken(t, cfg, "staff")
	if code := get(t, base+"/v1/queue", staff); code != 200 {
		t.Fatalf("staff token: %d", code)
	}
	if code := get(t, base+"/integrations/pos/status", staff); code != 403 {
		t.Fatalf("staff on admin route: %d", code)
	}
	out, code := runBin(t, "token", "list", "--config", cfg)
	if code != 0 || !strings.Contains(out, "test-staff") || strings.Contains(out, staff) {
		t.Fatalf("token list: exit %d\n%s", code, out)
	}
	if out, code := runBin(t, "token", "revoke", "test-staff", "--config", cfg); code != 0 {
		t.Fatalf("revoke: exit %d %s", code, out)
	}
	if code := get(t, base+"/v1/queue", staff); code != 401 {
		t.Fatalf("revoked token still works: %d", code)
	}
	out, code = runBin(t, "queue", "stats", "--json", "--config", cfg)
	var qs struct {
		Streams []struct{ Stream string } `json:"streams"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &qs) != nil || len(qs.Streams) != 5 {
		t.Fatalf("queue stats --json: exit %d\n%s", code, out)
	}
	if out, code := runBin(t, "keys", "rotate", "--config", cfg); code != 0 || !strings.Contains(out, "rotated key") {
		t.Fatalf("keys rotate: exit %d %s", code, out)
	}
	if strings.Contains(logs.String(), staff) || strings.Contains(logs.String(), admin) {
		t.Fatal("a token is in the daemon's logs")
	}
}

// TestTokenCreateGeneratesName: --name is optional, as the help says.
func TestTokenCreateGeneratesName(t *testing.T) {
	cfg := writeConfig(t, fmt.Sprintf("store_id: s1\ndata_dir: %s\n", t.TempDir()))
	var names []string
	for range 2 {
		out, code := runBin(t, "token", "create", "--role", "staff", "--config", cfg)
		if code != 0 || !strings.Contains(out, `created staff token "staff-`) {
			t.Fatalf("token create without --name: exit %d\n%s", code, out)
		}
		names = append(names, out[strings.Index(out, `"`):])
	}
	if names[0] == names[1] {
		t.Fatalf("two generated tokens share a name: %s", names[0])
	}
}
