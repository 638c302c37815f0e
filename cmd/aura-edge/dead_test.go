package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
)

// TestDeadLettersEndToEnd runs the daemon against a real mosquitto whose
// max_packet_size is below one captured order: the order becomes a dead
// letter after the configured strikes, the orders behind it reach the
// cloud, and an admin sees it (CLI, API, status, metrics), retries it and
// drops it, each action audited.
func TestDeadLettersEndToEnd(t *testing.T) {
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{Extra: "max_packet_size 3000\n"})
	const storeID = "dl-store"
	sub := cloudtest.Subscribe(t, mq.URL(), "aura/v1/stores/"+storeID+"/#", cloudtest.SubscriberOptions{})
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf("store_id: %s\ndata_dir: %s\napi:\n  listen: %s\n"+
		"cloud:\n  broker: %s\n  reconnect_min: 20ms\n  reconnect_max: 200ms\n  max_message_bytes: 1048576\n  poison_strikes: 2\n",
		storeID, t.TempDir(), addr, mq.URL()))
	admin := createToken(t, cfg, "admin")
	terminal := createToken(t, cfg, "terminal")
	cmd, logs := startDaemon(t, cfg, addr)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()

	post := func(ext, note string) {
		t.Helper()
		body := strings.Replace(string(orderJSON(ext)), `"state"`, fmt.Sprintf(`"note":%q,"state"`, note), 1)
		if !strings.Contains(body, `"note"`) {
			t.Fatalf("order JSON has no state field: %s", body)
		}
		req, _ := http.NewRequest("POST", "http://"+addr+"/v1/orders", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+terminal)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("capture %s: %d %s", ext, resp.StatusCode, b)
		}
	}
	post("small-1", "")
	post("big", strings.Repeat("x", 5000))
	for i := 2; i <= 6; i++ {
		post(fmt.Sprintf("small-%d", i), "")
	}
	topic := "aura/v1/stores/" + storeID + "/events/orders"
	sub.Wait(t, 30*time.Second, "the six small orders", func() bool { ids, _ := sub.UniqueIDs(topic); return len(ids) >= 6 })

	type deadList struct {
		Dead []struct {
			ID, Stream, Reason string
		} `json:"dead_letters"`
	}
	var dl deadList
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\nlogs:\n%s", what, logs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	listDead := func() deadList {
		out, code := runBin(t, "queue", "dead", "--json", "--config", cfg)
		var l deadList
		if code != 0 || json.Unmarshal([]byte(out), &l) != nil {
			t.Fatalf("queue dead --json: exit %d\n%s", code, out)
		}
		return l
	}
	waitFor("one dead letter", func() bool { dl = listDead(); return len(dl.Dead) == 1 })
	id := dl.Dead[0].ID
	if dl.Dead[0].Stream != "orders" || !strings.Contains(dl.Dead[0].Reason, "only one in flight") {
		t.Errorf("dead letter %+v", dl.Dead[0])
	}
	if out, code := runBin(t, "queue", "dead", "--config", cfg); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "queue dead retry") {
		t.Errorf("queue dead: exit %d\n%s", code, out)
	}
	sub.Wait(t, 10*time.Second, "the notice naming it", func() bool {
		for _, m := range sub.Messages("aura/v1/stores/" + storeID + "/events/sync-logs") {
			if bytes.Contains(m.Payload, []byte(id)) {
				return true
			}
		}
		return false
	})
	status := getBody(t, "http://"+addr+"/v1/status", admin)
	if !strings.Contains(status, `"outbox_dead_letters":{"orders":1}`) {
		t.Errorf("status does not show the dead letter: %s", status)
	}
	if m := getBody(t, "http://"+addr+"/metrics", admin); !strings.Contains(m, `aura_outbox_dead_letters{stream="orders"} 1`) {
		t.Errorf("metrics do not show the dead letter")
	}

	// Retry: queued again, refused again by the unchanged broker.
	if out, code := runBin(t, "queue", "dead", "retry", id, "--config", cfg); code != 0 || !strings.Contains(out, "queued "+id) {
		t.Fatalf("retry: exit %d\n%s", code, out)
	}
	waitFor("dead again after the retry", func() bool { dl = listDead(); return len(dl.Dead) == 1 && dl.Dead[0].ID == id })
	if out, code := runBin(t, "queue", "dead", "drop", id, "--config", cfg); code != 0 || !strings.Contains(out, "dropped "+id) {
		t.Fatalf("drop: exit %d\n%s", code, out)
	}
	if l := listDead(); len(l.Dead) != 0 {
		t.Fatalf("after drop: %+v", l)
	}
	if out, code := runBin(t, "queue", "dead", "drop", id, "--config", cfg); code != 2 || !strings.Contains(out, "no dead letter") {
		t.Errorf("drop twice: exit %d\n%s", code, out)
	}
	audit := getBody(t, "http://"+addr+"/v1/sync-logs?type=dead_letter", admin)
	if strings.Count(audit, `"type":"dead_letter"`) != 2 || !strings.Contains(audit, "control-socket") {
		t.Errorf("audit of retry and drop: %s", audit)
	}
	// Later orders still flow.
	post("small-7", "")
	sub.Wait(t, 10*time.Second, "an order after the drop", func() bool { ids, _ := sub.UniqueIDs(topic); return len(ids) >= 7 })
}

func getBody(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
