package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// BenchmarkIdleRSS reports the resident memory of an idle daemon: the real
// binary, started on an empty data dir with no broker, measured 3 s after
// it is ready.
//
//	go test -run '^$' -bench IdleRSS -benchtime 1x ./cmd/aura-edge
func BenchmarkIdleRSS(b *testing.B) {
	for i := 0; i < b.N; i++ {
		dataDir := b.TempDir()
		addr := freeAddrTB(b)
		cfg := writeConfigTB(b, fmt.Sprintf("store_id: s1\ndata_dir: %s\napi:\n  listen: %s\nlog:\n  level: warn\n", dataDir, addr))
		cmd, _ := startDaemon(b, cfg, addr)
		time.Sleep(3 * time.Second)
		rss, err := vmRSS(cmd.Process.Pid)
		if err != nil {
			b.Skip("no /proc:", err)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		b.ReportMetric(float64(rss)/1024, "rss-MiB")
	}
}

// vmRSS reads VmRSS (KiB) from /proc/<pid>/status.
func vmRSS(pid int) (int64, error) { return procStatus(pid, "VmRSS:") }

// procStatus reads one KiB field (field ends with ':') from /proc/<pid>/status.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s", field)
}

// BenchmarkIdleRSS1M reports the resident memory of the idle daemon (the
// real binary, no broker, 3 s after it is ready) on a store holding
// 1,000,000 buffered order events (~110 bytes each), beside the same
// daemon on an empty store, alternating, in the same run: rss-MiB (1M),
// empty-rss-MiB and their ratio (target ≤ 1.1). VmRSS counts the pages of
// the memory-mapped store file the daemon touched; anon-MiB is the heap
// and stacks alone (RssAnon).
//
//	go test -run '^$' -bench IdleRSS1M -benchtime 1x ./cmd/aura-edge
func BenchmarkIdleRSS1M(b *testing.B) {
	const rows = 1_000_000
	full := b.TempDir()
	fillOutbox(b, full, rows)
	b.ResetTimer()
	var rss, rssEmpty, anon, anonEmpty float64
	for i := 0; i < b.N; i++ {
		r, a := idleRSS(b, b.TempDir())
		rssEmpty, anonEmpty = rssEmpty+r, anonEmpty+a
		r, a = idleRSS(b, full)
		rss, anon = rss+r, anon+a
	}
	n := float64(b.N)
	b.ReportMetric(rss/n, "rss-MiB")
	b.ReportMetric(rssEmpty/n, "empty-rss-MiB")
	b.ReportMetric(rss/rssEmpty, "ratio")
	b.ReportMetric(anon/n, "anon-MiB")
	b.ReportMetric(anonEmpty/n, "empty-anon-MiB")
}

// idleRSS starts the daemon on dataDir and returns its VmRSS and RssAnon
// in MiB 3 s after it is ready.
func idleRSS(b *testing.B, dataDir string) (rss, anon float64) {
	addr := freeAddrTB(b)
	cfg := writeConfigTB(b, fmt.Sprintf("store_id: s1\ndata_dir: %s\napi:\n  listen: %s\nlog:\n  level: warn\n", dataDir, addr))
	cmd, _ := startDaemon(b, cfg, addr)
	time.Sleep(3 * time.Second)
	r, err := vmRSS(cmd.Process.Pid)
	if err != nil {
		b.Fatal("no /proc:", err)
	}
	a, err := procStatus(cmd.Process.Pid, "RssAnon:")
	if err != nil {
		b.Fatal("no /proc:", err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	return float64(r) / 1024, float64(a) / 1024
}

// fillOutbox writes rows buffered order events into a store in dir, as the
// capture path leaves them when the cloud link is down.
func fillOutbox(b *testing.B, dir string, rows int) {
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ob, err := outbox.Open(db, outbox.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(`{"n":"` + strings.Repeat("x", 100) + `"}`)
	for done := 0; done < rows; done += 10_000 {
		err := db.Update(func(tx *store.Tx) error {
			batch := make([]outbox.Entry, 0, 10_000)
			for i := 0; i < 10_000 && done+i < rows; i++ {
				batch = append(batch, outbox.Entry{Stream: outbox.Orders, Type: "com.auraconnect.edge.order",
					Subject: fmt.Sprintf("ord_%07d", done+i), Data: data})
			}
			_, err := ob.AppendTx(tx, batch...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := ob.MergeSubjects(context.Background()); err != nil { // as the daemon does when it stops
		b.Fatal(err)
	}
}
