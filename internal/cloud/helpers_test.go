package cloud

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

const testStore = "store-1"

// testPrefix is the default topic prefix for testStore.
var testPrefix = "aura/v1/stores/" + testStore

// testKey is the cloud's command signing key in these tests.
var testKey = ed25519.NewKeyFromSeed([]byte("aura-edge cloud test signing key"))

// otherKey is a key the store does not trust.
var otherKey = ed25519.NewKeyFromSeed([]byte("an unrelated ed25519 signing key"))

func testKeyB64() string {
	return base64.StdEncoding.EncodeToString(testKey.Public().(ed25519.PublicKey))
}

// testConfig is a config for broker url with fast reconnects.
func testConfig(url string) Config {
	return Config{
		Broker:         url,
		KeepAlive:      2 * time.Second,
		ConnectTimeout: 3 * time.Second,
		ReconnectMin:   20 * time.Millisecond,
		ReconnectMax:   200 * time.Millisecond,
		StatusInterval: time.Hour,
		CommandKeys:    []string{testKeyB64()},
		CommandTimeout: 5 * time.Second,
	}
}

// env is a store, a real outbox and a Client, wired as the daemon does.
type env struct {
	t      testing.TB
	db     *store.DB
	ob     *outbox.Outbox
	c      *Client
	logs   *logRecorder
	audits *auditRecorder

	cancel context.CancelFunc
	done   chan error
}

func newEnv(t testing.TB, cfg Config, mod func(*Deps)) *env {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newEnvDB(t, db, cfg, mod)
}

func newEnvDB(t testing.TB, db *store.DB, cfg Config, mod func(*Deps)) *env {
	t.Helper()
	ob, err := outbox.Open(db, outbox.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, ob: ob, logs: newLogRecorder(t), audits: &auditRecorder{}}
	deps := Deps{StoreID: testStore, DB: db, Queue: ob, Log: e.logs.logger(), Version: "test", Audit: e.audits.record}
	if mod != nil {
		mod(&deps)
	}
	e.c, err = New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) start() {
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done = make(chan error, 1)
	go func() { e.done <- e.c.Run(ctx) }()
	e.t.Cleanup(e.stop)
}

// stop cancels Run and waits for it (idempotent).
func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	e.cancel = nil
	select {
	case err := <-e.done:
		if err != nil {
			e.t.Errorf("Run returned %v", err)
		}
	case <-time.After(20 * time.Second):
		e.t.Errorf("Run did not return after cancel")
	}
}

// appendN appends n rows to stream (in appends of up to 50 entries) and
// returns their ids in order.
func (e *env) appendN(stream outbox.Stream, n int, tag string) []string {
	e.t.Helper()
	ids := make([]string, 0, n)
	for i := 0; i < n; {
		var batch []outbox.Entry
		for ; i < n && len(batch) < 50; i++ {
			batch = append(batch, outbox.Entry{
				Stream: stream, Type: "com.auraconnect.test.v1", Subject: fmt.Sprintf("%s-%d", tag, i%7),
				Data: []byte(fmt.Sprintf(`{"tag":%q,"n":%d}`, tag, i)),
			})
		}
		as, err := e.ob.Append(context.Background(), batch...)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, a := range as {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

func (e *env) depth(stream outbox.Stream) int {
	for _, s := range e.ob.Stats() {
		if s.Stream == stream {
			return s.Depth
		}
	}
	return -1
}

func (e *env) totalDepth() int {
	n := 0
	for _, s := range e.ob.Stats() {
		n += s.Depth
	}
	return n
}

// waitUntil polls cond every 20ms until it holds or timeout passes.
func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkFIFO checks that got (arrival order, duplicates allowed) holds every
// id of want, and that ids first arrived in want's order.
func checkFIFO(t testing.TB, name string, want []string, got []cloudtest.Envelope) (dups int) {
	t.Helper()
	pos := map[string]int{}
	for i, id := range want {
		pos[id] = i
	}
	seen := map[string]bool{}
	next := 0
	for _, e := range got {
		if seen[e.ID] {
			dups++
			continue
		}
		seen[e.ID] = true
		p, ok := pos[e.ID]
		if !ok {
			t.Fatalf("%s: unexpected id %s", name, e.ID)
		}
		if p != next {
			t.Fatalf("%s: FIFO broken: id #%d arrived first where #%d was due", name, p, next)
		}
		next++
	}
	if next != len(want) {
		t.Fatalf("%s: got %d of %d ids", name, next, len(want))
	}
	return dups
}

// logRecorder is a slog handler that keeps every record (and logs it to
// the test with -v).
type logRecorder struct {
	t    testing.TB
	mu   sync.Mutex
	recs []string
}

func newLogRecorder(t testing.TB) *logRecorder { return &logRecorder{t: t} }

func (l *logRecorder) logger() *slog.Logger { return slog.New(&logHandler{rec: l}) }

// has reports whether some record contains every part.
func (l *logRecorder) has(parts ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.recs {
		ok := true
		for _, p := range parts {
			if !strings.Contains(r, p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (l *logRecorder) count(parts ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(r, p)
		}
		if ok {
			n++
		}
	}
	return n
}

func (l *logRecorder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.recs, "\n")
}

type logHandler struct {
	rec   *logRecorder
	attrs []slog.Attr
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.rec.mu.Lock()
	h.rec.recs = append(h.rec.recs, b.String())
	h.rec.mu.Unlock()
	if testing.Verbose() {
		h.rec.t.Log(b.String())
	}
	return nil
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &logHandler{rec: h.rec, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *logHandler) WithGroup(string) slog.Handler { return h }

type auditRecorder struct {
	mu  sync.Mutex
	evs []AuditEvent
}

func (a *auditRecorder) record(ev AuditEvent) {
	a.mu.Lock()
	a.evs = append(a.evs, ev)
	a.mu.Unlock()
}

func (a *auditRecorder) forID(id string) []AuditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []AuditEvent
	for _, ev := range a.evs {
		if ev.CommandID == id {
			out = append(out, ev)
		}
	}
	return out
}

// results decodes the cmd-results received by sub for command id.
func results(sub *cloudtest.Subscriber, id string) []Result {
	var out []Result
	for _, e := range sub.Envelopes(testPrefix + "/cmd-results") {
		if e.Subject != id {
			continue
		}
		var r Result
		if json.Unmarshal(e.Data, &r) == nil {
			out = append(out, r)
		}
	}
	return out
}

// resultIDs returns the CloudEvents ids of the result envelopes for the
// command id, in arrival order.
func resultIDs(sub *cloudtest.Subscriber, id string) []string {
	var out []string
	for _, e := range sub.Envelopes(testPrefix + "/cmd-results") {
		if e.Subject == id {
			out = append(out, e.ID)
		}
	}
	return out
}
