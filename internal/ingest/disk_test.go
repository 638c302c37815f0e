package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
	"github.com/auraconnect/aura-edge/internal/testkit"
)

func fsFree(t *testing.T, dir string) int64 {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// fill captures orders until the outbox refuses one; it returns how many
// were acknowledged and the refusal.
func fill(t *testing.T, in *Ingest, tag string, max int) (int, error) {
	t.Helper()
	note := strings.Repeat("n", 3000)
	for i := 0; i < max; i++ {
		var batch []model.Order
		for j := 0; j < 10; j++ {
			batch = append(batch, order(model.Source{Vendor: "local", ExternalID: fmt.Sprintf("%s-%d-%d", tag, i, j)}, note))
		}
		if _, err := in.Capture(context.Background(), batch, nil); err != nil {
			return i * 10, err
		}
	}
	return max * 10, nil
}

func drain(t *testing.T, ob *outbox.Outbox) int {
	t.Helper()
	n := 0
	for _, s := range outbox.Streams {
		for {
			rows, err := ob.Peek(s, 0, 500)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 {
				break
			}
			seqs := make([]uint64, len(rows))
			for i, r := range rows {
				seqs[i] = r.Seq
			}
			if err := ob.Ack(s, seqs); err != nil {
				t.Fatal(err)
			}
			n += len(rows)
		}
	}
	return n
}

// TestFullDiskComesBack fills a small real file system while the cloud is
// away: the disk floor refuses orders (a 503 reason, no path). Once the
// backlog drains, capture works again at once (the drained rows are free
// pages inside the store file and count as free), and compaction gives the
// space back to the file system.
func TestFullDiskComesBack(t *testing.T) {
	dir := testkit.MountTmpfs(t, 40<<20)
	// Another program's file (logs, say) takes part of the disk.
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 16<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, "data"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := outbox.Config{MinFreeBytes: 4 << 20, CriticalFreeBytes: 4 << 20, DiskCheckEvery: -1, CompactMinBytes: 1 << 20}
	ob, err := outbox.Open(db, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	in := New(db, ob, slog.New(slog.DiscardHandler))

	acked, err := fill(t, in, "offline", 100000)
	if !errors.Is(err, outbox.ErrDiskLow) || strings.Contains(err.Error(), dir) {
		t.Fatalf("after %d orders: %v (want a disk-low refusal that does not name the path)", acked, err)
	}
	t.Logf("offline: %d orders acknowledged, then %q; file %d bytes, file system free %d", acked, err, db.Size(), fsFree(t, dir))
	if n := drain(t, ob); n < acked {
		t.Fatalf("drained %d of %d", n, acked)
	}
	// Capture works again at once: the file's free pages count.
	if again, err := fill(t, in, "online", 20); err != nil {
		t.Fatalf("after draining, order %d refused: %v (file %d bytes, %d free inside, file system %d free)",
			again, err, db.Size(), db.FreeBytes(), fsFree(t, dir))
	}
	drain(t, ob)
	// No room for the copy of the live data (captured records stay for 90
	// days): compaction waits, nothing breaks.
	if ok, _, err := ob.MaybeCompact(context.Background()); ok || err != nil {
		t.Fatalf("compaction without room for the copy: %v %v", ok, err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	before := fsFree(t, dir)
	ok, cs, err := ob.MaybeCompact(context.Background())
	if err != nil || !ok {
		t.Fatalf("compaction: %v %v (file %d, free inside %d)", ok, err, db.Size(), db.FreeBytes())
	}
	after := fsFree(t, dir)
	t.Logf("compacted %d -> %d bytes; file system free %d -> %d", cs.Before, cs.After, before, after)
	// File sizes are logical (bbolt grows the file sparsely); the file
	// system's free space is what matters.
	if after-before < 4<<20 {
		t.Errorf("file system gained %d bytes from compacting a %d byte file to %d", after-before, cs.Before, cs.After)
	}
	if _, err := fill(t, in, "after-compaction", 20); err != nil {
		t.Fatal(err)
	}
}

// TestENOSPCIsARefusal: with the floors set to nothing, a real ENOSPC from
// the file system is a disk-low refusal with a plain reason (the API's
// 503), not an internal error naming the store file, and capture comes
// back when space is freed.
func TestENOSPCIsARefusal(t *testing.T) {
	dir := testkit.MountTmpfs(t, 16<<20)
	db, err := store.Open(filepath.Join(dir, "data"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := outbox.Config{MinFreeBytes: 1, CriticalFreeBytes: 1, DiskCheckEvery: -1, CompactMinBytes: -1}
	ob, err := outbox.Open(db, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	in := New(db, ob, slog.New(slog.DiscardHandler))
	// Another program's file takes most of the disk.
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 10<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	acked, err := fill(t, in, "full", 100000)
	if !errors.Is(err, outbox.ErrDiskLow) || strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("after %d orders: %v", acked, err)
	}
	t.Logf("%d orders acknowledged, then %q", acked, err)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := fill(t, in, "freed", 20); err != nil {
		t.Fatalf("after freeing space: %v", err)
	}
	if n := drain(t, ob); n < acked+200 {
		t.Fatalf("drained %d rows, want at least %d acknowledged", n, acked+200)
	}
}
