package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
)

// TestSoak is `make soak`: the daemon binary under rotating faults against
// a real mosquitto and a TCP printer stand-in, then a table of what was
// acknowledged and what arrived. Faults per round, in turn: a broker flap
// during capture, a hung printer (accepts connections, answers nothing),
// a plain round, a resetting printer (every connection reset after 40
// bytes: tickets cut mid-way must end unconfirmed, never be sent again by
// themselves), and an ACL-denying broker (the orders topic denied: the
// broker acknowledges and drops; receipts mode keeps the rows, the missed
// receipts are counted, and after the ACL is fixed they arrive); every
// round ends with kill -9 during capture; round 0 also captures one order
// over the broker's max_packet_size (a poison event). The daemon runs in
// receipts mode and a goroutine plays the cloud's receipts. SOAK=short runs
// 10 rounds (CI); SOAK=long runs rounds for SOAK_DURATION (default 10m).
// Not covered yet: full disk, vendor 429/500 storms (each has its own
// test).
func TestSoak(t *testing.T) {
	mode := os.Getenv("SOAK")
	if mode == "" {
		t.Skip("set SOAK=short or SOAK=long (make soak)")
	}
	rounds, until := 10, time.Time{}
	if mode == "long" {
		d := 10 * time.Minute
		if v := os.Getenv("SOAK_DURATION"); v != "" {
			var err error
			if d, err = time.ParseDuration(v); err != nil {
				t.Fatal(err)
			}
		}
		rounds, until = 1<<30, time.Now().Add(d)
	}
	const storeID = "soak"
	prefix := "aura/v1/stores/" + storeID
	// The broker's ACL: all allowed, or (ACL round) the orders topic
	// denied; mosquitto acknowledges denied QoS 1 publishes and drops them.
	aclPath := filepath.Join(t.TempDir(), "acl")
	writeACL := func(denyOrders bool) {
		acl := "topic readwrite #\n"
		if denyOrders {
			acl = "topic read #\ntopic write " + prefix + "/+\n"
			for _, s := range []string{"payments", "sync-logs", "telemetry"} {
				acl += "topic write " + prefix + "/events/" + s + "\n"
			}
		}
		if err := os.WriteFile(aclPath, []byte(acl), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeACL(false)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{Persistence: true, Extra: "max_packet_size 8000\nacl_file " + aclPath + "\n"})
	sub := cloudtest.Subscribe(t, mq.URL(), prefix+"/events/orders", cloudtest.SubscriberOptions{Persistent: true})
	// The cloud's side of receipts mode: confirm every event id received.
	rsub := cloudtest.Subscribe(t, mq.URL(), prefix+"/events/#", cloudtest.SubscriberOptions{Persistent: true})
	rctx, rcancel := context.WithCancel(context.Background())
	var rwg sync.WaitGroup
	t.Cleanup(func() { rcancel(); rwg.Wait() })
	// SOAK_RECEIPT_DELAY (e.g. 1.5s) plays a slow cloud: each event is
	// confirmed only that long after it arrived (a busy cloud, or one that
	// confirms in large batches), longer than the daemon's 1s timeout.
	var receiptDelay time.Duration
	if v := os.Getenv("SOAK_RECEIPT_DELAY"); v != "" {
		var err error
		if receiptDelay, err = time.ParseDuration(v); err != nil {
			t.Fatalf("SOAK_RECEIPT_DELAY: %v", err)
		}
	}
	rwg.Go(func() {
		seen := map[string]int{} // envelopes confirmed per topic: every copy is confirmed, as the cloud does
		type arrival struct {
			id string
			at time.Time
		}
		var due []arrival // received, not yet confirmed (in arrival order)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-tick.C:
			}
			now := time.Now()
			for _, s := range []string{"orders", "payments", "sync-logs", "telemetry"} {
				topic := prefix + "/events/" + s
				envs := rsub.Envelopes(topic)
				for _, e := range envs[seen[topic]:] {
					due = append(due, arrival{e.ID, now})
				}
				seen[topic] = len(envs)
			}
			var ids []string
			for len(due) > 0 && now.Sub(due[0].at) >= receiptDelay {
				ids = append(ids, due[0].id)
				due = due[1:]
			}
			if len(ids) > 0 {
				b, _ := json.Marshal(map[string]any{"ids": ids})
				_ = rsub.Publish(prefix+"/receipts", b, false)
			}
		}
	})
	pr := printertest.Start(t)
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf("store_id: %s\ndata_dir: %s\napi:\n  listen: %s\nlog:\n  level: warn\n"+
		"cloud:\n  broker: %s\n  reconnect_min: 50ms\n  reconnect_max: 500ms\n  reconnect_spread: 100ms\n  max_message_bytes: 1048576\n  poison_strikes: 2\n"+
		"  receipts:\n    enabled: true\n    timeout: 1s\n"+
		"printers:\n  - name: kitchen\n    connection: %s\n    auto_print: kitchen\n",
		storeID, t.TempDir(), addr, mq.URL(), pr.URL()))
	admin := createToken(t, cfg, "admin")
	terminal := createToken(t, cfg, "terminal")

	var mu sync.Mutex
	acked := map[string]string{} // Aura id -> external id
	var poisonID string
	client := &http.Client{Timeout: 5 * time.Second}
	post := func(ext, note string) (string, bool) {
		body := string(orderJSON(ext))
		if note != "" {
			body = strings.Replace(body, `"state"`, fmt.Sprintf(`"note":%q,"state"`, note), 1)
		}
		req, _ := http.NewRequest("POST", "http://"+addr+"/v1/orders", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+terminal)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return "", false
		}
		defer resp.Body.Close()
		var r struct{ ID string }
		if resp.StatusCode != http.StatusAccepted || json.NewDecoder(resp.Body).Decode(&r) != nil {
			return "", false
		}
		return r.ID, true
	}
	var logs *syncBuffer
	round, aclDenied := 0, 0
	for ; round < rounds && (until.IsZero() || time.Now().Before(until)); round++ {
		var cmd *exec.Cmd
		cmd, logs = startDaemon(t, cfg, addr)
		if round == 0 {
			if id, ok := post("poison", strings.Repeat("x", 10000)); ok {
				mu.Lock()
				acked[id], poisonID = "poison", id
				mu.Unlock()
			}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for p := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					time.Sleep(40 * time.Millisecond) // a busy store, not a benchmark: the printer keeps up
					ext := fmt.Sprintf("r%d-p%d-%05d", round, p, i)
					if id, ok := post(ext, ""); ok {
						mu.Lock()
						acked[id] = ext
						mu.Unlock()
					}
				}
			})
		}
		switch round % 5 {
		case 0: // broker flap
			time.Sleep(300 * time.Millisecond)
			mq.Stop()
			time.Sleep(500 * time.Millisecond)
			if err := mq.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(700 * time.Millisecond)
		case 1: // hung printer
			pr.SetMode(printertest.Hung)
			time.Sleep(1500 * time.Millisecond)
		case 2: // plain
			time.Sleep(1500 * time.Millisecond)
		case 3: // resetting printer
			pr.DropAfter(40)
			time.Sleep(1500 * time.Millisecond)
		default: // ACL-denying broker: orders acknowledged by the broker and dropped
			writeACL(true)
			mq.Stop()
			if err := mq.Start(); err != nil {
				t.Fatal(err)
			}
			// The receipts that do not come are counted (before the kill
			// ends the process and its counters).
			deadline := time.Now().Add(10 * time.Second)
			for n := 0; n == 0 && time.Now().Before(deadline); {
				var h struct {
					Link struct {
						Unconfirmed uint64 `json:"unconfirmed"`
					} `json:"cloud"`
				}
				_ = json.Unmarshal([]byte(getBodyTB(t, "http://"+addr+"/v1/health", admin)), &h)
				n = int(h.Link.Unconfirmed)
				if n == 0 {
					time.Sleep(100 * time.Millisecond)
				} else {
					aclDenied += n
				}
			}
			writeACL(false)
			mq.Stop()
			if err := mq.Start(); err != nil {
				t.Fatal(err)
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if os.Getenv("SOAK_DEBUG") != "" {
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "not confirmed") || strings.Contains(l, "lost") {
					fmt.Printf("round %d: %.300s\n", round, l)
				}
			}
			_, d := sub.UniqueIDs(prefix + "/events/orders")
			fmt.Printf("round %d: duplicates so far %d\n", round, d)
		}
		close(stop)
		wg.Wait()
		pr.SetMode(printertest.Online)
		pr.DropAfter(0)
	}

	// The last run drains everything.
	cmd, logs := startDaemon(t, cfg, addr)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	want := 0
	mu.Lock()
	for id := range acked {
		if id != poisonID {
			want++
		}
	}
	mu.Unlock()
	delivered := func() map[string]int {
		got := map[string]int{}
		for _, e := range sub.Envelopes("aura/v1/stores/" + storeID + "/events/orders") {
			got[e.Subject]++
		}
		return got
	}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		got, n := delivered(), 0
		for id := range acked {
			if got[id] > 0 {
				n++
			}
		}
		if n >= want {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var dead struct {
		Dead []struct{ Subject string } `json:"dead_letters"`
	}
	deadline = time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, code := runBin(t, "queue", "dead", "--json", "--config", cfg)
		if code == 0 && json.Unmarshal([]byte(out), &dead) == nil && len(dead.Dead) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	states := map[string]int{}
	deadline = time.Now().Add(60 * time.Second)
	for {
		var jobs struct {
			Jobs []struct{ State string } `json:"jobs"`
		}
		clear(states)
		// By state: a listing holds at most 1000 jobs.
		for _, st := range []string{"queued", "printing", "printed", "unconfirmed"} {
			jb := getBodyTB(t, "http://"+addr+"/v1/print/jobs?limit=1000&state="+st, admin)
			if err := json.Unmarshal([]byte(jb), &jobs); err != nil {
				t.Fatalf("print jobs: %v", err)
			}
			states[st] = len(jobs.Jobs)
		}
		if states["queued"]+states["printing"] == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	got := delivered()
	missing, dups, deliveredN := 0, 0, 0
	for id := range acked {
		switch n := got[id]; {
		case n == 0 && id != poisonID:
			missing++
		case n > 0:
			deliveredN++
			dups += n - 1
		}
	}
	// What reached the printer: tickets in full (with their cut) and
	// connections cut mid-ticket. Each cut ticket must be an unconfirmed
	// job: had the spool sent one again by itself, it would be printed
	// and the cut copies would outnumber the unconfirmed jobs.
	full, cut := 0, 0
	for _, j := range pr.Jobs() {
		if bytes.Contains(j, []byte{0x1d, 'V'}) {
			full++
		} else {
			cut++
		}
	}
	fmt.Printf("\nsoak (%s): %d rounds (broker flap, hung printer, plain, resetting printer, ACL-denying broker; kill -9 in each), one poison order\n", mode, round)
	fmt.Printf("| acknowledged | delivered | missing | duplicates | dead letters | receipts missed (ACL) | printed | unconfirmed | queued | tickets in full | tickets cut |\n")
	fmt.Printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	fmt.Printf("| %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n\n", len(acked), deliveredN, missing, dups, len(dead.Dead),
		aclDenied, states["printed"], states["unconfirmed"], states["queued"]+states["printing"], full, cut)
	if rounds > 4 && aclDenied == 0 {
		t.Error("the ACL-denying broker round counted no missed receipt")
	}
	if cut > states["unconfirmed"] && states["unconfirmed"] < 1000 {
		t.Errorf("%d tickets were cut mid-way but only %d jobs are unconfirmed: a cut job was sent again by itself", cut, states["unconfirmed"])
	}
	if full < states["printed"] { // (at most 1000 listed: a bound, not a count, beyond that)
		t.Errorf("%d jobs are printed but only %d tickets reached the printer in full", states["printed"], full)
	}
	if rounds > 3 && cut == 0 {
		t.Error("the resetting printer cut no ticket: the scenario did not run")
	}
	if missing > 0 {
		t.Errorf("%d acknowledged orders never reached the cloud\nlogs:\n%s", missing, logs)
	}
	if poisonID != "" && (len(dead.Dead) != 1 || got[poisonID] != 0) {
		t.Errorf("poison order: %d dead letters, delivered %d times", len(dead.Dead), got[poisonID])
	}
}

func getBodyTB(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
