package cloud

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/cloud/command"
	"github.com/auraconnect/aura-edge/internal/store"
)

var cmdSeq atomic.Int64

func newCmdID(tag string) string { return fmt.Sprintf("cmd-%s-%d", tag, cmdSeq.Add(1)) }

// command builds a command envelope; sign with testKey unless key is nil.
func newCommand(typ, id, data string, mod func(*CommandEnvelope)) *CommandEnvelope {
	now := time.Now().UTC()
	env := &CommandEnvelope{
		SpecVersion: "1.0", ID: id, Source: "aura-cloud", Type: typ,
		Time: now.Format(time.RFC3339), Expires: now.Add(5 * time.Minute).Format(time.RFC3339),
		DataContentType: "application/json",
	}
	if data != "" {
		env.Data = json.RawMessage(data)
	}
	if mod != nil {
		mod(env)
	}
	return env
}

func marshal(t testing.TB, env *CommandEnvelope) []byte {
	t.Helper()
	b, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cmdRig is a mochi broker, a cloud-side peer and a running Client with a
// "print" handler that counts its runs.
type cmdRig struct {
	*env
	sub    *cloudtest.Subscriber
	prints atomic.Int64
	mu     sync.Mutex
	last   Command
}

func newCmdRig(t *testing.T, db *store.DB) *cmdRig {
	url := cloudtest.StartMochi(t).URL()
	r := &cmdRig{sub: cloudtest.Subscribe(t, url, testPrefix+"/#", cloudtest.SubscriberOptions{})}
	if db == nil {
		r.env = newEnv(t, testConfig(url), nil)
	} else {
		r.env = newEnvDB(t, db, testConfig(url), nil)
	}
	r.c.Handle("print", func(ctx context.Context, cmd Command) (any, error) {
		r.prints.Add(1)
		r.mu.Lock()
		r.last = cmd
		r.mu.Unlock()
		var p struct {
			Fail  string `json:"fail"`
			Panic bool   `json:"panic"`
		}
		_ = json.Unmarshal(cmd.Data, &p)
		switch {
		case p.Panic:
			panic("printer on fire")
		case p.Fail == "paper":
			return map[string]any{"printer": "front"}, &CommandError{Code: "paper_out", Message: "front printer is out of paper"}
		case p.Fail != "":
			return nil, errors.New(p.Fail)
		}
		return map[string]any{"printed": true, "job": cmd.ID}, nil
	})
	r.start()
	waitUntil(t, 10*time.Second, "connected", r.c.Connected)
	return r
}

func (r *cmdRig) send(t testing.TB, typ string, payload []byte) {
	t.Helper()
	if err := r.sub.Publish(testPrefix+"/cmd/"+typ, payload, false); err != nil {
		t.Fatal(err)
	}
}

// await waits for n results for id and returns them.
func (r *cmdRig) await(t testing.TB, id string, n int) []Result {
	t.Helper()
	r.sub.Wait(t, 10*time.Second, "result for "+id, func() bool { return len(results(r.sub, id)) >= n })
	return results(r.sub, id)
}

func TestCommands(t *testing.T) {
	r := newCmdRig(t, nil)
	tests := []struct {
		name       string
		typ        string // topic name
		env        *CommandEnvelope
		raw        []byte // payload instead of env
		status     string
		code       string
		printsRun  int64
		resultID   string // command_id expected when env is nil
		detailsHas string
	}{
		{name: "ping unsigned", typ: "ping", env: newCommand("ping", newCmdID("ping"), "", func(e *CommandEnvelope) { e.Expires = "" }),
			status: StatusOK, code: CodeOK, detailsHas: `"pong":true`},
		{name: "status.request", typ: "status.request", env: newCommand("status.request", newCmdID("st"), "{}", nil),
			status: StatusOK, code: CodeOK, detailsHas: `"online":true`},
		{name: "valid signed", typ: "print", env: signed(newCommand("print", newCmdID("ok"), `{"text": "hello",  "copies":2}`, nil)),
			status: StatusOK, code: CodeOK, printsRun: 1, detailsHas: `"printed":true`},
		{name: "unsigned", typ: "print", env: newCommand("print", newCmdID("unsigned"), `{"text":"x"}`, nil),
			status: StatusRejected, code: CodeUnsigned},
		{name: "wrong key", typ: "print", env: signedBy(newCommand("print", newCmdID("wrongkey"), `{"text":"x"}`, nil), false),
			status: StatusRejected, code: CodeBadSignature},
		{name: "wrong key named", typ: "print", env: signedBy(newCommand("print", newCmdID("wrongkeyid"), `{"text":"x"}`, nil), true),
			status: StatusRejected, code: CodeUnknownKey},
		{name: "altered payload", typ: "print", env: alter(signed(newCommand("print", newCmdID("altered"), `{"text":"x","copies":1}`, nil)), func(e *CommandEnvelope) {
			e.Data = json.RawMessage(`{"text":"x","copies":100}`)
		}), status: StatusRejected, code: CodeBadSignature},
		{name: "altered whitespace", typ: "print", env: alter(signed(newCommand("print", newCmdID("ws"), `{"text":"x"}`, nil)), func(e *CommandEnvelope) {
			e.Data = json.RawMessage(`{"text": "x"}`)
		}), status: StatusRejected, code: CodeBadSignature},
		{name: "expired", typ: "print", env: signed(newCommand("print", newCmdID("expired"), `{}`, func(e *CommandEnvelope) {
			e.Expires = time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
		})), status: StatusRejected, code: CodeExpired},
		{name: "signed without expires", typ: "print", env: signed(newCommand("print", newCmdID("noexp"), `{}`, func(e *CommandEnvelope) { e.Expires = "" })),
			status: StatusRejected, code: CodeExpired},
		{name: "handler error", typ: "print", env: signed(newCommand("print", newCmdID("herr"), `{"fail":"jammed"}`, nil)),
			status: StatusError, code: CodeHandler, printsRun: 1},
		{name: "handler code", typ: "print", env: signed(newCommand("print", newCmdID("paper"), `{"fail":"paper"}`, nil)),
			status: StatusError, code: "paper_out", printsRun: 1, detailsHas: `"printer":"front"`},
		{name: "handler panic", typ: "print", env: signed(newCommand("print", newCmdID("panic"), `{"panic":true}`, nil)),
			status: StatusError, code: CodeHandler, printsRun: 1},
		{name: "unknown type", typ: "frobnicate", env: signed(newCommand("frobnicate", newCmdID("unknown"), `{}`, nil)),
			status: StatusError, code: CodeUnknownType},
		{name: "topic mismatch", typ: "ping", env: newCommand("print", newCmdID("mismatch"), `{}`, nil),
			status: StatusError, code: CodeMalformed},
		{name: "malformed JSON", typ: "print", raw: []byte(`{"specversion":"1.0","id":"cmd-malformed-1","type":"print",`),
			status: StatusError, code: CodeMalformed, resultID: ""},
		{name: "duplicate member", typ: "print", raw: []byte(`{"specversion":"1.0","id":"cmd-dupmember-1","type":"print","type":"ping"}`),
			status: StatusError, code: CodeMalformed, resultID: "cmd-dupmember-1"},
		{name: "too large", typ: "print", raw: []byte(`{"specversion":"1.0","id":"cmd-large-1","type":"print","data":"` + strings.Repeat("x", MaxCommandSize) + `"}`),
			status: StatusError, code: CodeTooLarge, resultID: "cmd-large-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := r.prints.Load()
			payload, id := tt.raw, tt.resultID
			if tt.env != nil {
				payload, id = marshal(t, tt.env), tt.env.ID
			}
			r.send(t, tt.typ, payload)
			res := r.await(t, id, 1)
			got := res[len(res)-1]
			if got.Status != tt.status || got.Code != tt.code {
				t.Fatalf("result %+v, want %s/%s", got, tt.status, tt.code)
			}
			if !strings.Contains(string(got.Details), tt.detailsHas) {
				t.Errorf("details %s, want %s", got.Details, tt.detailsHas)
			}
			if n := r.prints.Load() - before; n != tt.printsRun {
				t.Errorf("print handler ran %d times, want %d", n, tt.printsRun)
			}
			if id != "" {
				evs := r.audits.forID(id)
				if len(evs) != 1 || evs[0].Status != tt.status || evs[0].Code != tt.code {
					t.Errorf("audit %+v", evs)
				}
			}
		})
	}
	// Exactly one result each, and the client is still answering.
	ping := newCommand("ping", newCmdID("after"), "", nil)
	r.send(t, "ping", marshal(t, ping))
	r.await(t, ping.ID, 1)
	time.Sleep(300 * time.Millisecond)
	for _, tt := range tests {
		if tt.env == nil {
			continue
		}
		if n := len(results(r.sub, tt.env.ID)); n != 1 {
			t.Errorf("%s: %d results, want exactly 1", tt.name, n)
		}
	}
	r.mu.Lock()
	last := r.last
	r.mu.Unlock()
	if !last.Signed || last.KeyID != command.KeyID(testKey.Public().(ed25519.PublicKey)) {
		t.Errorf("handler saw %+v", last)
	}
}

func signed(e *CommandEnvelope) *CommandEnvelope { e.Sign(testStore, testKey); return e }

// signedBy signs with a key the store does not know, with or without
// naming it.
func signedBy(e *CommandEnvelope, named bool) *CommandEnvelope {
	e.Sign(testStore, otherKey)
	if !named {
		e.KeyID = ""
	}
	return e
}

func alter(e *CommandEnvelope, f func(*CommandEnvelope)) *CommandEnvelope { f(e); return e }

// TestCommandHandlerSeesExactData checks the Command a handler gets.
func TestCommandHandlerSeesExactData(t *testing.T) {
	r := newCmdRig(t, nil)
	env := signed(newCommand("print", newCmdID("exact"), `{ "text" : "größe € <b>" }`, nil))
	r.send(t, "print", marshal(t, env))
	r.await(t, env.ID, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if string(r.last.Data) != `{ "text" : "größe € <b>" }` || r.last.ID != env.ID || r.last.Type != "print" || r.last.Time.IsZero() || r.last.Expires.IsZero() {
		t.Errorf("command %+v data %s", r.last, r.last.Data)
	}
}

// TestDuplicateCommand sends the same command twice: the handler runs once
// and the stored result is sent again, identical.
func TestDuplicateCommand(t *testing.T) {
	r := newCmdRig(t, nil)
	for _, tc := range []struct {
		typ string
		env *CommandEnvelope
	}{
		{"print", signed(newCommand("print", newCmdID("dup"), `{"text":"once"}`, nil))},
		{"ping", newCommand("ping", newCmdID("dupping"), "", nil)},
	} {
		before := r.prints.Load()
		b := marshal(t, tc.env)
		r.send(t, tc.typ, b)
		first := r.await(t, tc.env.ID, 1)[0]
		r.send(t, tc.typ, b)
		res := r.await(t, tc.env.ID, 2)
		if len(res) != 2 || !equalResults(res[0], res[1]) || !equalResults(first, res[1]) {
			t.Fatalf("%s: results differ or missing: %+v", tc.typ, res)
		}
		// The cloud drops the copy by id: the envelope id is the original's.
		if ids := resultIDs(r.sub, tc.env.ID); len(ids) != 2 || ids[0] == "" || ids[0] != ids[1] {
			t.Errorf("%s: result envelope ids %q, want one id twice", tc.typ, ids)
		}
		if tc.typ == "print" {
			if n := r.prints.Load() - before; n != 1 {
				t.Errorf("handler ran %d times, want 1", n)
			}
		}
		evs := r.audits.forID(tc.env.ID)
		if len(evs) != 2 || evs[0].Code != CodeOK || evs[1].Code != CodeReplayed || evs[1].Status != StatusRejected {
			t.Errorf("audit %+v", evs)
		}
	}
}

func equalResults(a, b Result) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// TestCommandResultSurvivesRestart executes a command, restarts the link on
// the same store and redelivers it: the stored result is re-sent, the
// handler does not run again.
func TestCommandResultSurvivesRestart(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	env := signed(newCommand("print", newCmdID("restart"), `{"text":"once"}`, nil))
	r1 := newCmdRig(t, db)
	r1.send(t, "print", marshal(t, env))
	first := r1.await(t, env.ID, 1)[0]
	r1.stop()

	r2 := newCmdRig(t, db)
	r2.send(t, "print", marshal(t, env))
	again := r2.await(t, env.ID, 1)[0]
	firstIDs := resultIDs(r1.sub, env.ID)
	againIDs := resultIDs(r2.sub, env.ID)
	if len(firstIDs) != 1 || len(againIDs) != 1 || firstIDs[0] != againIDs[0] {
		t.Errorf("result envelope ids: first %q, after restart %q", firstIDs, againIDs)
	}
	if !equalResults(first, again) {
		t.Errorf("after restart %+v, first %+v", again, first)
	}
	if r2.prints.Load() != 0 {
		t.Error("handler ran again after restart")
	}
}

// TestInterruptedCommand finds a command recorded as running by a process
// that died: it is answered "interrupted", never run again.
func TestInterruptedCommand(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	env := signed(newCommand("print", newCmdID("crash"), `{"text":"maybe"}`, nil))
	rec, _ := json.Marshal(map[string]any{"state": "running", "type": "print", "seen_at": time.Now()})
	if err := db.Update(func(tx *store.Tx) error { return tx.Bucket(store.CommandsSeen).Put([]byte(env.ID), rec) }); err != nil {
		t.Fatal(err)
	}
	r := newCmdRig(t, db)
	for i := 1; i <= 2; i++ {
		r.send(t, "print", marshal(t, env))
		res := r.await(t, env.ID, i)
		if got := res[i-1]; got.Status != StatusError || got.Code != CodeInterrupted {
			t.Fatalf("delivery %d: %+v", i, got)
		}
	}
	if r.prints.Load() != 0 {
		t.Error("interrupted command ran again")
	}
}

// TestSlowHandlerDoesNotBlock keeps one handler busy while pings are
// answered: handlers never run on paho's goroutines.
func TestSlowHandlerDoesNotBlock(t *testing.T) {
	url := cloudtest.StartMochi(t).URL()
	sub := cloudtest.Subscribe(t, url, testPrefix+"/#", cloudtest.SubscriberOptions{})
	e := newEnv(t, testConfig(url), nil)
	release := make(chan struct{})
	e.c.Handle("slow", func(ctx context.Context, cmd Command) (any, error) {
		select {
		case <-release:
			return "done", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	e.start()
	waitUntil(t, 10*time.Second, "connected", e.c.Connected)
	slow := signed(newCommand("slow", newCmdID("slow"), `{}`, nil))
	if err := sub.Publish(testPrefix+"/cmd/slow", marshal(t, slow), false); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		p := newCommand("ping", newCmdID("busy"), "", nil)
		if err := sub.Publish(testPrefix+"/cmd/ping", marshal(t, p), false); err != nil {
			t.Fatal(err)
		}
		sub.Wait(t, 10*time.Second, "pong", func() bool { return len(results(sub, p.ID)) == 1 })
	}
	close(release)
	sub.Wait(t, 10*time.Second, "slow result", func() bool { return len(results(sub, slow.ID)) == 1 })
}

// TestStatusRepublish checks that status.request and PublishStatus
// republish the retained status, and that host facts that do not encode
// never keep the status from going out.
func TestStatusRepublish(t *testing.T) {
	url := cloudtest.StartMochi(t).URL()
	sub := cloudtest.Subscribe(t, url, testPrefix+"/#", cloudtest.SubscriberOptions{})
	var bad atomic.Bool
	e := newEnv(t, testConfig(url), func(d *Deps) {
		d.Status = StatusFactsFunc(func() any {
			if bad.Load() {
				return map[string]any{"printers": make(chan int)}
			}
			return map[string]any{"printers": []map[string]any{{"name": "front", "online": true}}}
		})
	})
	e.start()
	statuses := func() int { return len(sub.Messages(testPrefix + "/status")) }
	sub.Wait(t, 10*time.Second, "first status", func() bool { return statuses() == 1 })

	req := newCommand("status.request", newCmdID("status"), "", nil)
	if err := sub.Publish(testPrefix+"/cmd/status.request", marshal(t, req), false); err != nil {
		t.Fatal(err)
	}
	sub.Wait(t, 10*time.Second, "result", func() bool { return len(results(sub, req.ID)) == 1 })
	if statuses() != 2 {
		t.Errorf("status.request published %d statuses, want 1 more", statuses()-1)
	}
	var details map[string]any
	if err := json.Unmarshal(results(sub, req.ID)[0].Details, &details); err != nil || details["online"] != true || details["printers"] == nil {
		t.Errorf("details %v, %v", details, err)
	}

	bad.Store(true)
	e.c.PublishStatus()
	sub.Wait(t, 10*time.Second, "status after PublishStatus", func() bool { return statuses() == 3 })
	if st := lastStatus(t, sub); st["online"] != true || st["printers"] != nil {
		t.Errorf("status with unencodable host facts: %v", st)
	}
	if !e.logs.has("status facts do not encode as a JSON object") {
		t.Error("no log line about the bad status facts")
	}
	if !e.c.Connected() {
		t.Error("link dropped over bad status facts")
	}
}

// TestDuplicateWhileRunning delivers a command again while its handler
// still runs: the copy waits, the handler runs once, and both deliveries
// get the same result.
func TestDuplicateWhileRunning(t *testing.T) {
	url := cloudtest.StartMochi(t).URL()
	sub := cloudtest.Subscribe(t, url, testPrefix+"/#", cloudtest.SubscriberOptions{})
	e := newEnv(t, testConfig(url), nil)
	release := make(chan struct{})
	var runs atomic.Int64
	e.c.Handle("slow", func(ctx context.Context, cmd Command) (any, error) {
		runs.Add(1)
		<-release
		return map[string]int64{"run": runs.Load()}, nil
	})
	e.start()
	waitUntil(t, 10*time.Second, "connected", e.c.Connected)
	cmd := marshal(t, signed(newCommand("slow", newCmdID("slowdup"), `{}`, nil)))
	env, _ := DecodeCommand(cmd)
	for i := 0; i < 2; i++ {
		if err := sub.Publish(testPrefix+"/cmd/slow", cmd, false); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, 5*time.Second, "handler started", func() bool { return runs.Load() == 1 })
	time.Sleep(100 * time.Millisecond) // the copy is waiting now
	close(release)
	sub.Wait(t, 10*time.Second, "two results", func() bool { return len(results(sub, env.ID)) == 2 })
	res := results(sub, env.ID)
	if !equalResults(res[0], res[1]) || res[0].Status != StatusOK {
		t.Errorf("results %+v", res)
	}
	if runs.Load() != 1 {
		t.Errorf("handler ran %d times", runs.Load())
	}
}

// TestInboxReplay: a delivery the broker saw acknowledged, left in the
// inbox by a process that died before handling it, runs once at the next
// start and gets its result; the inbox is then empty.
func TestInboxReplay(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	env := signed(newCommand("print", newCmdID("inbox"), `{"text":"after the crash"}`, nil))
	v, _ := json.Marshal(map[string]any{"topic": testPrefix + "/cmd/print", "payload": marshal(t, env)})
	if err := db.Update(func(tx *store.Tx) error { return tx.Bucket(command.InboxBucket).Put(store.U64(1), v) }); err != nil {
		t.Fatal(err)
	}
	r := newCmdRig(t, db)
	res := r.await(t, env.ID, 1)
	if res[0].Status != StatusOK || r.prints.Load() != 1 {
		t.Fatalf("replayed command: %+v, handler ran %d times", res[0], r.prints.Load())
	}
	waitUntil(t, 5*time.Second, "inbox emptied", func() bool {
		empty := true
		db.View(func(tx *store.Tx) error {
			return tx.Bucket(command.InboxBucket).ForEach(func(k, v []byte) error { empty = false; return nil })
		})
		return empty
	})
}
