package outbox

import (
	"context"
	"errors"
	"time"

	"github.com/auraconnect/aura-edge/internal/store"
)

// MaybeCompact compacts the store file (store.DB.Compact) when the
// never-drop streams have drained, the file is at least CompactMinBytes and
// at least a quarter of it is free pages (captured records stay for 90
// days, so the drained outbox is often less than half of the file): the
// space a backlog took comes back to the file system. It reports whether it compacted.
func (o *Outbox) MaybeCompact(ctx context.Context) (bool, store.CompactStats, error) {
	if o.cfg.CompactMinBytes < 0 {
		return false, store.CompactStats{}, nil
	}
	size, free := o.db.Size(), o.db.FreeBytes()
	if size < o.cfg.CompactMinBytes || free < size/4 {
		return false, store.CompactStats{}, nil
	}
	for _, st := range o.Stats() {
		if !st.Stream.Droppable() && st.Depth > 0 {
			return false, store.CompactStats{}, nil
		}
	}
	// The copy needs room for the live data next to the old file.
	if need := uint64(size-free) + uint64(size-free)/8 + mib; o.fsFree(0) < need {
		o.log.Debug("store not compacted: not enough free disk for the copy", "need_bytes", need, "file_bytes", size, "free_inside_bytes", free)
		return false, store.CompactStats{}, nil
	}
	cs, err := o.db.Compact(ctx, 5*time.Second)
	if err != nil {
		return false, cs, err
	}
	o.diskMu.Lock()
	o.diskAt = time.Time{} // measure the file system again
	o.diskMu.Unlock()
	o.log.Info("store compacted: space from the drained backlog is back on the disk",
		"before_bytes", cs.Before, "after_bytes", cs.After, "took", cs.Took.Round(time.Millisecond))
	return true, cs, nil
}

// RunCompactor calls MaybeCompact every CompactEvery until ctx ends.
func (o *Outbox) RunCompactor(ctx context.Context) error {
	t := time.NewTicker(o.cfg.CompactEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, _, err := o.MaybeCompact(ctx); err != nil && !errors.Is(err, store.ErrBusy) && ctx.Err() == nil {
			o.log.Error("store compaction failed; the store is unchanged and in use", "err", err)
		}
	}
}
