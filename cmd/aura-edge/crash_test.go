package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
)

// orderJSON is a valid Aura order with the given terminal order number.
func orderJSON(ext string) []byte {
	return []byte(fmt.Sprintf(`{"source":{"vendor":"local","external_id":%q,"version":"1"},"state":"completed","currency":"USD",
	"created_at":"2026-11-23T09:30:00Z","line_items":[{"id":"li1","name":"Latte","quantity":1,"unit_price":{"amount":450,"currency":"USD"}}],
	"totals":{"subtotal":{"amount":450,"currency":"USD"},"total":{"amount":450,"currency":"USD"}}}`, ext))
}

// createToken runs `aura-edge token create` while no daemon holds the store.
func createToken(t *testing.T, cfg, role string) string {
	t.Helper()
	out, err := exec.Command(binPath, "token", "create", "--role", role, "--name", "test-"+role, "--config", cfg).Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestCrashLosesNothing is the power-cut test: the daemon runs as a
// subprocess, terminals post orders from several goroutines, the daemon is
// killed with SIGKILL at a random moment, restarted, and killed again, a
// few rounds. Every order that got a 202 must reach the cloud subscriber.
// Duplicates (possible only across a crash: at-least-once) are reported.
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	broker := cloudtest.StartMochi(t)
	const storeID = "crash-store"
	sub := cloudtest.Subscribe(t, broker.URL(), "aura/v1/stores/"+storeID+"/events/orders", cloudtest.SubscriberOptions{})
	dataDir := t.TempDir()
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf("store_id: %s\ndata_dir: %s\napi:\n  listen: %s\ncloud:\n  broker: %s\n  reconnect_max: 2s\nlog:\n  level: warn\n",
		storeID, dataDir, addr, broker.URL()))
	token := createToken(t, cfg, "terminal")

	var mu sync.Mutex
	acked := map[string]string{} // external id -> Aura id, for every 202
	attempted := 0
	client := &http.Client{Timeout: 5 * time.Second}
	const rounds, posters = 4, 8
	for round := 0; round < rounds; round++ {
		cmd, logs := startDaemon(t, cfg, addr)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for p := 0; p < posters; p++ {
			wg.Add(1)
			go func(p int) {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					ext := fmt.Sprintf("r%d-p%d-%05d", round, p, i)
					req, _ := http.NewRequest("POST", "http://"+addr+"/v1/orders", bytes.NewReader(orderJSON(ext)))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					mu.Lock()
					attempted++
					mu.Unlock()
					resp, err := client.Do(req)
					if err != nil {
						continue // the daemon died mid-request: not acknowledged
					}
					var body struct{ ID, Status string }
					json.NewDecoder(resp.Body).Decode(&body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusAccepted {
						mu.Lock()
						acked[ext] = body.ID
						mu.Unlock()
					}
				}
			}(p)
		}
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		close(stop)
		wg.Wait()
		if strings.Contains(logs.String(), "panic") {
			t.Fatalf("daemon panicked:\n%s", logs)
		}
	}
	// A final run drains what the killed runs left buffered.
	cmd, logs := startDaemon(t, cfg, addr)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	want := map[string]bool{}
	for _, id := range acked {
		want[id] = true
	}
	var dups int
	missing := func() int {
		_, dups = sub.UniqueIDs("aura/v1/stores/" + storeID + "/events/orders")
		got := map[string]bool{}
		for _, env := range sub.Envelopes("aura/v1/stores/" + storeID + "/events/orders") {
			got[env.Subject] = true
		}
		n := 0
		for id := range want {
			if !got[id] {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(60 * time.Second)
	for missing() > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if n := missing(); n > 0 {
		t.Fatalf("%d of %d acknowledged orders never reached the cloud\nlogs:\n%s", n, len(want), logs)
	}
	if len(want) < rounds*10 {
		t.Fatalf("only %d orders acknowledged: the test did not exercise much", len(want))
	}
	t.Logf("crash test: %d rounds of kill -9, %d posts, %d acknowledged, all %d delivered, %d duplicate deliveries",
		rounds, attempted, len(acked), len(want), dups)
	fmt.Fprintf(os.Stderr, "crash test: %d rounds of kill -9, %d posts, %d acknowledged, all delivered, %d duplicate deliveries\n",
		rounds, attempted, len(acked), dups)
}
