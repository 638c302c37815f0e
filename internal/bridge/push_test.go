package bridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/auraconnect/aura-edge/drivers/pos/lightspeed"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
	"github.com/auraconnect/aura-edge/internal/testkit"
)

// pushEnv is a bridge with a real scheduler, audit log and outbox on a real
// bbolt file, connected to the Lightspeed stand-in: the menu-push retry
// queue as the daemon runs it, without the daemon.
type pushEnv struct {
	b   *bridge.Bridge
	srv *lightspeedtest.Server
	al  *audit.Logger
}

const pushID = "ls-1"

func newPushEnv(t *testing.T) *pushEnv {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := secrets.LoadOrCreateKey(filepath.Join(dir, "credential.key"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	ob, err := outbox.Open(db, outbox.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	al := audit.New(db, ob, audit.Config{}, log)
	ins := integrations.New(db, keys)
	sched := scheduler.New(log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sched.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	srv := lightspeedtest.Start(t)
	creds := map[string]secrets.Secret{}
	for k, v := range srv.Credentials() {
		creds[k] = secrets.Secret(v)
	}
	if _, err := ins.Connect(pushID, "lightspeed", "Lightspeed", creds, srv.Settings("USD")); err != nil {
		t.Fatal(err)
	}
	// Pulls a day apart and no periodic catalog comparison: nothing but
	// the test and the retry queue calls the vendor.
	b := bridge.New(bridge.Deps{DB: db, Integrations: ins, Ingest: ingest.New(db, ob, log), Audit: al, Scheduler: sched, Log: log, Outbox: ob,
		Schedules: map[string]bridge.Schedule{pushID: {PollInterval: 24 * time.Hour, Jitter: time.Nanosecond, MaxAttempts: 3, DriftInterval: -1}}})
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	return &pushEnv{b: b, srv: srv, al: al}
}

// latteMenu is a one-item menu; the 12oz latte costs p12 cents.
func latteMenu(version string, p12 int64) *model.Menu {
	return &model.Menu{ID: "m", Version: version, Currency: "USD", Name: "Café", Items: []model.Item{{ID: "item-latte", Name: "Latte",
		Variations: []model.Variation{
			{ID: "var-latte-12", Name: "12oz", SKU: "LAT12", Price: model.M(p12, "USD")},
			{ID: "var-latte-16", Name: "16oz", SKU: "LAT16", Price: model.M(525, "USD")},
		}}}}
}

func (e *pushEnv) push(t *testing.T, m *model.Menu) bridge.Result {
	t.Helper()
	res, err := e.b.PushMenu(context.Background(), m, pushID, false, "test")
	if err != nil || len(res) != 1 {
		t.Fatalf("push %s: %+v %v", m.Version, res, err)
	}
	return res[0]
}

// attempts are the menu_push records of version v, oldest first, as
// attempt:status.
func (e *pushEnv) attempts(t *testing.T, v string) ([]string, []audit.Record) {
	t.Helper()
	rs, err := e.al.Query(audit.Filter{Type: "menu_push", Integration: pushID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var recs []audit.Record
	for _, r := range slices.Backward(rs) {
		var d struct{ Version string }
		if json.Unmarshal(r.Details, &d) == nil && d.Version == v || strings.Contains(r.Message, "version "+v+" moved to dead letters") {
			got = append(got, fmt.Sprintf("%d:%s", r.Attempt, r.Status))
			recs = append(recs, r)
		}
	}
	return got, recs
}

// A push that meets 429 (Retry-After: 1) and then 500 is queued, retried
// no sooner than the vendor asked, and applied on the third attempt; a
// catalog read between the fault injection and the push (a drift check)
// takes none of the faults meant for the writes. This is the bridge half
// of TestVendorsEndToEnd's 7_faults step (whose lightspeed case once
// flaked when a scheduled drift check took the 429).
func TestMenuPushRetryQueue(t *testing.T) {
	e := newPushEnv(t)
	if r := e.push(t, latteMenu("v1", 450)); r.Status != "success" {
		t.Fatalf("first push: %+v", r)
	}
	e.srv.FailNext(1, lightspeedtest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1", Method: http.MethodPut, Path: "/products"})
	e.srv.FailNext(1, lightspeedtest.Fault{Status: http.StatusInternalServerError, Method: http.MethodPut, Path: "/products"})
	if _, err := e.b.CheckDrift(context.Background(), pushID, "test"); err != nil {
		t.Errorf("catalog comparison with write faults pending: %v", err)
	}
	n := len(e.srv.Writes())
	r := e.push(t, latteMenu("v2", 475))
	if r.Status != "retrying" || !strings.Contains(r.Message, "queued") {
		t.Fatalf("push against 429: %+v", r)
	}
	if retries, _ := e.b.Queue(); retries[pushID] != 1 {
		t.Errorf("queue while retrying: %v", retries)
	}
	testkit.WaitFor(t, "the retried push to apply v2", 20*time.Second, func() bool {
		retries, _ := e.b.Queue()
		a := e.b.AppliedMenu(pushID)
		return retries[pushID] == 0 && a != nil && a.Version == "v2"
	})
	if _, dead := e.b.Queue(); dead[pushID] != 0 {
		t.Errorf("dead letters after a successful retry: %v", dead)
	}
	w := e.srv.Writes()[n:]
	if len(w) != 3 {
		t.Errorf("want the 429 write, the 500 write and the one that worked, got %d: %+v", len(w), w)
	} else if !strings.Contains(string(w[2].Body), "4.75") {
		t.Errorf("the last write does not carry the new price: %s %s %s", w[2].Method, w[2].Path, w[2].Body)
	}
	got, recs := e.attempts(t, "v2")
	if want := []string{"1:retrying", "2:retrying", "3:success"}; !slices.Equal(got, want) {
		t.Errorf("menu_push records of v2: %v, want %v", got, want)
	}
	if len(recs) >= 2 {
		if gap := recs[1].SyncedAt.Sub(recs[0].SyncedAt); gap < time.Second {
			t.Errorf("first retry came %s after a 429 with Retry-After: 1", gap.Round(time.Millisecond))
		}
	}
}

// A push that fails on every attempt moves to the dead letters after
// MaxAttempts (3), with a failed record naming it; the menu applied before
// stays applied. (No test reached a menu-push dead letter before.)
func TestMenuPushDeadLetter(t *testing.T) {
	e := newPushEnv(t)
	if r := e.push(t, latteMenu("v1", 450)); r.Status != "success" {
		t.Fatalf("first push: %+v", r)
	}
	e.srv.FailNext(3, lightspeedtest.Fault{Status: http.StatusInternalServerError, Method: http.MethodPut, Path: "/products"})
	if r := e.push(t, latteMenu("v2", 475)); r.Status != "retrying" {
		t.Fatalf("push against 500: %+v", r)
	}
	testkit.WaitFor(t, "the push to reach the dead letters", 30*time.Second, func() bool {
		retries, dead := e.b.Queue()
		return retries[pushID] == 0 && dead[pushID] == 1
	})
	if a := e.b.AppliedMenu(pushID); a == nil || a.Version != "v1" {
		t.Errorf("applied menu after a dead letter: %+v, want v1", a)
	}
	// The dead letter is stored before its record is written: wait for it.
	// The third attempt is recorded as retrying, like the ones before,
	// and then the move to the dead letters as failed.
	want := []string{"1:retrying", "2:retrying", "3:retrying", "3:failed"}
	var got []string
	if err := testkit.Wait(10*time.Second, func() bool { got, _ = e.attempts(t, "v2"); return slices.Equal(got, want) }); err != nil {
		t.Errorf("menu_push records of v2: %v, want %v", got, want)
	}
}
