package custom_test

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/adaptertest"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/customtest"
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

func acmeManifest(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "acme.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type env struct {
	srv   *customtest.Server
	a     *custom.Adapter
	state *pos.MemState
	clock *clock
	logs  *syncBuffer
	cfg   pos.Config
}

// setup starts the Acme stand-in and an adapter built from
// testdata/acme.yaml pointed at it. edit may change the config (and the
// manifest, in Settings["manifest_yaml"]) before the adapter is built.
func setup(t *testing.T, edit func(*pos.Config), opts ...customtest.Option) *env {
	t.Helper()
	c := newClock()
	srv := customtest.Start(t, append([]customtest.Option{customtest.WithClock(c.Now)}, opts...)...)
	e := &env{srv: srv, state: pos.NewMemState(), clock: c, logs: &syncBuffer{}}
	settings := srv.Settings()
	settings["manifest_yaml"] = acmeManifest(t)
	e.cfg = pos.Config{
		IntegrationID: "int-acme-1",
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

func (e *env) newAdapter(t *testing.T) *custom.Adapter {
	t.Helper()
	a, err := custom.NewAdapter(e.cfg)
	if err != nil {
		t.Fatalf("NewAdapter: %v", err)
	}
	return a
}

// editManifest replaces old with new in the manifest (which must contain
// old).
func editManifest(t *testing.T, old, new string) func(*pos.Config) {
	return func(c *pos.Config) {
		m := c.Settings["manifest_yaml"]
		if !strings.Contains(m, old) {
			t.Fatalf("manifest has no %q", old)
		}
		c.Settings["manifest_yaml"] = strings.Replace(m, old, new, 1)
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// pullAll calls PullOrders until More is false and returns every page.
func pullAll(t *testing.T, a pos.Adapter, cursor []byte) ([]*pos.PullResult, []byte) {
	t.Helper()
	var pages []*pos.PullResult
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatal("PullOrders never finished")
		}
		res, err := a.PullOrders(ctx(t), cursor)
		if err != nil {
			t.Fatalf("PullOrders: %v", err)
		}
		pages = append(pages, res)
		cursor = res.Next
		if !res.More {
			return pages, cursor
		}
	}
}

func orderIDs(pages []*pos.PullResult) []string {
	var ids []string
	for _, p := range pages {
		for _, o := range p.Orders {
			ids = append(ids, o.Source.ExternalID)
		}
	}
	return ids
}

// loadMenu reads the fixture menu testdata/menu.json.
func loadMenu(t *testing.T) *model.Menu { return adaptertest.LoadMenu(t) }

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testkit.Golden(t, name, got, *update)
}

// statuses renders results as "kind/aura_id" -> status.
var statuses = adaptertest.Statuses
