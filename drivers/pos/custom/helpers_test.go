package custom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/customtest"
	"github.com/auraconnect/aura-edge/internal/model"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// t0 is the fixed test time.
var t0 = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer collects log output from concurrent goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

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
	c := &clock{t: t0}
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

func loadMenu(t *testing.T) *model.Menu {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "menu.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m model.Menu
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if ps := m.Validate(); ps != nil {
		t.Fatalf("fixture menu invalid: %v", ps)
	}
	return &m
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test -update after checking the change)\n--- got ---\n%s", name, got)
	}
}

// statuses renders results as "kind/aura_id" -> status.
func statuses(rs []pos.ObjectResult) map[string]pos.Status {
	m := map[string]pos.Status{}
	for _, r := range rs {
		m[string(r.Kind)+"/"+r.AuraID] = r.Status
	}
	return m
}
