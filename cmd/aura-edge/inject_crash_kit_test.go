package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/testkit/cloudpeer"
)

// killingVendor is a vendor stand-in in front of which the daemon is
// killed with SIGKILL the first time the stand-in has answered a request
// that at picks, before the daemon reads the answer: the vendor has done
// the work, the daemon has recorded nothing of it.
type killingVendor struct {
	h    http.Handler
	at   func(r *http.Request, code int) bool
	mu   sync.Mutex
	kill func()
	done bool
}

func (k *killingVendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	k.h.ServeHTTP(rec, r)
	k.mu.Lock()
	kill := !k.done && k.kill != nil && k.at(r, rec.Code)
	if kill {
		k.done = true
		k.kill()
	}
	k.mu.Unlock()
	for key, v := range rec.Header() {
		w.Header()[key] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// injectCrash is an order.inject kill -9 test's world: mosquitto, the
// cloud (a peer whose commands outlive a restart), the killing vendor
// stand-in and the daemon with one integration connected to it.
type injectCrash struct {
	peer      *cloudpeer.Peer
	kv        *killingVendor
	cfg, addr string
	cmd       *exec.Cmd
	logs      *syncBuffer
}

// injectCrashVendor is the integration an injectCrash connects.
type injectCrashVendor struct {
	store, id, vendor, name string
	// h is the vendor's stand-in; the daemon dies after its answer to
	// the first request at picks.
	h  http.Handler
	at func(r *http.Request, code int) bool
	// connect gives the connect request's credentials and settings for
	// the stand-in at url.
	connect func(url string) (creds, settings map[string]string)
}

// startInjectCrash starts the daemon, waits for it online and connects
// the integration through the local API.
func startInjectCrash(t *testing.T, v injectCrashVendor) *injectCrash {
	t.Helper()
	c := &injectCrash{kv: &killingVendor{h: v.h, at: v.at}}
	hs := httptest.NewServer(c.kv)
	t.Cleanup(hs.Close)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	c.peer = cloudpeer.New(t, mq.URL(), v.store)
	c.peer.TTL = 5 * time.Minute // redelivered after a kill -9 and a restart
	c.addr = freeAddr(t)
	c.cfg = writeConfig(t, fmt.Sprintf("store_id: %s\ndata_dir: %s\napi:\n  listen: %s\ncloud:\n  broker: %s\n  reconnect_max: 2s\n  command_keys: [%q]\n"+
		"integrations:\n  - id: %s\n    vendor: %s\n    poll_interval: 24h\n    jitter: 1ns\nlog:\n  level: info\n",
		v.store, t.TempDir(), c.addr, mq.URL(), c.peer.CommandKey(), v.id, v.vendor))
	admin := createToken(t, c.cfg, "admin")

	started := time.Now().Add(-time.Second)
	c.cmd, c.logs = startDaemon(t, c.cfg, c.addr)
	c.peer.Sub.Wait(t, 20*time.Second, "daemon online", c.online(started))
	creds, settings := v.connect(hs.URL)
	body, _ := json.Marshal(map[string]any{"id": v.id, "vendor": v.vendor, "name": v.name,
		"credentials": creds, "settings": settings})
	req, _ := http.NewRequest("POST", "http://"+c.addr+"/integrations/pos/connect", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("connect: %v %v\n%s", resp, err, c.logs)
	}
	resp.Body.Close()
	return c
}

// online is true once a status says online and started after after.
func (c *injectCrash) online(after time.Time) func() bool {
	return func() bool {
		for _, m := range c.peer.Sub.Messages(c.peer.Prefix + "/status") {
			var s struct {
				Online    bool
				StartedAt time.Time `json:"started_at"`
			}
			if json.Unmarshal(m.Payload, &s) == nil && s.Online && s.StartedAt.After(after) {
				return true
			}
		}
		return false
	}
}

// send sends a signed command (again, when id was sent before).
func (c *injectCrash) send(t *testing.T, id, typ string, data any) { c.peer.Send(t, id, typ, data) }

// results are the command results and injection outcome events for
// command id so far.
func (c *injectCrash) results(id string) (rs []cloud.Result, outs []bridge.JobOutcome) {
	for _, env := range c.peer.Sub.Envelopes(c.peer.Prefix + "/cmd-results") {
		var r cloud.Result
		var o bridge.JobOutcome
		switch {
		case env.Type == cloud.ResultType && json.Unmarshal(env.Data, &r) == nil && r.CommandID == id:
			rs = append(rs, r)
		case env.Type == bridge.InjectResultType && json.Unmarshal(env.Data, &o) == nil && o.ID == id:
			outs = append(outs, o)
		}
	}
	return rs, outs
}

// killAndRestart sends order.inject inject-1 with data, waits until the
// daemon is killed behind the vendor's answer (failing with "the daemon
// never <never>"), checks that no result left before the kill, restarts
// the daemon, redelivers the command and returns the outcome events once
// there is one.
func (c *injectCrash) killAndRestart(t *testing.T, data map[string]any, never string) []bridge.JobOutcome {
	t.Helper()
	exited := make(chan struct{})
	c.kv.mu.Lock()
	c.kv.kill = func() {
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()
		close(exited)
	}
	c.kv.mu.Unlock()
	c.send(t, "inject-1", "order.inject", data)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the daemon never %s\n%s", never, c.logs)
	}
	if rs, outs := c.results("inject-1"); len(rs)+len(outs) != 0 {
		t.Fatalf("a result left before the kill: %+v %+v", rs, outs)
	}

	started := time.Now().Add(-time.Second)
	cmd2, logs2 := startDaemon(t, c.cfg, c.addr)
	t.Cleanup(func() { cmd2.Process.Signal(syscall.SIGTERM); cmd2.Wait() })
	c.peer.Sub.Wait(t, 20*time.Second, "daemon online again", c.online(started))
	c.send(t, "inject-1", "order.inject", data) // the cloud redelivers, too
	var outs []bridge.JobOutcome
	if err := c.peer.Sub.WaitErr(30*time.Second, func() bool { _, outs = c.results("inject-1"); return len(outs) > 0 }); err != nil {
		t.Fatalf("no outcome event after the restart\n%s", logs2)
	}
	return outs
}

// checkRedelivered checks that the redelivered inject-1 got a result.
func (c *injectCrash) checkRedelivered(t *testing.T) {
	t.Helper()
	if err := c.peer.Sub.WaitErr(20*time.Second, func() bool { rs, _ := c.results("inject-1"); return len(rs) >= 1 }); err != nil {
		t.Errorf("the redelivered command got no result")
	}
}
