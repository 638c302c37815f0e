package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auraconnect/aura-edge/internal/store"
	"github.com/auraconnect/aura-edge/internal/testkit"
)

// logBuf collects log output from concurrent goroutines.
type logBuf = testkit.SyncBuffer

func openDB(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// openTest opens a store and outbox in a fresh directory, closed at cleanup.
func openTest(t testing.TB, cfg Config, log *slog.Logger) (*store.DB, *Outbox) {
	t.Helper()
	db := openDB(t, t.TempDir())
	t.Cleanup(func() { db.Close() })
	o, err := Open(db, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return db, o
}

func order(subject, key, data string) Entry {
	return Entry{Stream: Orders, Type: "com.auraconnect.order.v1", Subject: subject, DedupeKey: key, Data: []byte(data)}
}

func mustAppend(t testing.TB, o *Outbox, entries ...Entry) []Appended {
	t.Helper()
	res, err := o.Append(context.Background(), entries...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// scan counts a stream's rows the slow way.
func scan(t testing.TB, db *store.DB, s Stream) (depth int, size int64, seqs []uint64) {
	t.Helper()
	err := db.View(func(tx *store.Tx) error {
		return tx.Bucket(store.Outbox, string(s), bucketRows).ForEach(func(k, v []byte) error {
			depth++
			size += int64(len(v) + keyOverhead)
			seqs = append(seqs, store.ParseU64(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return depth, size, seqs
}

func stats(o *Outbox, s Stream) StreamStats {
	return o.Stats()[s.index()]
}

func checkCounters(t testing.TB, db *store.DB, o *Outbox) {
	t.Helper()
	for _, s := range Streams {
		depth, size, _ := scan(t, db, s)
		st := stats(o, s)
		if st.Depth != depth || st.Bytes != size {
			t.Errorf("%s: counters depth=%d bytes=%d, scan depth=%d bytes=%d", s, st.Depth, st.Bytes, depth, size)
		}
	}
}

func TestFIFOPerStream(t *testing.T) {
	_, o := openTest(t, Config{}, nil)
	var want = map[Stream][]string{}
	for i := range 30 {
		s := Streams[i%3]
		data := fmt.Sprintf(`{"n":%d}`, i)
		mustAppend(t, o, Entry{Stream: s, Type: "t", Data: []byte(data)})
		want[s] = append(want[s], data)
	}
	// One call spanning streams keeps each stream's order too.
	batch := []Entry{
		{Stream: Orders, Type: "t", Data: []byte(`"a"`)},
		{Stream: Payments, Type: "t", Data: []byte(`"b"`)},
		{Stream: Orders, Type: "t", Data: []byte(`"c"`)},
	}
	res := mustAppend(t, o, batch...)
	if res[0].Seq+1 != res[2].Seq || res[0].Stream != Orders || res[1].Stream != Payments {
		t.Fatalf("multi-entry append: %+v", res)
	}
	want[Orders] = append(want[Orders], `"a"`, `"c"`)
	want[Payments] = append(want[Payments], `"b"`)

	for _, s := range []Stream{Orders, Payments, SyncLogs} {
		var got []string
		var after uint64
		for {
			rows, err := o.Peek(s, after, 4)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 {
				break
			}
			for _, r := range rows {
				if r.Seq <= after {
					t.Fatalf("%s: seq %d after %d", s, r.Seq, after)
				}
				after = r.Seq
				got = append(got, string(r.Data))
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want[s]) {
			t.Errorf("%s order:\n got %v\nwant %v", s, got, want[s])
		}
	}
}

func TestRowFields(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	_, o := openTest(t, Config{Now: func() time.Time { return now }}, nil)
	res := mustAppend(t, o, order("ord_1", "square/1/v1", `{"id":"ord_1"}`))
	rows, err := o.Peek(Orders, 0, 10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("peek: %v %v", rows, err)
	}
	r := rows[0]
	id, err := uuid.Parse(r.ID)
	if err != nil || id.Version() != 7 || r.ID != res[0].ID {
		t.Errorf("id %q (appended %q): version %d, %v", r.ID, res[0].ID, id.Version(), err)
	}
	if r.Type != "com.auraconnect.order.v1" || r.Subject != "ord_1" || r.SubjectSeq != 1 || !r.Time.Equal(now) ||
		string(r.Data) != `{"id":"ord_1"}` || r.Attempts != 0 || !r.FirstAttempt.IsZero() || r.Stream != Orders || r.Seq != 1 {
		t.Errorf("row %+v", r)
	}
}

func TestDedupe(t *testing.T) {
	tests := []struct {
		name   string
		first  []Entry
		second []Entry
		rows   int
	}{
		{"same key twice", []Entry{order("o1", "sq/1", `1`)}, []Entry{order("o1", "sq/1", `1 again`)}, 1},
		{"same key in one call", nil, []Entry{order("o1", "sq/1", `1`), order("o1", "sq/1", `1 again`)}, 1},
		{"different keys", []Entry{order("o1", "sq/1", `1`)}, []Entry{order("o1", "sq/2", `2`)}, 2},
		{"no key never dedupes", []Entry{order("o1", "", `1`)}, []Entry{order("o1", "", `1`)}, 2},
		{"key is global across streams", []Entry{order("o1", "k", `1`)},
			[]Entry{{Stream: Payments, Type: "t", DedupeKey: "k"}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, o := openTest(t, Config{}, nil)
			var all []Appended
			if tt.first != nil {
				all = append(all, mustAppend(t, o, tt.first...)...)
			}
			all = append(all, mustAppend(t, o, tt.second...)...)
			rows := 0
			for _, s := range Streams {
				d, _, _ := scan(t, db, s)
				rows += d
			}
			if rows != tt.rows {
				t.Fatalf("%d rows, want %d (%+v)", rows, tt.rows, all)
			}
			if tt.rows == 1 {
				a, b := all[0], all[len(all)-1]
				if !b.Duplicate || a.Duplicate || a.ID != b.ID || a.Seq != b.Seq || a.Stream != b.Stream || a.SubjectSeq != b.SubjectSeq {
					t.Fatalf("first %+v, duplicate %+v", a, b)
				}
			}
			checkCounters(t, db, o)
		})
	}
}

func TestDedupeSurvivesAck(t *testing.T) {
	_, o := openTest(t, Config{}, nil)
	a := mustAppend(t, o, order("o1", "sq/1", `1`))[0]
	if err := o.Ack(Orders, []uint64{a.Seq}); err != nil {
		t.Fatal(err)
	}
	b := mustAppend(t, o, order("o1", "sq/1", `1`))[0]
	if !b.Duplicate || b.ID != a.ID {
		t.Fatalf("after ack: %+v, first %+v", b, a)
	}
	if d := stats(o, Orders).Depth; d != 0 {
		t.Fatalf("depth %d", d)
	}
}

func TestSubjectSeq(t *testing.T) {
	_, o := openTest(t, Config{}, nil)
	var got []uint64
	for _, e := range []Entry{
		order("ord_1", "", `created`),
		order("ord_2", "", `created`),
		order("ord_1", "", `updated`),
		{Stream: Payments, Type: "t", Subject: "ord_1"}, // per subject across streams
		order("", "", `no subject`),
	} {
		got = append(got, mustAppend(t, o, e)[0].SubjectSeq)
	}
	if fmt.Sprint(got) != "[1 1 2 3 0]" {
		t.Fatalf("subject seqs %v", got)
	}
}

func TestAppendTx(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	rec := []byte("rec_1")
	// Commit: the caller's record and the outbox row land together.
	var res []Appended
	err := db.Update(func(tx *store.Tx) error {
		if err := tx.Bucket(store.Cursors).Put([]byte("square"), []byte("c1")); err != nil {
			return err
		}
		var err error
		res, err = o.AppendTx(tx, order("ord_1", "sq/1", `1`))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	o.Notify()
	select {
	case <-o.Ready():
	default:
		t.Fatal("Notify did not signal Ready")
	}
	if st := stats(o, Orders); st.Depth != 1 || res[0].Seq != 1 {
		t.Fatalf("after commit: %+v %+v", st, res)
	}
	// Rollback: neither the record nor the row, nor the dedupe key, nor the
	// subject counter, nor the seq survive.
	boom := errors.New("boom")
	err = db.Update(func(tx *store.Tx) error {
		if err := tx.Bucket(store.Cursors).Put(rec, []byte("c2")); err != nil {
			return err
		}
		if _, err := o.AppendTx(tx, order("ord_1", "sq/2", `2`)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	db.View(func(tx *store.Tx) error {
		if tx.Bucket(store.Cursors).Has(rec) {
			t.Error("caller's record survived the rollback")
		}
		return nil
	})
	checkCounters(t, db, o)
	if st := stats(o, Orders); st.Depth != 1 {
		t.Fatalf("after rollback depth %d", st.Depth)
	}
	again := mustAppend(t, o, order("ord_1", "sq/2", `2`))[0]
	if again.Duplicate || again.Seq != 2 || again.SubjectSeq != 2 {
		t.Fatalf("after rollback the key, seq or subject seq leaked: %+v", again)
	}
	// A read-only transaction is refused.
	err = db.View(func(tx *store.Tx) error {
		_, err := o.AppendTx(tx, order("x", "", ``))
		return err
	})
	if !errors.Is(err, store.ErrReadOnly) {
		t.Fatalf("AppendTx in View: %v", err)
	}
}

func TestReopenKeepsRowsCountersAndSequences(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	o, err := Open(db, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := mustAppend(t, o, order("ord_1", "sq/1", `1`), order("ord_1", "sq/2", `2`), order("ord_2", "sq/3", `3`))
	mustAppend(t, o, Entry{Stream: Telemetry, Type: "t", Data: []byte(`{}`)})
	if err := o.Ack(Orders, []uint64{first[0].Seq}); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkAttempt(Orders, []uint64{first[1].Seq}, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	before := o.Stats()
	rowsBefore, _ := o.Peek(Orders, 0, 100)
	db.Close()

	db = openDB(t, dir)
	defer db.Close()
	o, err = Open(db, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := o.Stats()
	for i := range before {
		b, a := before[i], after[i]
		if a.Depth != b.Depth || a.Bytes != b.Bytes || !a.Oldest.Equal(b.Oldest) || a.Dropped != b.Dropped {
			t.Errorf("%s: before %+v after %+v", b.Stream, b, a)
		}
	}
	rowsAfter, _ := o.Peek(Orders, 0, 100)
	if fmt.Sprint(rowsAfter) != fmt.Sprint(rowsBefore) {
		t.Errorf("rows changed:\n%v\n%v", rowsBefore, rowsAfter)
	}
	if rowsAfter[0].Attempts != 1 || !rowsAfter[0].LastAttempt.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("attempts lost: %+v", rowsAfter[0])
	}
	next := mustAppend(t, o, order("ord_1", "sq/4", `4`), order("ord_1", "sq/2", `dup`))
	if next[0].Seq != 4 || next[0].SubjectSeq != 3 {
		t.Errorf("sequences restarted: %+v", next[0])
	}
	if !next[1].Duplicate || next[1].ID != first[1].ID {
		t.Errorf("dedupe lost: %+v", next[1])
	}
	// The seq of an acked row is never reused, even if the stream empties.
	if err := o.Ack(Orders, []uint64{2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if a := mustAppend(t, o, order("", "", ``))[0]; a.Seq != 5 {
		t.Errorf("seq after emptying: %d", a.Seq)
	}
}

func TestConcurrentAppenders(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	const workers, each = 64, 20
	var mu sync.Mutex
	seen := map[uint64]string{}
	ids := map[string]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := order(fmt.Sprintf("ord_%d", w), fmt.Sprintf("k/%d/%d", w, i), fmt.Sprintf(`{"w":%d,"i":%d}`, w, i))
				res, err := o.Append(context.Background(), e)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if _, dup := seen[res[0].Seq]; dup || ids[res[0].ID] {
					errs <- fmt.Errorf("seq %d or id %s handed out twice", res[0].Seq, res[0].ID)
				}
				seen[res[0].Seq], ids[res[0].ID] = string(e.Data), true
				if res[0].SubjectSeq != uint64(i+1) {
					errs <- fmt.Errorf("worker %d append %d: subject seq %d", w, i, res[0].SubjectSeq)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rows, err := o.Peek(Orders, 0, workers*each+1)
	if err != nil || len(rows) != workers*each {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	for _, r := range rows {
		if seen[r.Seq] != string(r.Data) {
			t.Fatalf("seq %d holds %s, appender was told %s", r.Seq, r.Data, seen[r.Seq])
		}
	}
	checkCounters(t, db, o)
}

func TestFullStreamRefusesAndRecovers(t *testing.T) {
	var logs logBuf
	log := slog.New(slog.NewTextHandler(&logs, nil))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db, o := openTest(t, Config{Now: clock, Streams: map[Stream]Limits{Orders: {MaxRows: 100}}}, log)
	var fill []Entry
	for i := range 100 {
		fill = append(fill, order("o", fmt.Sprintf("k%d", i), `x`))
	}
	kept := mustAppend(t, o, fill...)
	now = now.Add(84 * time.Hour)
	for range 5 {
		_, err := o.Append(context.Background(), order("o", "new", `x`))
		var fe *FullError
		if !errors.Is(err, ErrFull) || !errors.As(err, &fe) {
			t.Fatalf("append to full stream: %v", err)
		}
		if fe.Stream != Orders || fe.Depth != 100 || fe.MaxRows != 100 {
			t.Fatalf("FullError %+v", fe)
		}
		want := "orders outbox is full (100 rows, oldest 3d12h): the cloud link is down or too slow; nothing was lost, new orders are refused"
		if !strings.HasPrefix(fe.Reason, want) {
			t.Fatalf("reason %q\nwant prefix %q", fe.Reason, want)
		}
	}
	// A multi-entry call is refused as a whole, even if telemetry had room.
	if _, err := o.Append(context.Background(), Entry{Stream: Telemetry, Type: "t"}, order("o", "new2", `x`)); !errors.Is(err, ErrFull) {
		t.Fatalf("mixed append: %v", err)
	}
	// A duplicate of a stored row is still answered while full.
	if res, err := o.Append(context.Background(), order("o", "k3", `x`)); err != nil || !res[0].Duplicate {
		t.Fatalf("duplicate while full: %+v %v", res, err)
	}
	st := stats(o, Orders)
	if !st.Full || st.Refused != 6 || st.Depth != 100 || !strings.Contains(st.Alarm, "is full") {
		t.Fatalf("stats %+v", st)
	}
	if n := strings.Count(logs.String(), "level=ERROR msg=\"outbox full"); n != 1 {
		t.Fatalf("%d error logs for one transition:\n%s", n, logs.String())
	}
	rows, _ := o.Peek(Orders, 0, 100)
	if len(rows) != 100 || stats(o, Telemetry).Depth != 0 {
		t.Fatalf("stored rows changed: %d", len(rows))
	}
	for i, r := range rows {
		if r.ID != kept[i].ID {
			t.Fatalf("row %d: %s, want %s", i, r.ID, kept[i].ID)
		}
	}
	// One Ack makes room for one more; the alarm clears at 95%.
	if err := o.Ack(Orders, []uint64{kept[0].Seq}); err != nil {
		t.Fatal(err)
	}
	if !stats(o, Orders).Full {
		t.Fatal("alarm cleared at 99/100 without hysteresis")
	}
	mustAppend(t, o, order("o", "new", `x`))
	if _, err := o.Append(context.Background(), order("o", "new2", `x`)); !errors.Is(err, ErrFull) {
		t.Fatalf("append beyond the freed room: %v", err)
	}
	var seqs []uint64
	for _, a := range kept[1:6] {
		seqs = append(seqs, a.Seq)
	}
	if err := o.Ack(Orders, seqs); err != nil {
		t.Fatal(err)
	}
	if st := stats(o, Orders); st.Full || st.Alarm != "" {
		t.Fatalf("alarm still raised at %d/100: %+v", st.Depth, st)
	}
	if !strings.Contains(logs.String(), `msg="outbox accepting again" component=outbox stream=orders`) {
		t.Fatalf("no recovery log:\n%s", logs.String())
	}
	checkCounters(t, db, o)
}

func TestFullByBytes(t *testing.T) {
	_, o := openTest(t, Config{Streams: map[Stream]Limits{Payments: {MaxBytes: 4096}}}, nil)
	big := Entry{Stream: Payments, Type: "t", Data: bytes.Repeat([]byte("x"), 1500)}
	mustAppend(t, o, big, big)
	_, err := o.Append(context.Background(), big)
	var fe *FullError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "(4.0 KiB limit, 2 rows") {
		t.Fatalf("got %v", err)
	}
}

func TestFullAtOpenRaisesAlarm(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	defer db.Close()
	cfg := Config{Streams: map[Stream]Limits{CmdResults: {MaxRows: 2}}}
	o, _ := Open(db, cfg, nil)
	mustAppend(t, o, Entry{Stream: CmdResults, Type: "t"}, Entry{Stream: CmdResults, Type: "t"})
	var logs logBuf
	o, err := Open(db, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !stats(o, CmdResults).Full || !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("no alarm at open: %+v\n%s", stats(o, CmdResults), logs.String())
	}
}

func TestTelemetryDropsOldest(t *testing.T) {
	db, o := openTest(t, Config{Streams: map[Stream]Limits{Telemetry: {MaxRows: 5}}}, nil)
	for i := range 8 {
		mustAppend(t, o, Entry{Stream: Telemetry, Type: "t", Data: fmt.Appendf(nil, "%d", i)})
	}
	// A single call larger than the room drops too.
	mustAppend(t, o, Entry{Stream: Telemetry, Type: "t", Data: []byte("8")}, Entry{Stream: Telemetry, Type: "t", Data: []byte("9")})
	rows, _ := o.Peek(Telemetry, 0, 100)
	var got []string
	for _, r := range rows {
		got = append(got, string(r.Data))
	}
	if fmt.Sprint(got) != "[5 6 7 8 9]" {
		t.Fatalf("kept %v", got)
	}
	st := stats(o, Telemetry)
	if st.Depth != 5 || st.Dropped != 5 || !st.Full || st.Refused != 0 {
		t.Fatalf("stats %+v", st)
	}
	checkCounters(t, db, o)
}

func TestDiskFloor(t *testing.T) {
	const floor, critical = 100 * mib, 10 * mib
	tests := []struct {
		free    uint64
		refused []Stream
	}{
		{free: 1 * gib},
		{free: 150 * mib, refused: []Stream{Telemetry}},
		{free: 50 * mib, refused: []Stream{Telemetry, SyncLogs}},
		{free: 5 * mib, refused: []Stream{Telemetry, SyncLogs, Orders, Payments, CmdResults}},
	}
	for _, tt := range tests {
		t.Run(formatBytes(tt.free), func(t *testing.T) {
			var free atomic.Uint64
			free.Store(tt.free)
			db, o := openTest(t, Config{
				MinFreeBytes: floor, CriticalFreeBytes: critical, DiskCheckEvery: -1,
				DiskFree: func(dir string) (uint64, error) { return free.Load(), nil },
			}, nil)
			for _, s := range Streams {
				_, err := o.Append(context.Background(), Entry{Stream: s, Type: "t"})
				refused := errors.Is(err, ErrDiskLow)
				if err != nil && !refused {
					t.Fatalf("%s: %v", s, err)
				}
				if want := contains(tt.refused, s); refused != want {
					t.Errorf("%s refused=%v, want %v (%v)", s, refused, want, err)
				}
				if refused && !stats(o, s).DiskLow {
					t.Errorf("%s: stats do not say disk low", s)
				}
			}
			checkCounters(t, db, o)
			// Space comes back: everything is accepted and alarms clear.
			free.Store(1 * gib)
			for _, s := range Streams {
				mustAppend(t, o, Entry{Stream: s, Type: "t"})
				if st := stats(o, s); st.DiskLow || st.Alarm != "" {
					t.Errorf("%s still alarmed: %+v", s, st)
				}
			}
		})
	}
}

// TestDiskFloorFreedComesBackAtOnce: the free-space figure is kept for
// DiskCheckEvery (an hour here), but below a floor it is measured again
// once it is nearFloorEvery old, so capture comes back right after an
// operator frees space; above every floor the long cache holds.
func TestDiskFloorFreedComesBackAtOnce(t *testing.T) {
	var free, calls atomic.Uint64
	free.Store(5 * mib)
	_, o := openTest(t, Config{
		MinFreeBytes: 100 * mib, CriticalFreeBytes: 10 * mib, DiskCheckEvery: time.Hour,
		DiskFree: func(string) (uint64, error) { calls.Add(1); return free.Load(), nil },
	}, nil)
	if _, err := o.Append(context.Background(), order("", "", ``)); !errors.Is(err, ErrDiskLow) {
		t.Fatalf("at 5 MiB free: %v, want a disk-low refusal", err)
	}
	free.Store(1 * gib) // the operator frees space
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := o.Append(context.Background(), order("", "", ``))
		if err == nil {
			break
		}
		if !errors.Is(err, ErrDiskLow) || time.Now().After(deadline) {
			t.Fatalf("after space was freed: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Above every floor the hour-long cache holds: no more measurements.
	n := calls.Load()
	for range 20 {
		mustAppend(t, o, order("", "", ``))
	}
	if got := calls.Load(); got != n {
		t.Errorf("measured free space %d more times above the floors with an hour's cache", got-n)
	}
}

func contains(ss []Stream, s Stream) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestDiskErrorDoesNotRefuse(t *testing.T) {
	_, o := openTest(t, Config{DiskFree: func(string) (uint64, error) { return 0, errors.New("statfs failed") }}, nil)
	mustAppend(t, o, order("", "", ``))
}

func TestRealDiskFree(t *testing.T) {
	free, err := diskFree(t.TempDir())
	if err != nil || free == 0 {
		t.Fatalf("diskFree = %d, %v", free, err)
	}
}

func TestCountersStayExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	db, o := openTest(t, Config{Streams: map[Stream]Limits{
		Telemetry: {MaxRows: 20}, Orders: {MaxRows: 40}, SyncLogs: {MaxBytes: 3000},
	}}, nil)
	for step := range 400 {
		s := Streams[rng.IntN(len(Streams))]
		switch rng.IntN(4) {
		case 0, 1: // append 1-3 entries, some with repeated keys
			var es []Entry
			for range 1 + rng.IntN(3) {
				key := ""
				if rng.IntN(2) == 0 {
					key = fmt.Sprintf("k%d", rng.IntN(200))
				}
				es = append(es, Entry{Stream: s, Type: "t", Subject: "s", DedupeKey: key, Data: bytes.Repeat([]byte("d"), rng.IntN(300))})
			}
			if _, err := o.Append(context.Background(), es...); err != nil && !errors.Is(err, ErrFull) {
				t.Fatal(err)
			}
		case 2: // ack a random window, with repeats and missing seqs
			rows, _ := o.Peek(s, 0, 10)
			var seqs []uint64
			for _, r := range rows {
				if rng.IntN(2) == 0 {
					seqs = append(seqs, r.Seq, r.Seq)
				}
			}
			seqs = append(seqs, 1<<40)
			if err := o.Ack(s, seqs); err != nil {
				t.Fatal(err)
			}
		case 3:
			rows, _ := o.Peek(s, 0, 5)
			var seqs []uint64
			for _, r := range rows {
				seqs = append(seqs, r.Seq)
			}
			if err := o.MarkAttempt(s, seqs, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if step%50 == 0 {
			checkCounters(t, db, o)
		}
	}
	checkCounters(t, db, o)
	if stats(o, Telemetry).Dropped == 0 {
		t.Error("the mix never dropped telemetry; widen it")
	}
}

func TestMarkAttempt(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	res := mustAppend(t, o, order("", "", `1`), order("", "", `2`))
	t1, t2 := time.Unix(1700000000, 0), time.Unix(1700000060, 0)
	if err := o.MarkAttempt(Orders, []uint64{res[0].Seq, res[1].Seq, 999}, t1); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkAttempt(Orders, []uint64{res[0].Seq}, t2); err != nil {
		t.Fatal(err)
	}
	rows, _ := o.Peek(Orders, 0, 10)
	if r := rows[0]; r.Attempts != 2 || !r.FirstAttempt.Equal(t1) || !r.LastAttempt.Equal(t2) {
		t.Errorf("row 1: %+v", r)
	}
	if r := rows[1]; r.Attempts != 1 || !r.FirstAttempt.Equal(t1) || !r.LastAttempt.Equal(t1) {
		t.Errorf("row 2: %+v", r)
	}
	checkCounters(t, db, o)
}

func TestReadyCoalesces(t *testing.T) {
	_, o := openTest(t, Config{}, nil)
	for range 3 {
		mustAppend(t, o, order("", "", ``))
	}
	select {
	case <-o.Ready():
	default:
		t.Fatal("no signal after appends")
	}
	select {
	case <-o.Ready():
		t.Fatal("signals were not coalesced")
	default:
	}
}

func TestDedupeBounds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db, o := openTest(t, Config{Now: func() time.Time { return now }, DedupeMaxAge: time.Hour, DedupeMaxKeys: 3}, nil)
	a := mustAppend(t, o, order("", "a", `a`))[0]
	mustAppend(t, o, order("", "b", `b`))
	if err := o.Ack(Orders, []uint64{a.Seq}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	mustAppend(t, o, order("", "c", `c`)) // prunes a (delivered, old); keeps b (queued)
	if res := mustAppend(t, o, order("", "b", `b`))[0]; !res.Duplicate {
		t.Fatal("the key of a queued row was forgotten")
	}
	if res := mustAppend(t, o, order("", "a", `a2`))[0]; res.Duplicate {
		t.Fatal("an old delivered key was not pruned")
	}
	// Count bound: with b delivered, adding keys keeps at most 3.
	rows, _ := o.Peek(Orders, 0, 100)
	var seqs []uint64
	for _, r := range rows {
		seqs = append(seqs, r.Seq)
	}
	if err := o.Ack(Orders, seqs); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		res := mustAppend(t, o, order("", fmt.Sprintf("n%d", i), ``))
		if err := o.Ack(Orders, []uint64{res[0].Seq}); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	db.View(func(tx *store.Tx) error {
		return tx.Bucket(store.Outbox, bucketKeys).ForEach(func(k, v []byte) error { n++; return nil })
	})
	var order int
	db.View(func(tx *store.Tx) error {
		return tx.Bucket(store.Outbox, bucketKeyOrder).ForEach(func(k, v []byte) error { order++; return nil })
	})
	if n != 3 || order != 3 {
		t.Fatalf("%d keys, %d positions, want 3", n, order)
	}
}

func TestSubjectSweep(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db, o := openTest(t, Config{Now: func() time.Time { return now }, SubjectMaxAge: time.Hour}, nil)
	mustAppend(t, o, order("old", "", ``), order("old", "", ``))
	mergeSubjects(t, o) // the sweep walks the merged index
	now = now.Add(2 * time.Hour)
	for i := range 4 {
		mustAppend(t, o, order(fmt.Sprintf("new%d", i), "", ``))
	}
	mergeSubjects(t, o)
	db.View(func(tx *store.Tx) error {
		if tx.Bucket(store.Outbox, bucketSubjects).Has([]byte("old")) {
			t.Error("idle subject not swept")
		}
		if !tx.Bucket(store.Outbox, bucketSubjects).Has([]byte("new0")) {
			t.Error("fresh subject swept")
		}
		return nil
	})
	if a := mustAppend(t, o, order("old", "", ``))[0]; a.SubjectSeq != 1 {
		t.Errorf("swept subject restarts at %d", a.SubjectSeq)
	}
}

func TestOpenRecountsBrokenCounters(t *testing.T) {
	var logs logBuf
	db, o := openTest(t, Config{}, nil)
	mustAppend(t, o, order("", "", `1`), order("", "", `2`))
	db.Update(func(tx *store.Tx) error { return counters{}.write(tx.Bucket(store.Outbox, string(Orders))) })
	o, err := Open(db, Config{}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	checkCounters(t, db, o)
	if !strings.Contains(logs.String(), "recounted") {
		t.Errorf("repair not logged: %s", logs.String())
	}
}

func TestInvalidInput(t *testing.T) {
	_, o := openTest(t, Config{}, nil)
	ctx := context.Background()
	long := strings.Repeat("x", maxKeyLength+1)
	for _, tt := range []struct {
		e    Entry
		want error
	}{
		{Entry{Stream: "bogus", Type: "t"}, ErrUnknownStream},
		{Entry{Stream: Orders}, ErrInvalidEntry},
		{Entry{Stream: Orders, Type: "t", Subject: long}, ErrInvalidEntry},
		{Entry{Stream: Orders, Type: "t", DedupeKey: long}, ErrInvalidEntry},
	} {
		if _, err := o.Append(ctx, order("", "", ``), tt.e); !errors.Is(err, tt.want) {
			t.Errorf("%+v: %v, want %v", tt.e, err, tt.want)
		}
	}
	if d := stats(o, Orders).Depth; d != 0 {
		t.Errorf("a refused call wrote %d rows", d)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := o.Append(cctx, order("", "", ``)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	if _, err := o.Peek("bogus", 0, 1); !errors.Is(err, ErrUnknownStream) {
		t.Errorf("peek: %v", err)
	}
	if _, err := o.Peek(Orders, 0, 0); err == nil {
		t.Error("peek max 0 accepted")
	}
	if err := o.Ack("bogus", []uint64{1}); !errors.Is(err, ErrUnknownStream) {
		t.Errorf("ack: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"defaults", Config{}, ""},
		{"unknown stream", Config{Streams: map[Stream]Limits{"bogus": {}}}, "unknown outbox stream"},
		{"negative", Config{Streams: map[Stream]Limits{Orders: {MaxRows: -1}}}, "must not be negative"},
		{"floors inverted", Config{MinFreeBytes: mib, CriticalFreeBytes: 2 * mib}, "must not exceed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
	d := DefaultConfig()
	if d.Streams[Orders].MaxRows != 1_000_000 || d.Streams[Telemetry].MinFreeBytes != 2*d.MinFreeBytes ||
		d.Streams[SyncLogs].MinFreeBytes != d.MinFreeBytes || d.Streams[Payments].MinFreeBytes != d.CriticalFreeBytes {
		t.Fatalf("defaults %+v", d.Streams)
	}
}

func TestFormatAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:            "30s",
		12 * time.Minute:            "12m",
		5*time.Hour + 3*time.Minute: "5h3m",
		84 * time.Hour:              "3d12h",
	} {
		if got := formatAge(d); got != want {
			t.Errorf("formatAge(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestAckToleratesDeletedRows(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	res := mustAppend(t, o, order("", "", `1`), order("", "", `2`), order("", "", `3`))
	for range 3 { // the sender may ack the same window again after a reconnect
		if err := o.Ack(Orders, []uint64{res[0].Seq, res[1].Seq, res[1].Seq, 42}); err != nil {
			t.Fatal(err)
		}
	}
	if st := stats(o, Orders); st.Depth != 1 {
		t.Fatalf("depth %d after repeated acks", st.Depth)
	}
	checkCounters(t, db, o)
}

func TestPeekReportsCorruptRow(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	mustAppend(t, o, order("", "", `1`))
	db.Update(func(tx *store.Tx) error {
		return tx.Bucket(store.Outbox, string(Orders), bucketRows).Put(store.U64(1), []byte{9, 9})
	})
	if _, err := o.Peek(Orders, 0, 10); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "orders seq 1") {
		t.Fatalf("peek: %v", err)
	}
	// The sender can still skip it with Ack.
	if err := o.Ack(Orders, []uint64{1}); err != nil {
		t.Fatal(err)
	}
}

// PeekInto pages through a stream reusing the previous page's storage and
// returns what Peek returns.
func TestPeekIntoReusesRows(t *testing.T) {
	_, o := openTest(t, Config{}, nil)
	var entries []Entry
	for i := 0; i < 23; i++ {
		e := order(fmt.Sprintf("s-%d", i%3), "", fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", (i*37)%200)))
		switch i % 5 {
		case 1:
			e.Type = "com.auraconnect.order.v2"
		case 2:
			e.Subject = ""
		case 3:
			e.Data = nil
		}
		entries = append(entries, e)
	}
	mustAppend(t, o, entries...)
	if err := o.MarkAttempt(Orders, []uint64{4, 9}, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	var page []Row
	var after uint64
	for pages := 0; ; pages++ {
		want, err := o.Peek(Orders, after, 5)
		if err != nil {
			t.Fatal(err)
		}
		got, err := o.PeekInto(page, Orders, after, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("page %d: %d rows, Peek gives %d", pages, len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if !bytes.Equal(g.Data, w.Data) {
				t.Errorf("seq %d: data %q, want %q", w.Seq, g.Data, w.Data)
			}
			g.Data, w.Data = nil, nil
			if !reflect.DeepEqual(g, w) {
				t.Errorf("seq %d: %+v, want %+v", w.Seq, g, w)
			}
		}
		if len(want) == 0 {
			if pages != 5 {
				t.Fatalf("%d pages, want 5", pages)
			}
			break
		}
		if pages > 0 && &got[0] != &page[:1][0] {
			t.Errorf("page %d did not reuse the previous page's rows", pages)
		}
		page, after = got, want[len(want)-1].Seq
	}
}
