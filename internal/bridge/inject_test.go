package bridge_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/auraconnect/aura-edge/drivers/pos/square"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest/squarespec"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

type jobEnv struct {
	b   *bridge.Bridge
	srv *squaretest.Server
	db  *store.DB
	ob  *outbox.Outbox
	al  *audit.Logger
}

func newJobEnv(t *testing.T, maxAttempts int) *jobEnv {
	t.Helper()
	spec, err := squarespec.Load()
	if err != nil {
		t.Fatal(err)
	}
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
	srv := squaretest.Start(t, squaretest.WithValidator(spec))
	if _, err := ins.Connect("sq-1", "square", "Square", map[string]secrets.Secret{"access_token": squaretest.DefaultAccessToken},
		map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": srv.URL(), "write_retries": "0"}); err != nil {
		t.Fatal(err)
	}
	b := bridge.New(bridge.Deps{DB: db, Integrations: ins, Audit: al, Scheduler: sched, Log: log, Outbox: ob,
		Schedules: map[string]bridge.Schedule{"sq-1": {MaxAttempts: maxAttempts}}, JobBackoff: 10 * time.Millisecond})
	menu := &model.Menu{ID: "m", Version: "v1", Currency: "USD", Name: "Café", Items: []model.Item{{ID: "item-latte", Name: "Latte",
		Variations: []model.Variation{{ID: "var-latte", Name: "12oz", Price: model.M(450, "USD")}}}}}
	if res, err := b.PushMenu(context.Background(), menu, "sq-1", false, "test"); err != nil || res[0].Status != "success" {
		t.Fatalf("push: %+v %v", res, err)
	}
	return &jobEnv{b: b, srv: srv, db: db, ob: ob, al: al}
}

func latteOrder(id string) *model.Order {
	return &model.Order{ID: id, Source: model.Source{Vendor: "aura", ExternalID: id, Version: "1"}, State: model.OrderOpen, Currency: "USD",
		CreatedAt: time.Now().UTC().Truncate(time.Second),
		LineItems: []model.LineItem{{ID: "l1", ItemID: "item-latte", VariationID: "var-latte", Name: "Latte", Quantity: model.Q(1), UnitPrice: model.M(450, "USD")}},
		Totals:    model.Totals{Subtotal: model.M(450, "USD"), Total: model.M(450, "USD")}}
}

func (e *jobEnv) wait(t *testing.T, id string, cond func(bridge.JobOutcome) bool) bridge.JobOutcome {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j, err := e.b.Job(id)
		if err != nil {
			t.Fatal(err)
		}
		if j != nil && cond(j.Outcome) {
			return j.Outcome
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: %+v", id, j)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestInjectRetriesThenSucceeds: Square answers 503 twice; the job stays
// pending, each failed attempt is audited as retrying, the third attempt
// creates the order, and one outcome event is queued.
func TestInjectRetriesThenSucceeds(t *testing.T) {
	e := newJobEnv(t, 5)
	e.srv.FailNext(2, squaretest.Fault{Status: 503, Category: "API_ERROR", Code: "SERVICE_UNAVAILABLE", Path: "/v2/orders"})
	out, err := e.b.InjectOrder(context.Background(), "cmd-retry", "sq-1", latteOrder("ord-r"), nil, "test")
	if err != nil || out.Status != bridge.JobPending {
		t.Fatalf("first attempt: %+v %v", out, err)
	}
	out = e.wait(t, "cmd-retry", bridge.JobOutcome.Final)
	if out.Status != bridge.JobDone || out.Attempts != 3 || out.VendorOrderID == "" {
		t.Fatalf("outcome: %+v", out)
	}
	if n := len(e.srv.OrdersByReference("ord-r")); n != 1 {
		t.Errorf("%d orders at Square", n)
	}
	recs, _ := e.al.Query(audit.Filter{Type: "order_inject"})
	// The success record follows the stored outcome.
	for deadline := time.Now().Add(10 * time.Second); len(recs) < 3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		recs, _ = e.al.Query(audit.Filter{Type: "order_inject"})
	}
	retrying := 0
	for _, r := range recs {
		if r.Status == audit.Retrying {
			retrying++
		}
	}
	if retrying != 2 {
		t.Errorf("%d retrying audit records, want 2: %+v", retrying, recs)
	}
	if n := e.outcomeEvents(t, "cmd-retry"); n != 1 {
		t.Errorf("%d outcome events, want 1", n)
	}
	// The same id again: the stored outcome, no call.
	before := len(e.srv.Requests())
	again, err := e.b.InjectOrder(context.Background(), "cmd-retry", "sq-1", latteOrder("ord-r"), nil, "test")
	if err != nil || !again.Existing || again.VendorOrderID != out.VendorOrderID || len(e.srv.Requests()) != before {
		t.Errorf("repeat: %+v %v", again, err)
	}
}

// TestInjectHonoursRetryAfter: Square answers 429 with Retry-After: 1
// twice; each retry of the job comes after the second the vendor asked for,
// not after the job backoff (10 ms here), which it would otherwise use.
func TestInjectHonoursRetryAfter(t *testing.T) {
	e := newJobEnv(t, 5)
	e.srv.FailNext(2, squaretest.RateLimited("1"))
	start := time.Now()
	out, err := e.b.InjectOrder(context.Background(), "cmd-ra", "sq-1", latteOrder("ord-ra"), nil, "test")
	if err != nil || out.Status != bridge.JobPending {
		t.Fatalf("first attempt: %+v %v", out, err)
	}
	out = e.wait(t, "cmd-ra", bridge.JobOutcome.Final)
	took := time.Since(start)
	if out.Status != bridge.JobDone || out.Attempts != 3 {
		t.Fatalf("outcome: %+v", out)
	}
	if took < 2*time.Second || took > 5*time.Second {
		t.Errorf("two 429s with Retry-After: 1 took %s to get past, want 2-5 s", took.Round(time.Millisecond))
	}
	if n := len(e.srv.OrdersByReference("ord-ra")); n != 1 {
		t.Errorf("%d orders at Square", n)
	}
}

// TestInjectDeadLetter: a vendor that keeps failing ends the job as a dead
// letter after max_attempts, audited as failed.
func TestInjectDeadLetter(t *testing.T) {
	e := newJobEnv(t, 3)
	e.srv.FailNext(10, squaretest.Fault{Status: 500, Category: "API_ERROR", Code: "INTERNAL_SERVER_ERROR", Path: "/v2/orders"})
	if _, err := e.b.InjectOrder(context.Background(), "cmd-dead", "sq-1", latteOrder("ord-d"), nil, "test"); err != nil {
		t.Fatal(err)
	}
	out := e.wait(t, "cmd-dead", bridge.JobOutcome.Final)
	if out.Status != bridge.JobDeadLetter || out.Attempts != 3 {
		t.Fatalf("outcome: %+v", out)
	}
	// The outcome is stored before it is audited: wait for the record.
	deadline := time.Now().Add(10 * time.Second)
	for {
		recs, _ := e.al.Query(audit.Filter{Type: "order_inject", Status: audit.Failed})
		if len(recs) == 1 && strings.Contains(recs[0].Message, "dead_letter") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed audit record for the dead letter: %+v", recs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := e.outcomeEvents(t, "cmd-dead"); n != 1 {
		t.Errorf("%d outcome events", n)
	}
}

// TestInjectUnknownIntegration: a job for an integration that does not
// exist is an error, nothing stored.
func TestInjectUnknownIntegration(t *testing.T) {
	e := newJobEnv(t, 3)
	if _, err := e.b.InjectOrder(context.Background(), "cmd-x", "nope", latteOrder("ord-x"), nil, "test"); err == nil {
		t.Fatal("unknown integration accepted")
	}
	if j, _ := e.b.Job("cmd-x"); j != nil {
		t.Errorf("job stored: %+v", j)
	}
}

func (e *jobEnv) outcomeEvents(t *testing.T, id string) int {
	t.Helper()
	n := 0
	entries, err := e.ob.Peek(outbox.CmdResults, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		var o bridge.JobOutcome
		if en.Subject == id && json.Unmarshal(en.Data, &o) == nil {
			n++
		}
	}
	return n
}
