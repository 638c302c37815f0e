package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the bbolt file inside the data directory.
const FileName = "aura-edge.db"

// pidFile records which process holds the data directory.
const pidFile = "aura-edge.pid"

// Bucket names. The first two are the seed's tables.
const (
	Integrations = "pos_integrations"
	SyncLogs     = "pos_sync_logs"
	Outbox       = "outbox"
	PrintJobs    = "print_jobs"
	Cursors      = "cursors"
	Menus        = "menus"
	CommandsSeen = "commands_seen"
	Tokens       = "tokens"
	Meta         = "meta"
	Vendor       = "vendor_state" // per-integration id mappings and tokens
	Records      = "records"      // captured orders and payments: <kind>.log by sequence (schema 3), <kind> by id (schema 2, read only)
	Retries      = "retries"      // failed menu pushes waiting for another attempt, per integration
	DeadLetters  = "dead_letters" // pushes that failed max_attempts times
	WebhooksSeen = "webhooks_seen"
	Availability = "menu_availability" // 86ed objects and when they come back, per integration/kind/id
	PushedMenus  = "menus_pushed"      // the full menu last pushed to each integration (drift detection)
	Drift        = "menu_drift"        // the last drift found per integration
	Rejected     = "pulls_rejected"    // pulled records that could not be represented, per integration
)

// topBuckets are created by the first migration.
var topBuckets = []string{Integrations, SyncLogs, Outbox, PrintJobs, Cursors, Menus, CommandsSeen, Tokens, Meta, Vendor}

// Buckets returns the names of the top-level buckets that exist in the
// file, for code that must visit everything (key rotation checks).
func (tx *Tx) Buckets() []string {
	var names []string
	_ = tx.tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		names = append(names, string(name))
		return nil
	})
	return names
}

// Options tune Open. The zero value is usable.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// file. Zero means 500ms; it is never infinite.
	LockTimeout time.Duration
	// Logger receives migration notes. Nil discards.
	Logger *slog.Logger
}

// DB is an open store.
type DB struct {
	// mu guards b against Compact swapping the file: every use holds it
	// for reading; Compact takes it with TryLock only (a pending writer
	// lock would deadlock a View nested in an Update).
	mu   sync.RWMutex
	b    *bolt.DB
	opts *bolt.Options
	dir  string
	path string
	log  *slog.Logger

	closed atomic.Bool
	group  groupCommit // Batch
}

// Open opens or creates the store in dir, runs pending migrations and
// records this process's pid. A second process on the same dir gets an
// ErrInUse error at once.
func Open(dir string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 500 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	bopts := &bolt.Options{Timeout: opts.LockTimeout, FreelistType: bolt.FreelistMapType}
	b, err := bolt.Open(path, 0o600, bopts)
	if errors.Is(err, berrors.ErrTimeout) {
		pid := readPID(dir)
		if pid > 0 {
			return nil, fmt.Errorf("data dir %s is in use by another aura-edge (pid %d): %w", dir, pid, ErrInUse)
		}
		return nil, fmt.Errorf("data dir %s is in use by another aura-edge: %w", dir, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db := &DB{b: b, opts: bopts, dir: dir, path: path, log: opts.Logger}
	db.removeCompactLeftover()
	if err := db.migrate(); err != nil {
		b.Close()
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		b.Close()
		return nil, fmt.Errorf("write pid file: %w", err)
	}
	return db, nil
}

func readPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, pidFile))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// Dir returns the data directory.
func (db *DB) Dir() string { return db.dir }

// Path returns the bbolt file's path.
func (db *DB) Path() string { return db.path }

// Size returns the file's current size in bytes.
func (db *DB) Size() int64 {
	db.mu.RLock()
	defer db.mu.RUnlock()
	var n int64
	_ = db.b.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// Close closes the file and removes the pid file.
func (db *DB) Close() error {
	db.closed.Store(true)
	if readPID(db.dir) == os.Getpid() {
		os.Remove(filepath.Join(db.dir, pidFile))
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.b.Close()
}

// Closed reports whether Close was called (a background job that fails
// after it has nothing to report).
func (db *DB) Closed() bool { return db.closed.Load() }

// Update runs fn in a read-write transaction and commits (fsync'd) when fn
// returns nil.
func (db *DB) Update(fn func(*Tx) error) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.b.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// Batch is Update with group commit (group.go): calls from concurrent
// goroutines that arrive while a commit is under way share the next
// transaction and its fsync; a call that finds none under way commits at
// once. fn may run more than once and must be idempotent.
func (db *DB) Batch(fn func(*Tx) error) error { return db.batch(fn) }

// View runs fn in a read-only transaction.
func (db *DB) View(fn func(*Tx) error) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.b.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// Tx is a transaction. It must not be used after its callback returns.
type Tx struct{ tx *bolt.Tx }

// Writable reports whether the transaction can write.
func (t *Tx) Writable() bool { return t.tx.Writable() }

// Same reports whether t and u are the same transaction: DB.Batch gives
// each function of a group commit its own *Tx over one transaction.
func (t *Tx) Same(u *Tx) bool { return u != nil && t.tx == u.tx }

// OnCommit runs fn after the write transaction committed (after its fsync,
// once its lock is released, before Update or Batch returns to the caller
// whose function ran in it). A transaction that rolls back never runs it.
func (t *Tx) OnCommit(fn func()) { t.tx.OnCommit(fn) }

// Bucket returns the bucket at path (top-level name, then nested names).
// In a write transaction missing buckets are created; in a read
// transaction a missing bucket reads as empty.
func (t *Tx) Bucket(path ...string) *Bucket {
	if len(path) == 0 {
		panic("store: empty bucket path")
	}
	var b *bolt.Bucket
	for i, name := range path {
		var next *bolt.Bucket
		if i == 0 {
			next = t.tx.Bucket([]byte(name))
		} else {
			next = b.Bucket([]byte(name))
		}
		if next == nil && t.tx.Writable() {
			var err error
			if i == 0 {
				next, err = t.tx.CreateBucketIfNotExists([]byte(name))
			} else {
				next, err = b.CreateBucketIfNotExists([]byte(name))
			}
			if err != nil {
				return &Bucket{err: fmt.Errorf("bucket %s: %w", strings.Join(path[:i+1], "/"), err)}
			}
		}
		if next == nil {
			return &Bucket{}
		}
		b = next
	}
	return &Bucket{b: b}
}

// AppendOnly tells the bucket, for the rest of the write transaction, that
// its new keys sort after every key it holds (sequence numbers): full
// pages are then left full when they split (bbolt's FillPercent 1.0), not
// half full, so an append writes about half the pages. Other keys still
// work; the pages they split are just fuller. It returns b.
func (b *Bucket) AppendOnly() *Bucket {
	if b.b != nil {
		b.b.FillPercent = 1.0 // bbolt's maximum, as its own Compact uses
	}
	return b
}

// Exists reports whether the bucket at path exists, without creating it
// (Bucket creates missing buckets in write transactions).
func (t *Tx) Exists(path ...string) bool {
	var b *bolt.Bucket
	for i, name := range path {
		if i == 0 {
			b = t.tx.Bucket([]byte(name))
		} else {
			b = b.Bucket([]byte(name))
		}
		if b == nil {
			return false
		}
	}
	return len(path) > 0
}

// DeleteBucket removes the bucket at path and everything in it. A missing
// bucket is not an error.
func (t *Tx) DeleteBucket(path ...string) error {
	if len(path) == 1 {
		err := t.tx.DeleteBucket([]byte(path[0]))
		if errors.Is(err, berrors.ErrBucketNotFound) {
			return nil
		}
		return err
	}
	parent := t.Bucket(path[:len(path)-1]...)
	if parent.b == nil {
		return parent.err
	}
	err := parent.b.DeleteBucket([]byte(path[len(path)-1]))
	if errors.Is(err, berrors.ErrBucketNotFound) {
		return nil
	}
	return err
}

// Bucket is a key/value bucket within a transaction. A Bucket that does not
// exist (in a read transaction) reads as empty and refuses writes.
type Bucket struct {
	b   *bolt.Bucket
	err error
}

func (b *Bucket) writable() error {
	if b.err != nil {
		return b.err
	}
	if b.b == nil || !b.b.Writable() {
		return ErrReadOnly
	}
	return nil
}

// Exists reports whether the bucket exists.
func (b *Bucket) Exists() bool { return b.b != nil }

// Get returns a copy of the value for key, or nil.
func (b *Bucket) Get(key []byte) []byte {
	if b.b == nil {
		return nil
	}
	v := b.b.Get(key)
	if v == nil {
		return nil
	}
	return bytes.Clone(v)
}

// Has reports whether key exists.
func (b *Bucket) Has(key []byte) bool { return b.b != nil && b.b.Get(key) != nil }

// Put stores value under key.
func (b *Bucket) Put(key, value []byte) error {
	if err := b.writable(); err != nil {
		return err
	}
	return b.b.Put(key, value)
}

// Delete removes key; a missing key is not an error.
func (b *Bucket) Delete(key []byte) error {
	if err := b.writable(); err != nil {
		return err
	}
	return b.b.Delete(key)
}

// DeleteU64 removes the keys U64(n) for n in keys that exist, through one
// cursor: one seek per key, where Delete takes a cursor and a seek per key
// (and learning a value's size first another). It returns how many keys it
// removed and the total length of their values. Ascending keys are
// cheapest.
func (b *Bucket) DeleteU64(keys []uint64) (removed, valueBytes int, err error) {
	if err := b.writable(); err != nil {
		return 0, 0, err
	}
	c := b.b.Cursor()
	var key [8]byte
	for _, n := range keys {
		binary.BigEndian.PutUint64(key[:], n)
		k, v := c.Seek(key[:])
		if v == nil || !bytes.Equal(k, key[:]) { // missing, or a nested bucket
			continue
		}
		size := len(v)
		if err := c.Delete(); err != nil {
			return removed, valueBytes, err
		}
		removed++
		valueBytes += size
	}
	return removed, valueBytes, nil
}

// NextSequence returns the bucket's next sequence number (from 1).
func (b *Bucket) NextSequence() (uint64, error) {
	if err := b.writable(); err != nil {
		return 0, err
	}
	return b.b.NextSequence()
}

// Sequence returns the bucket's last sequence number.
func (b *Bucket) Sequence() uint64 {
	if b.b == nil {
		return 0
	}
	return b.b.Sequence()
}

// Sub returns the nested bucket name, created in write transactions.
func (b *Bucket) Sub(name string) *Bucket {
	if b.b == nil {
		return &Bucket{err: b.err}
	}
	s := b.b.Bucket([]byte(name))
	if s == nil && b.b.Writable() {
		var err error
		if s, err = b.b.CreateBucketIfNotExists([]byte(name)); err != nil {
			return &Bucket{err: err}
		}
	}
	return &Bucket{b: s}
}

// Scan calls fn for each key >= start in key order until fn returns false or
// an error. k and v are valid only during the call. A nil start scans from
// the first key.
func (b *Bucket) Scan(start []byte, fn func(k, v []byte) (bool, error)) error {
	if b.b == nil {
		return b.err
	}
	c := b.b.Cursor()
	var k, v []byte
	if start == nil {
		k, v = c.First()
	} else {
		k, v = c.Seek(start)
	}
	for ; k != nil; k, v = c.Next() {
		if v == nil { // nested bucket
			continue
		}
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// ScanReverse calls fn from the last key backwards until fn returns false.
func (b *Bucket) ScanReverse(fn func(k, v []byte) (bool, error)) error {
	if b.b == nil {
		return b.err
	}
	c := b.b.Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		if v == nil {
			continue
		}
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// ForEach calls fn for every key/value pair in key order.
func (b *Bucket) ForEach(fn func(k, v []byte) error) error {
	return b.Scan(nil, func(k, v []byte) (bool, error) { return true, fn(k, v) })
}

// First returns copies of the first key and value, or nils.
func (b *Bucket) First() (k, v []byte) {
	if b.b == nil {
		return nil, nil
	}
	k, v = b.b.Cursor().First()
	return bytes.Clone(k), bytes.Clone(v)
}

// Buckets returns the names of the nested buckets.
func (b *Bucket) Buckets() []string {
	if b.b == nil {
		return nil
	}
	var names []string
	c := b.b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			names = append(names, string(k))
		}
	}
	return names
}

// U64 encodes n as an 8-byte big-endian key, so keys sort numerically.
func U64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// ParseU64 decodes a key written by U64 (0 if it is not 8 bytes).
func ParseU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
