package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bbolt never gives pages back to the file system: after a large backlog
// drains, the file keeps its size and the freed pages are reused only by
// later writes. Compact rewrites the live data into a new file and swaps it
// in, so that space comes back after a disk filled once.
//
// Crash safety: the copy is written to aura-edge.db.compact and fsync'd;
// the old file is closed and the copy renamed over it (atomic), then the
// directory is fsync'd. A crash before the rename leaves the old file
// (Open removes the partial copy); a crash after it leaves the complete
// copy. Either way there is exactly one good store.

// compactSuffix names the copy while it is written.
const compactSuffix = ".compact"

// ErrBusy is returned by Compact when the store stayed in use for the
// whole wait: nothing was changed; try again later.
var ErrBusy = errors.New("store busy")

// compactHook, when set (tests), is called at each stage of Compact: a
// test process exits there to simulate a crash.
var compactHook func(stage string)

func hook(stage string) {
	if compactHook != nil {
		compactHook(stage)
	}
}

// FreeBytes returns the bytes of free pages inside the file: space that new
// writes reuse without growing the file (as of the last write).
func (db *DB) FreeBytes() int64 {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return int64(db.b.Stats().FreeAlloc)
}

// CompactStats describes one compaction.
type CompactStats struct {
	Before, After int64 // file sizes in bytes
	Took          time.Duration
}

// Compact rewrites the store into a new file and swaps it in. It waits up
// to wait for every transaction to end (new ones wait for it meanwhile;
// it never queues behind them, so a transaction nested in another cannot
// deadlock) and returns ErrBusy when the store stayed in use. Writes are
// blocked while it copies: call it when the live data is small (after the
// outbox drained).
func (db *DB) Compact(ctx context.Context, wait time.Duration) (CompactStats, error) {
	deadline := time.Now().Add(wait)
	for !db.mu.TryLock() {
		if time.Now().After(deadline) {
			return CompactStats{}, ErrBusy
		}
		select {
		case <-ctx.Done():
			return CompactStats{}, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	defer db.mu.Unlock()
	start := time.Now()
	st := CompactStats{Before: fileSize(db.path)}
	tmp := db.path + compactSuffix
	_ = os.Remove(tmp)
	if err := db.copyTo(tmp); err != nil {
		_ = os.Remove(tmp)
		return st, fmt.Errorf("compact store: %w", err)
	}
	hook("copied")
	if err := db.b.Close(); err != nil {
		_ = os.Remove(tmp)
		return st, db.reopen(fmt.Errorf("compact store: close: %w", err))
	}
	hook("closed")
	if err := os.Rename(tmp, db.path); err != nil {
		_ = os.Remove(tmp)
		return st, db.reopen(fmt.Errorf("compact store: swap in the copy: %w", err))
	}
	hook("renamed")
	if err := syncDir(db.dir); err != nil {
		db.log.Warn("fsync data dir after compaction", "err", err)
	}
	if err := db.reopen(nil); err != nil {
		return st, err
	}
	st.After, st.Took = fileSize(db.path), time.Since(start)
	return st, nil
}

// copyTo writes the live data into a new file at path, fsync'd.
func (db *DB) copyTo(path string) error {
	dst, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType, NoSync: true})
	if err != nil {
		return err
	}
	if err := bolt.Compact(dst, db.b, 16<<20); err != nil {
		dst.Close()
		return err
	}
	dst.NoSync = false
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// reopen opens the store file again after Compact closed it; cause is
// returned (joined with a reopen failure).
func (db *DB) reopen(cause error) error {
	b, err := bolt.Open(db.path, 0o600, db.opts)
	if err != nil {
		return errors.Join(cause, fmt.Errorf("reopen store after compaction: %w", err))
	}
	db.b = b
	return cause
}

// removeCompactLeftover removes a copy left by a compaction that crashed
// before its rename (the store file itself is intact).
func (db *DB) removeCompactLeftover() {
	tmp := db.path + compactSuffix
	if err := os.Remove(tmp); err == nil {
		db.log.Warn("removed the partial copy of an interrupted compaction; the store is intact", "file", filepath.Base(tmp))
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
