package clover_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/clover"
	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
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
	c := &clock{t: t0}
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

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// statuses renders results as "kind/aura_id" -> status.
func statuses(rs []pos.ObjectResult) map[string]pos.Status {
	m := map[string]pos.Status{}
	for _, r := range rs {
		m[string(r.Kind)+"/"+r.AuraID] = r.Status
	}
	return m
}

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
