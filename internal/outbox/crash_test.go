package outbox

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/store"
	"github.com/auraconnect/aura-edge/internal/testkit"
)

const crashEnv = "OUTBOX_CRASH_CHILD_DIR"

// TestCrashKeepsAcknowledged re-executes the test binary as a child that
// appends from several goroutines and prints every acknowledged row, kills it
// with SIGKILL at a random moment, and checks that every printed row is in
// the reopened file with the same id. It repeats on the same file, so later
// rounds also check that a killed file reopens cleanly.
func TestCrashKeepsAcknowledged(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	acked := map[string]string{} // "stream/seq" -> id
	type keyed struct {
		stream, id, subject, key string
		subjectSeq               uint64
	}
	var keys []keyed // this round's acknowledged dedupe keys
	for round := range 3 {
		lines := runAndKill(t, dir, round)
		keys = keys[:0]
		for _, l := range lines {
			f := strings.Fields(l) // ACK stream seq id subject subjectseq key
			if len(f) != 7 {
				t.Fatalf("child printed %q", l)
			}
			acked[f[1]+"/"+f[2]] = f[3]
			n, _ := strconv.ParseUint(f[5], 10, 64)
			keys = append(keys, keyed{stream: f[1], id: f[3], subject: f[4], subjectSeq: n, key: f[6]})
		}
		t.Logf("round %d: %d rows acknowledged before SIGKILL (%d in all)", round, len(lines), len(acked))

		db := openDB(t, dir)
		o, err := Open(db, Config{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]string{}
		for _, s := range []Stream{Orders, Payments} {
			var after uint64
			for {
				rows, err := o.Peek(s, after, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) == 0 {
					break
				}
				for _, r := range rows {
					stored[fmt.Sprintf("%s/%d", s, r.Seq)] = r.ID
					after = r.Seq
				}
			}
		}
		for k, id := range acked {
			if stored[k] != id {
				t.Errorf("acknowledged row %s (id %s) lost after SIGKILL: stored %q", k, id, stored[k])
			}
		}
		checkCounters(t, db, o)
		// The dedupe records and subject counters written since the last
		// merge of the subjects index live in its log: after the kill every
		// acknowledged key is still a duplicate of its first append, and
		// every subject's counter is past what was acknowledged.
		last := map[string]uint64{}
		for _, k := range keys {
			e := Entry{Stream: Stream(k.stream), Type: "t", Subject: k.subject, DedupeKey: k.key, Data: []byte(`{}`)}
			if strings.HasPrefix(k.key, "s/") {
				e.DedupeScope = k.subject
			}
			res, err := o.Append(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			if !res[0].Duplicate || res[0].ID != k.id || res[0].SubjectSeq != k.subjectSeq {
				t.Fatalf("acknowledged key %s after SIGKILL: %+v, want a duplicate of %s (subject seq %d)", k.key, res[0], k.id, k.subjectSeq)
			}
			last[k.subject] = max(last[k.subject], k.subjectSeq)
		}
		for subject, n := range last {
			res := mustAppend(t, o, Entry{Stream: Telemetry, Type: "t", Subject: subject, Data: []byte(`{}`)})
			if res[0].SubjectSeq <= n {
				t.Fatalf("subject %s counts %d after SIGKILL, acknowledged up to %d", subject, res[0].SubjectSeq, n)
			}
		}
		db.Close()
		if t.Failed() {
			return
		}
	}
}

// runAndKill starts the child, lets it append for a random moment after its
// first acknowledgement, kills it and returns the complete ACK lines.
func runAndKill(t *testing.T, dir string, round int) []string {
	t.Helper()
	return testkit.CrashChild{Test: "TestCrashKeepsAcknowledged",
		Env:    []string{crashEnv + "=" + dir, fmt.Sprintf("OUTBOX_CRASH_ROUND=%d", round)},
		Spread: 400 * time.Millisecond, Fields: 7}.RunAndKill(t)
}

// crashChild appends until killed, printing each acknowledged row.
func crashChild(dir string) {
	db, err := store.Open(dir, store.Options{LockTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	// Merges of the subjects index start often, so the kill finds some
	// changes merged, some in the log and sometimes a merge under way.
	o, err := Open(db, Config{SubjectLogMerge: 64}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	round := os.Getenv("OUTBOX_CRASH_ROUND")
	var mu sync.Mutex
	ack := func(e Entry, a Appended) {
		line := fmt.Sprintf("ACK %s %d %s %s %d %s\n", a.Stream, a.Seq, a.ID, e.Subject, a.SubjectSeq, e.DedupeKey)
		mu.Lock()
		os.Stdout.WriteString(line) // one write per line
		mu.Unlock()
	}
	data := []byte(`{"note":"` + strings.Repeat("x", 200) + `"}`)
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				stream := []Stream{Orders, Payments}[g%2]
				e := Entry{Stream: stream, Type: "t", Subject: fmt.Sprintf("ord_%d_%d", g, i%50),
					DedupeKey: fmt.Sprintf("r%s/g%d/%d", round, g, i), Data: data}
				if g%4 < 2 { // kept beside the subject, in the deferred index
					e.DedupeKey = "s/" + e.DedupeKey
					e.DedupeScope = e.Subject
				}
				if g == 0 { // the AppendTx path, with the caller's own record
					var res []Appended
					err := db.Update(func(tx *store.Tx) error {
						if err := tx.Bucket(store.Cursors).Put([]byte("crash"), store.U64(uint64(i))); err != nil {
							return err
						}
						var err error
						res, err = o.AppendTx(tx, e)
						return err
					})
					if err != nil {
						fmt.Fprintln(os.Stderr, "child:", err)
						os.Exit(2)
					}
					ack(e, res[0])
					continue
				}
				res, err := o.Append(context.Background(), e)
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(2)
				}
				ack(e, res[0])
			}
		}()
	}
	time.Sleep(60 * time.Second) // the parent kills us long before
	os.Exit(3)
}
