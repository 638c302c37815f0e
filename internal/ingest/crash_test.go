package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
	"github.com/auraconnect/aura-edge/internal/testkit"
)

const crashEnv = "INGEST_CRASH_CHILD_DIR"

// TestCrashKeepsRecords re-executes the test binary as a child that
// captures orders from 16 goroutines (each revising its own orders: a new
// order, then its second revision) while another goroutine drains the
// outbox as the cloud link does, prints every acknowledged capture, and is
// killed with SIGKILL at a random moment. After each kill every
// acknowledged order must be found by id with its latest acknowledged
// revision (or a later one that committed before the kill), whether its
// event is still queued or was delivered. Three rounds on the same file.
func TestCrashKeepsRecords(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	latest := map[string]string{} // order id -> note of its last acknowledged revision
	for round := range 3 {
		lines := runAndKill(t, dir, round)
		for _, l := range lines {
			f := strings.Fields(l) // ACK id note
			if len(f) != 3 {
				t.Fatalf("child printed %q", l)
			}
			latest[f[1]] = f[2]
		}
		t.Logf("round %d: %d captures acknowledged before SIGKILL (%d orders in all)", round, len(lines), len(latest))
		db, err := store.Open(dir, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ob, err := outbox.Open(db, outbox.Config{}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		in := New(db, ob, slog.New(slog.DiscardHandler))
		for id, note := range latest {
			o, err := in.Order(id)
			if err != nil {
				t.Errorf("acknowledged order %s lost after SIGKILL: %v", id, err)
			} else if o.Note != note && (note != "first" || o.Note != "second") {
				// A later revision may have committed without its
				// acknowledgement reaching us before the kill.
				t.Errorf("order %s after SIGKILL: revision %q, want %q or later", id, o.Note, note)
			}
		}
		db.Close()
		if t.Failed() {
			return
		}
	}
}

func runAndKill(t *testing.T, dir string, round int) []string {
	t.Helper()
	return testkit.CrashChild{Test: "TestCrashKeepsRecords",
		Env:   []string{crashEnv + "=" + dir, fmt.Sprintf("INGEST_CRASH_ROUND=%d", round)},
		Least: 200 * time.Millisecond, Spread: 400 * time.Millisecond, Fields: 3}.RunAndKill(t)
}

// crashChild captures and drains until killed, printing each acknowledged
// capture as "ACK id note".
func crashChild(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	db, err := store.Open(dir, store.Options{LockTimeout: 5 * time.Second})
	if err != nil {
		fail(err)
	}
	ob, err := outbox.Open(db, outbox.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		fail(err)
	}
	in := New(db, ob, slog.New(slog.DiscardHandler))
	round := os.Getenv("INGEST_CRASH_ROUND")
	var mu sync.Mutex
	for g := range 16 {
		go func() {
			for i := 0; ; i++ {
				src := model.Source{Vendor: "local", ExternalID: fmt.Sprintf("r%s-g%d-%d", round, g, i)}
				for _, note := range []string{"first", "second"} {
					res, err := in.Capture(context.Background(), []model.Order{order(src, note)}, nil)
					if err != nil {
						fail(err)
					}
					mu.Lock()
					os.Stdout.WriteString("ACK " + res[0].ID + " " + note + "\n") // one write per line
					mu.Unlock()
				}
			}
		}()
	}
	go func() { // the cloud link: delivered rows leave the queue
		for {
			rows, err := ob.Peek(outbox.Orders, 0, 50)
			if err != nil {
				fail(err)
			}
			seqs := make([]uint64, len(rows))
			for i, r := range rows {
				seqs[i] = r.Seq
			}
			if len(seqs) > 0 {
				if err := ob.Ack(outbox.Orders, seqs); err != nil {
					fail(err)
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	time.Sleep(60 * time.Second) // the parent kills us long before
	os.Exit(3)
}
