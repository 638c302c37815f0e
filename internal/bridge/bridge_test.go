package bridge

import (
	"encoding/binary"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auraconnect/aura-edge/internal/store"
)

// v7At returns a UUIDv7 whose timestamp is t.
func v7At(t time.Time) string {
	u := uuid.Must(uuid.NewV7())
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(u[0:6], ms[2:8])
	return u.String()
}

func TestPruneDeadLetters(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := New(Deps{DB: db, Log: slog.New(slog.DiscardHandler)})
	old, recent := v7At(time.Now().Add(-40*24*time.Hour)), v7At(time.Now().Add(-time.Hour))
	db.Update(func(tx *store.Tx) error {
		bk := tx.Bucket(store.DeadLetters, "sq-1")
		bk.Put([]byte(old), []byte(`{}`))
		return bk.Put([]byte(recent), []byte(`{}`))
	})
	if n, err := b.PruneDeadLetters(); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if _, dead := b.Queue(); dead["sq-1"] != 1 {
		t.Fatalf("dead letters left: %v", dead)
	}
}

func TestRejectLimiter(t *testing.T) {
	var l rejectLimiter
	now := time.Now()
	if _, ok := l.allow("a", now); !ok {
		t.Fatal("first rejection not allowed")
	}
	for i := 0; i < 5; i++ {
		if _, ok := l.allow("a", now.Add(time.Second)); ok {
			t.Fatal("rejection within the window allowed")
		}
	}
	if _, ok := l.allow("b", now.Add(time.Second)); !ok {
		t.Fatal("another integration limited")
	}
	if n, ok := l.allow("a", now.Add(rejectEvery+time.Second)); !ok || n != 5 {
		t.Fatalf("after the window: %d %v", n, ok)
	}
}
