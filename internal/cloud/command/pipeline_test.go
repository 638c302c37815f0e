package command

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// rig is a real store and outbox with a pipeline that has a counting
// "print" handler, wired as the link wires it.
type rig struct {
	db     *store.DB
	ob     *outbox.Outbox
	p      *Pipeline
	prints atomic.Int64
	audits []AuditEvent
}

func newRig(t *testing.T, now func() time.Time) *rig {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ob, err := outbox.Open(db, outbox.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{db: db, ob: ob}
	r.p, err = New(Config{StoreID: testStore, Keys: []string{testKeyB64()}, AllowUnsigned: allowUnsigned, Timeout: 5 * time.Second, TTL: 24 * time.Hour},
		Deps{DB: db, Queue: ob, Now: now, Audit: func(ev AuditEvent) { r.audits = append(r.audits, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	r.p.Handle("print", func(_ context.Context, cmd Command) (any, error) {
		r.prints.Add(1)
		return map[string]string{"printed": string(cmd.Data)}, nil
	})
	return r
}

// results returns the queued cmd-results rows: event id and result.
func (r *rig) results(t *testing.T) (ids []string, res []Result) {
	t.Helper()
	rows, err := r.ob.Peek(outbox.CmdResults, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		var x Result
		if err := json.Unmarshal(row.Data, &x); err != nil {
			t.Fatal(err)
		}
		ids, res = append(ids, row.ID), append(res, x)
	}
	return ids, res
}

// TestPipelineTrip follows deliveries through every step without a
// broker: a refusal at decode and at verify, a run, a redelivery that gets
// the stored result under its original event id, and an expired command.
func TestPipelineTrip(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	ok := signed(command("print", "trip-1", `{"text":"hi"}`, nil))
	r.p.Process(ctx, "print", []byte(`{"specversion":"1.0"`))                             // 1: decode
	r.p.Process(ctx, "print", marshal(t, command("print", "trip-0", `{}`, nil)))          // 2: unsigned
	r.p.Process(ctx, "print", marshal(t, ok))                                             // 3–6
	r.p.Process(ctx, "print", marshal(t, ok))                                             // replay
	r.p.Process(ctx, "menu.push", marshal(t, signed(command("menu.push", "x", "", nil)))) // unknown type
	expired := signed(command("print", "trip-2", `{}`, func(e *Envelope) { e.Expires = "2020-01-01T00:00:00Z" }))
	r.p.Process(ctx, "print", marshal(t, expired))

	ids, res := r.results(t)
	want := []struct{ id, status, code string }{
		{"", StatusError, CodeMalformed},
		{"trip-0", StatusRejected, CodeUnsigned},
		{"trip-1", StatusOK, CodeOK},
		{"trip-1", StatusOK, CodeOK},
		{"x", StatusError, CodeUnknownType},
		{"trip-2", StatusRejected, CodeExpired},
	}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(res), len(want), res)
	}
	for i, w := range want {
		if res[i].CommandID != w.id || res[i].Status != w.status || res[i].Code != w.code {
			t.Errorf("result %d: %+v, want %+v", i, res[i], w)
		}
	}
	if ids[2] != ids[3] || string(res[2].Details) != string(res[3].Details) {
		t.Errorf("redelivery got %s %s, first %s %s", ids[3], res[3].Details, ids[2], res[2].Details)
	}
	if n := r.prints.Load(); n != 1 {
		t.Errorf("handler ran %d times", n)
	}
	if len(r.audits) != len(want) || r.audits[3].Code != CodeReplayed || !r.audits[2].Signed {
		t.Errorf("audits: %+v", r.audits)
	}
}

// TestInboxPending checks the inbox: a received delivery is pending until
// Done, and an unreadable entry is dropped.
func TestInboxPending(t *testing.T) {
	r := newRig(t, nil)
	d := r.p.Receive("aura/v1/stores/store-1/cmd/print", []byte(`{}`))
	if d.Key == nil {
		t.Fatal("not stored")
	}
	if err := r.db.Update(func(tx *store.Tx) error { return tx.Bucket(InboxBucket).Put(store.U64(99), []byte("junk")) }); err != nil {
		t.Fatal(err)
	}
	got, err := r.p.Pending()
	if err != nil || len(got) != 1 || got[0].Topic != d.Topic || string(got[0].Payload) != "{}" {
		t.Fatalf("pending %+v, %v", got, err)
	}
	r.p.Done(got[0])
	if got, err := r.p.Pending(); err != nil || len(got) != 0 {
		t.Fatalf("after done: %+v, %v", got, err)
	}
	if d := r.p.Receive("t", make([]byte, MaxSize+1)); d.Key != nil {
		t.Error("an oversized delivery was stored")
	}
}

func TestPruneSeen(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	r := newRig(t, func() time.Time { return now })
	recs := map[string]seenRecord{
		"old-expired":     {State: seenDone, SeenAt: now.Add(-48 * time.Hour), Expires: now.Add(-47 * time.Hour)},
		"old-no-expiry":   {State: seenDone, SeenAt: now.Add(-48 * time.Hour)},
		"old-still-valid": {State: seenDone, SeenAt: now.Add(-48 * time.Hour), Expires: now.Add(time.Hour)},
		"recent":          {State: seenDone, SeenAt: now.Add(-time.Hour), Expires: now.Add(-time.Minute)},
	}
	for id, rec := range recs {
		if err := r.p.putSeen(id, &rec); err != nil {
			t.Fatal(err)
		}
	}
	n, err := r.p.Prune(now)
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	for id, keep := range map[string]bool{"old-expired": false, "old-no-expiry": false, "old-still-valid": true, "recent": true} {
		rec, err := r.p.seen(id)
		if err != nil || (rec != nil) != keep {
			t.Errorf("%s: kept=%v, want %v (%v)", id, rec != nil, keep, err)
		}
	}
}
