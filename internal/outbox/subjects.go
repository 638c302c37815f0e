package outbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/internal/store"
)

// The subjects bucket is keyed by order ids and hashes, so writing it in
// place dirtied a random leaf page (and its branch pages) per captured
// record: most of what a capture commit wrote and most of the time it held
// the store's one writer (profile of BenchmarkCaptureVsBatch: 53–66 spilled
// nodes and 78–92 written pages per commit against raw bbolt's 4 and 22).
//
// Its writes are deferred instead: a write transaction appends each change
// to subjects_log (store.U64(n) -> change, sequential keys: the page the
// previous change filled) in its own transaction, so the change commits
// with the row it belongs to, and the change is kept in memory once that
// transaction committed. A merge, in a transaction of its own, applies the
// log to subjects, many changes per commit, and deletes what it applied.
// Reads see the reading transaction's own changes, then the committed
// changes in memory, then the bucket. Open loads the log, so after a crash
// nothing is missing; the log stays short (a merge starts when it reaches
// Config.SubjectLogMerge changes, and MergeSubjects empties it at a stop).
const bucketSubjectLog = "subjects_log"

// change is one deferred write of the subjects bucket.
type change struct {
	val []byte // nil: the key was deleted
	seq uint64 // its key in subjects_log
}

// subjectIndex is the subjects bucket with its writes deferred.
type subjectIndex struct {
	mu         sync.Mutex
	mem        map[string]change // committed and not yet merged, latest per key
	cur        *txChanges        // the last write transaction that used the index
	mergeAt    int               // start a merge at this many keys in mem
	merged     time.Time         // when the last merge committed (or the index was loaded)
	merging    bool
	running    sync.WaitGroup // the background merge
	retryAt    time.Time      // after a failed merge, the next is not started before this
	startMerge func()         // runs a merge in the background (set by Outbox)
}

// subjectMergeEvery is the longest a change waits in the log when there
// are fewer than mergeAt: the sweep of idle subjects walks the bucket.
const subjectMergeEvery = 10 * time.Minute

// txChanges are one write transaction's changes.
type txChanges struct {
	tx       *store.Tx
	index    *store.Bucket // subjects, looked up once per transaction
	log      *store.Bucket // subjects_log (append-only)
	changes  map[string]change
	last     uint64 // the last subjects_log key it wrote (0: none)
	mergedTo uint64 // a merge: the log up to this key was applied and deleted
	done     bool   // published, or found rolled back
}

// txLocked returns tx's changes. Write transactions run one at a time, so
// the previous one has ended: if it committed, its changes are published
// here, since its OnCommit may not have run yet (bbolt releases the writer
// before running commit handlers); if it rolled back, they are dropped.
// Which of the two is read from the log in tx itself. x.mu must be held.
func (x *subjectIndex) txLocked(tx *store.Tx) *txChanges {
	if c := x.cur; c != nil && !c.tx.Same(tx) {
		if !c.done {
			log := tx.Bucket(store.Outbox, bucketSubjectLog)
			switch {
			case c.last != 0 && log.Has(store.U64(c.last)):
				x.publishLocked(c)
			case c.last == 0 && c.mergedTo != 0 && !log.Has(store.U64(c.mergedTo)):
				x.publishLocked(c)
			default:
				c.done = true // rolled back (or read only)
			}
		}
		x.cur = nil
	}
	if x.cur == nil {
		c := &txChanges{tx: tx, changes: make(map[string]change),
			index: tx.Bucket(store.Outbox, bucketSubjects),
			log:   tx.Bucket(store.Outbox, bucketSubjectLog).AppendOnly()}
		x.cur = c
		tx.OnCommit(func() {
			x.mu.Lock()
			defer x.mu.Unlock()
			x.publishLocked(c)
		})
	}
	return x.cur
}

// publishLocked makes a committed transaction's changes visible to every
// reader and, after a merge, forgets what the bucket now holds.
func (x *subjectIndex) publishLocked(c *txChanges) {
	if c.done {
		return
	}
	c.done = true
	for k, ch := range c.changes {
		x.mem[k] = ch
	}
	if c.mergedTo != 0 {
		x.merged = time.Now()
		for k, ch := range x.mem {
			if ch.seq <= c.mergedTo {
				delete(x.mem, k)
			}
		}
	}
	due := len(x.mem) >= x.mergeAt || len(x.mem) > 0 && time.Since(x.merged) > subjectMergeEvery
	if due && !x.merging && x.startMerge != nil && time.Now().After(x.retryAt) {
		x.merging = true
		x.running.Add(1)
		go func() {
			defer x.running.Done()
			x.startMerge()
		}()
	}
}

// get returns key's value as tx sees it.
func (x *subjectIndex) get(tx *store.Tx, key []byte) []byte {
	x.mu.Lock()
	var ch change
	ok := false
	var index *store.Bucket
	if tx.Writable() {
		c := x.txLocked(tx)
		ch, ok = c.changes[string(key)]
		index = c.index
	}
	if !ok {
		ch, ok = x.mem[string(key)]
	}
	x.mu.Unlock()
	if ok {
		return ch.val
	}
	if index == nil {
		index = tx.Bucket(store.Outbox, bucketSubjects)
	}
	return index.Get(key)
}

// put writes key (val nil deletes it) in tx.
func (x *subjectIndex) put(tx *store.Tx, key, val []byte) error {
	x.mu.Lock()
	c := x.txLocked(tx) // before the log is written: it tells how the last transaction ended
	x.mu.Unlock()
	log := c.log
	seq, err := log.NextSequence()
	if err != nil {
		return err
	}
	if err := log.Put(store.U64(seq), encodeChange(key, val)); err != nil {
		return err
	}
	x.mu.Lock()
	c.changes[string(key)] = change{val: bytes.Clone(val), seq: seq}
	c.last = seq
	x.mu.Unlock()
	return nil
}

func (x *subjectIndex) del(tx *store.Tx, key []byte) error { return x.put(tx, key, nil) }

// merge applies up to max changes of the log to the bucket in tx and
// deletes them from the log. It reports how many it applied.
func (x *subjectIndex) merge(tx *store.Tx, max int) (int, error) {
	x.mu.Lock()
	c := x.txLocked(tx)
	x.mu.Unlock()
	if c.last != 0 {
		return 0, errors.New("subjects: merge in a transaction that also writes the index")
	}
	log := tx.Bucket(store.Outbox, bucketSubjectLog)
	type kv struct{ lk, key, val []byte }
	var todo []kv
	err := log.Scan(nil, func(k, v []byte) (bool, error) {
		if len(todo) == max {
			return false, nil
		}
		key, val, ok := decodeChange(v)
		if !ok {
			return false, fmt.Errorf("subjects log entry %d is unreadable", store.ParseU64(k))
		}
		todo = append(todo, kv{bytes.Clone(k), bytes.Clone(key), bytes.Clone(val)})
		return true, nil
	})
	if err != nil || len(todo) == 0 {
		return 0, err
	}
	b := tx.Bucket(store.Outbox, bucketSubjects)
	for _, e := range todo {
		if e.val == nil {
			err = b.Delete(e.key)
		} else {
			err = b.Put(e.key, e.val)
		}
		if err != nil {
			return 0, err
		}
		if err := log.Delete(e.lk); err != nil {
			return 0, err
		}
	}
	x.mu.Lock()
	c.mergedTo = store.ParseU64(todo[len(todo)-1].lk)
	x.mu.Unlock()
	return len(todo), nil
}

// load reads the log into memory (Open).
func (x *subjectIndex) load(tx *store.Tx) error {
	x.mem = make(map[string]change)
	x.merged = time.Now()
	return tx.Bucket(store.Outbox, bucketSubjectLog).Scan(nil, func(k, v []byte) (bool, error) {
		key, val, ok := decodeChange(v)
		if !ok {
			return false, fmt.Errorf("subjects log entry %d is unreadable", store.ParseU64(k))
		}
		x.mem[string(key)] = change{val: bytes.Clone(val), seq: store.ParseU64(k)}
		return true, nil
	})
}

// A change in subjects_log: 1 (put) or 0 (delete), the key's length
// (uvarint), the key, then the value.
func encodeChange(key, val []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen16+len(key)+len(val))
	op := byte(0)
	if val != nil {
		op = 1
	}
	b = append(b, op)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	return append(b, val...)
}

func decodeChange(v []byte) (key, val []byte, ok bool) {
	if len(v) < 2 || v[0] > 1 {
		return nil, nil, false
	}
	n, w := binary.Uvarint(v[1:])
	if w <= 0 || uint64(len(v)-1-w) < n {
		return nil, nil, false
	}
	key = v[1+w : 1+w+int(n)]
	if v[0] == 1 {
		val = v[1+w+int(n):]
		if val == nil {
			val = []byte{}
		}
	}
	return key, val, true
}

// subjectMergeBatch is the most changes one merge transaction applies.
const subjectMergeBatch = 50_000

// MergeSubjects applies every deferred change of the subjects index to
// its bucket (the daemon calls it when it stops, so the next start has
// nothing to load). Merges also start by themselves in the background.
func (o *Outbox) MergeSubjects(ctx context.Context) error {
	for ctx.Err() == nil {
		var n int
		err := o.db.Update(func(tx *store.Tx) error {
			var err error
			n, err = o.subjects.merge(tx, subjectMergeBatch)
			return err
		})
		if err != nil {
			return fmt.Errorf("merge the subjects index: %w", err)
		}
		if n < subjectMergeBatch {
			return nil
		}
	}
	return ctx.Err()
}

// WaitMerge returns once the subjects index's background merge, if one
// is running, has ended (benchmarks count it in the capture's time).
func (o *Outbox) WaitMerge() { o.subjects.running.Wait() }

// mergeInBackground is the subject index's startMerge.
func (o *Outbox) mergeInBackground() {
	x := o.subjects
	err := o.MergeSubjects(context.Background())
	x.mu.Lock()
	x.merging = false
	if err != nil {
		x.retryAt = time.Now().Add(30 * time.Second)
	}
	x.mu.Unlock()
	if err != nil && !o.db.Closed() {
		o.log.Warn("subject index changes not merged yet; they stay in the subjects log (nothing is lost) and the merge is retried in 30 s", "err", err)
	}
}
