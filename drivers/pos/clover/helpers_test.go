package clover_test

import (
	"context"
	"flag"
	"log/slog"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/adaptertest"
	"github.com/auraconnect/aura-edge/drivers/pos/clover"
	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// t0 is the fixed test time.
var t0 = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

// clock is the settable clock the adapter and the stand-in share.
type clock = testkit.Clock

func newClock() *clock { return testkit.NewClock(t0) }

// syncBuffer collects log output from concurrent goroutines.
type syncBuffer = testkit.SyncBuffer

type env struct {
	srv   *clovertest.Server
	a     *clover.Adapter
	state *pos.MemState
	clock *clock
	logs  *syncBuffer
	cfg   pos.Config
}

// setup starts a stand-in and an adapter pointed at it. edit may change the
// config before the adapter is built.
func setup(t *testing.T, edit func(*pos.Config), opts ...clovertest.Option) *env {
	t.Helper()
	c := newClock()
	srv := clovertest.Start(t, append([]clovertest.Option{clovertest.WithClock(c.Now)}, opts...)...)
	e := &env{srv: srv, state: pos.NewMemState(), clock: c, logs: &syncBuffer{}}
	settings := srv.Settings()
	settings["max_rps"] = "1000" // tests need not crawl at 16 req/s
	e.cfg = pos.Config{
		IntegrationID: "int-clover-1",
		Credentials:   srv.Credentials(),
		Settings:      settings,
		State:         e.state,
		Logger:        slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:           c.Now,
	}
	if edit != nil {
		edit(&e.cfg)
	}
	e.a = e.newAdapter(t)
	return e
}

func (e *env) newAdapter(t *testing.T) *clover.Adapter {
	t.Helper()
	a, err := clover.NewAdapter(e.cfg)
	if err != nil {
		t.Fatalf("NewAdapter: %v", err)
	}
	return a
}

// loadMenu reads the fixture menu testdata/menu.json.
func loadMenu(t *testing.T) *model.Menu { return adaptertest.LoadMenu(t) }

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testkit.Golden(t, name, got, *update)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// statuses renders results as "kind/aura_id" -> status.
var statuses = adaptertest.Statuses

func vendorID(t *testing.T, rs []pos.ObjectResult, kind pos.ObjectKind, auraID string) string {
	t.Helper()
	for _, r := range rs {
		if r.Kind == kind && r.AuraID == auraID {
			return r.VendorID
		}
	}
	t.Fatalf("no result for %s %s", kind, auraID)
	return ""
}
