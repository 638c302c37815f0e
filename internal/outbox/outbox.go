package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/auraconnect/aura-edge/internal/store"
)

// Entry is one event to queue.
type Entry struct {
	Stream  Stream
	Type    string // CloudEvents type, e.g. "com.auraconnect.order.v1"
	Subject string // CloudEvents subject, e.g. the Aura order id or command id
	// DedupeKey (e.g. vendor/external_id/version) is optional: an Entry whose
	// key was already appended (to any stream) is not appended again; Append
	// returns the first one's Appended with Duplicate set.
	DedupeKey string
	// DedupeScope, when set with a DedupeKey, must be a function of the
	// key (the same key always comes with the same scope), typically the
	// subject the key's records take (an order id derived from the same
	// vendor and external id). The key's record is then kept beside that
	// subject's counter instead of in a bucket of its own, so an append
	// whose Subject is its DedupeScope writes one random page, not two.
	// Keys kept before scopes existed are still found.
	DedupeScope string
	Data        []byte // JSON
	// Ref, when set (AppendTx only, with a Subject), is called inside the
	// transaction once the entry is known to be new (not a duplicate), and
	// the number it returns is kept with the subject's counter, as
	// SetSubjectRef would keep it, in the same write: the caller stores its
	// record there (e.g. appends it to its own log and returns the key).
	Ref func(tx *store.Tx) (uint64, error)
	// ID, when set, is the CloudEvents id the row keeps instead of a new
	// UUIDv7: a resend of an event sent before (e.g. a command result sent
	// again for a redelivered command), which the cloud drops by id.
	ID string

	// subjectSeq, when set, is kept instead of the subject's next sequence
	// (a retried dead letter keeps its place in its order's revisions).
	subjectSeq uint64
}

// Appended describes a queued Entry.
type Appended struct {
	ID         string // UUIDv7, the CloudEvents id, fixed at append
	Stream     Stream
	Seq        uint64
	SubjectSeq uint64 // per-subject sequence (per order); 0 without a Subject
	Duplicate  bool   // the DedupeKey was seen before; the fields describe the first append
}

// Row is a queued event as Peek returns it (a copy).
type Row struct {
	Stream       Stream
	Seq          uint64
	ID           string
	Type         string
	Subject      string
	SubjectSeq   uint64
	Time         time.Time // append time
	Data         []byte
	Attempts     int
	FirstAttempt time.Time // zero until the first MarkAttempt
	LastAttempt  time.Time
}

// StreamStats is one stream's state.
type StreamStats struct {
	Stream    Stream
	Depth     int   // rows queued
	Bytes     int64 // bytes queued (rows and keys)
	Oldest    time.Time
	OldestAge time.Duration
	Capacity  int // MaxRows
	// Full: a never-drop stream refused an append for lack of room and has
	// not yet drained below 95% of its limits; telemetry is dropping.
	Full    bool
	Dropped uint64 // telemetry rows dropped to make room, ever (persisted)
	Refused uint64 // appends refused (full or disk low) since Open

	// Additions to the agreed API.
	MaxBytes int64  // the byte limit
	DiskLow  bool   // the last append was refused for lack of disk space
	Alarm    string // the current refusal or drop reason, for operators; "" when fine
}

// Outbox is the set of queues in one store. It is safe for concurrent use.
type Outbox struct {
	db      *store.DB
	cfg     Config
	log     *slog.Logger
	ready   chan struct{}
	streams [numStreams]*streamState // indexed like Streams
	// subjects is the subjects bucket with its writes deferred
	// (subjects.go).
	subjects *subjectIndex

	diskMu   sync.Mutex
	diskAt   time.Time
	diskFree uint64
	diskErr  bool   // the last measurement failed (logged once)
	topFloor uint64 // the highest stream's MinFreeBytes
}

type alarmKind int

const (
	alarmNone alarmKind = iota
	alarmFull
	alarmDisk
)

type streamState struct {
	stream  Stream
	limits  Limits
	refused atomic.Uint64

	mu     sync.Mutex
	alarm  alarmKind
	reason string
}

// Bucket and key names under store.Outbox.
const (
	bucketRows     = "rows"
	bucketKeys     = "keys"
	bucketKeyOrder = "keyorder"
	bucketSubjects = "subjects"
	bucketState    = "state"
	layoutVersion  = 1
	maxSubjectLen  = maxKeyLength
	maxDedupeLen   = maxKeyLength
)

var (
	keyDepth        = []byte("depth")
	keyBytes        = []byte("bytes")
	keyDropped      = []byte("dropped")
	keyLayout       = []byte("layout")
	keyDedupeCount  = []byte("dedupe_count")
	keySubjectSweep = []byte("subject_sweep")
)

// Open prepares the outbox buckets in db and reads each stream's counters.
// It costs the same however many rows are queued and starts no goroutines.
// The Outbox does not own db; close db after the last use.
func Open(db *store.DB, cfg Config, log *slog.Logger) (*Outbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("outbox config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := &Outbox{
		db:    db,
		cfg:   cfg.withDefaults(),
		log:   log.With("component", "outbox"),
		ready: make(chan struct{}, 1),
	}
	for i, s := range Streams {
		o.streams[i] = &streamState{stream: s, limits: o.cfg.Streams[s]}
		o.topFloor = max(o.topFloor, o.cfg.Streams[s].MinFreeBytes)
	}
	if err := o.prepare(); err != nil {
		return nil, err
	}
	o.subjects = &subjectIndex{mergeAt: o.cfg.SubjectLogMerge, startMerge: o.mergeInBackground}
	if err := db.View(o.subjects.load); err != nil {
		return nil, fmt.Errorf("read the subjects log: %w", err)
	}
	// Raise the alarm at start-up for a stream that is already full, so the
	// operator hears about it before the first refusal.
	var depths []any
	for _, st := range o.Stats() {
		ss := o.state(st.Stream)
		byRows := st.Depth >= ss.limits.MaxRows
		if !st.Stream.Droppable() && (byRows || st.Bytes >= ss.limits.MaxBytes) {
			o.setAlarm(ss, alarmFull, fullReason(st.Stream, st.Depth, st.Bytes, ss.limits, !byRows, st.OldestAge))
		}
		depths = append(depths, string(st.Stream), st.Depth)
	}
	o.log.Debug("outbox opened", depths...)
	return o, nil
}

// prepare creates missing buckets, checks the layout version and checks that
// each stream's depth agrees with whether it has rows (a cheap look at the
// first key, not a scan; a disagreement triggers a recount, logged).
func (o *Outbox) prepare() error {
	ready := false
	var recount []Stream
	err := o.db.View(func(tx *store.Tx) error {
		v := store.ParseU64(tx.Bucket(store.Outbox, bucketState).Get(keyLayout))
		if v > layoutVersion {
			return fmt.Errorf("outbox layout %d is newer than this binary's %d", v, layoutVersion)
		}
		ready = v == layoutVersion
		for _, p := range bucketPaths() {
			ready = ready && tx.Bucket(p...).Exists()
		}
		recount = nil
		for _, s := range Streams {
			sb := tx.Bucket(store.Outbox, string(s))
			k, _ := sb.Sub(bucketRows).First()
			if (readCounters(sb).depth == 0) != (k == nil) {
				recount = append(recount, s)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !ready {
		err = o.db.Update(func(tx *store.Tx) error {
			for _, p := range bucketPaths() {
				if !tx.Bucket(p...).Exists() {
					return fmt.Errorf("create bucket %v", p)
				}
			}
			return tx.Bucket(store.Outbox, bucketState).Put(keyLayout, store.U64(layoutVersion))
		})
		if err != nil {
			return fmt.Errorf("prepare outbox buckets: %w", err)
		}
	}
	for _, s := range recount {
		if err := o.recount(s); err != nil {
			return err
		}
	}
	return nil
}

func bucketPaths() [][]string {
	var paths [][]string
	for _, s := range Streams {
		paths = append(paths, []string{store.Outbox, string(s), bucketRows})
	}
	for _, b := range []string{bucketKeys, bucketKeyOrder, bucketSubjects, bucketSubjectLog, bucketState, bucketDead} {
		paths = append(paths, []string{store.Outbox, b})
	}
	return paths
}

// recount rebuilds a stream's depth and bytes from a scan of its rows. Open
// calls it only when the counters disagree with the rows.
func (o *Outbox) recount(s Stream) error {
	var before, after counters
	err := o.db.Update(func(tx *store.Tx) error {
		sb := tx.Bucket(store.Outbox, string(s))
		before = readCounters(sb)
		after = counters{dropped: before.dropped}
		err := sb.Sub(bucketRows).ForEach(func(k, v []byte) error {
			after.depth++
			after.bytes += uint64(len(v) + keyOverhead)
			return nil
		})
		if err != nil {
			return err
		}
		return after.write(sb)
	})
	if err != nil {
		return fmt.Errorf("recount outbox %s: %w", s, err)
	}
	o.log.Error("outbox counters disagreed with rows; recounted", "stream", string(s),
		"depth_was", before.depth, "depth", after.depth, "bytes_was", before.bytes, "bytes", after.bytes)
	return nil
}

func (o *Outbox) state(s Stream) *streamState { return o.streams[s.index()] }

// Notify wakes the sender. Append calls it; after AppendTx the caller calls
// it once its transaction has committed.
func (o *Outbox) Notify() {
	select {
	case o.ready <- struct{}{}:
	default:
	}
}

// Ready is signalled (non-blocking, coalesced: one pending signal at most)
// whenever rows were appended.
func (o *Outbox) Ready() <-chan struct{} { return o.ready }

// Append writes entries durably and returns only after the fsync'd commit.
// Concurrent callers share commits (store.DB.Batch), so call it from the
// goroutine that handles the request, not from a loop. It is all or
// nothing: on error no entry was written. Errors: *FullError (errors.Is
// ErrFull) when a never-drop stream is at capacity; *DiskLowError
// (errors.Is ErrDiskLow) when free disk is below the stream's floor;
// ErrInvalidEntry, ErrUnknownStream. Telemetry drops its oldest rows instead
// of refusing. ctx is checked before the write; once submitted, the write
// completes.
func (o *Outbox) Append(ctx context.Context, entries ...Entry) ([]Appended, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validate(entries); err != nil {
		return nil, err
	}
	free := o.free()
	var (
		res     []Appended
		after   []touched
		refusal error
	)
	err := o.db.Batch(func(tx *store.Tx) error {
		// May run more than once: start from scratch every time.
		res, after, refusal = nil, nil, nil
		r, a, err := o.write(tx, entries, free)
		if isRefusal(err) {
			refusal = err // nothing written; let the rest of the batch commit
			return nil
		}
		if err != nil {
			return err
		}
		res, after = r, a
		return nil
	})
	if err != nil {
		if d := NoSpace(err, entries[0].Stream); d != err {
			o.refused(d)
			return nil, d
		}
		return nil, fmt.Errorf("append to outbox: %w", err)
	}
	if refusal != nil {
		o.refused(refusal)
		return nil, refusal
	}
	o.accepted(after)
	o.Notify()
	return res, nil
}

// AppendTx appends inside the caller's write transaction, so a record, its
// outbox row and e.g. a cursor commit or roll back together. Errors are as
// for Append; on error nothing was written by AppendTx and the caller should
// roll back. The caller must call o.Notify() after its commit succeeds.
func (o *Outbox) AppendTx(tx *store.Tx, entries ...Entry) ([]Appended, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	if !tx.Writable() {
		return nil, fmt.Errorf("append to outbox: %w", store.ErrReadOnly)
	}
	if err := validate(entries); err != nil {
		return nil, err
	}
	res, after, err := o.write(tx, entries, o.free())
	if isRefusal(err) {
		o.refused(err)
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("append to outbox: %w", err)
	}
	o.accepted(after)
	return res, nil
}

func validate(entries []Entry) error {
	for i := range entries {
		e := &entries[i]
		switch {
		case !e.Stream.Valid():
			return fmt.Errorf("entry %d: stream %q: %w", i, e.Stream, ErrUnknownStream)
		case e.Type == "":
			return fmt.Errorf("entry %d: no type: %w", i, ErrInvalidEntry)
		case len(e.Subject) > maxSubjectLen:
			return fmt.Errorf("entry %d: subject longer than %d bytes: %w", i, maxSubjectLen, ErrInvalidEntry)
		case len(e.DedupeKey) > maxDedupeLen:
			return fmt.Errorf("entry %d: dedupe key longer than %d bytes: %w", i, maxDedupeLen, ErrInvalidEntry)
		case strings.HasPrefix(e.DedupeKey, "\x00"):
			return fmt.Errorf("entry %d: dedupe key starts with a NUL byte: %w", i, ErrInvalidEntry)
		case e.Ref != nil && e.Subject == "":
			return fmt.Errorf("entry %d: a ref needs a subject: %w", i, ErrInvalidEntry)
		case len(e.DedupeScope) > maxSubjectLen || strings.Contains(e.DedupeScope, "\x00"):
			return fmt.Errorf("entry %d: dedupe scope longer than %d bytes or with a NUL byte: %w", i, maxSubjectLen, ErrInvalidEntry)
		}
		if e.ID != "" {
			if _, err := uuid.Parse(e.ID); err != nil {
				return fmt.Errorf("entry %d: id %q is not a UUID: %w", i, e.ID, ErrInvalidEntry)
			}
		}
	}
	return nil
}

func isRefusal(err error) bool {
	var f *FullError
	var d *DiskLowError
	return errors.As(err, &f) || errors.As(err, &d)
}

// counters are a stream's persisted totals.
type counters struct{ depth, bytes, dropped uint64 }

func readCounters(b *store.Bucket) counters {
	return counters{
		depth:   store.ParseU64(b.Get(keyDepth)),
		bytes:   store.ParseU64(b.Get(keyBytes)),
		dropped: store.ParseU64(b.Get(keyDropped)),
	}
}

func (c counters) write(b *store.Bucket) error {
	if err := b.Put(keyDepth, store.U64(c.depth)); err != nil {
		return err
	}
	if err := b.Put(keyBytes, store.U64(c.bytes)); err != nil {
		return err
	}
	return b.Put(keyDropped, store.U64(c.dropped))
}

// touched is a stream's counters after a committed change.
type touched struct {
	stream  Stream
	c       counters
	dropped uint64 // rows dropped by this change
}

// Peek returns up to max rows of stream with Seq > after, in Seq order.
// The rows are copies.
func (o *Outbox) Peek(stream Stream, after uint64, max int) ([]Row, error) {
	return o.PeekInto(nil, stream, after, max)
}

// PeekInto is Peek reading into rows[:cap(rows)] first: a row there keeps
// its Data buffer (and its Type and Subject strings when they are the
// same), so a reader that pages through a stream allocates little per
// row. The rows it returns reuse that storage: rows from the earlier call
// must no longer be used.
func (o *Outbox) PeekInto(rows []Row, stream Stream, after uint64, max int) ([]Row, error) {
	if !stream.Valid() {
		return nil, fmt.Errorf("peek %q: %w", stream, ErrUnknownStream)
	}
	if max <= 0 {
		return nil, fmt.Errorf("peek %s: max must be positive, got %d", stream, max)
	}
	if after == ^uint64(0) {
		return nil, nil
	}
	rows = rows[:0]
	err := o.db.View(func(tx *store.Tx) error {
		rows = rows[:0]
		return tx.Bucket(store.Outbox, string(stream), bucketRows).Scan(store.U64(after+1), func(k, v []byte) (bool, error) {
			seq := store.ParseU64(k)
			var err error
			if len(rows) < cap(rows) {
				rows = rows[:len(rows)+1]
				err = decodeRowInto(&rows[len(rows)-1], stream, seq, v)
			} else {
				var r Row
				r, err = decodeRow(stream, seq, v)
				rows = append(rows, r)
			}
			if err != nil {
				return false, fmt.Errorf("%s seq %d: %w", stream, seq, ErrCorrupt)
			}
			return len(rows) < max, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("peek %s: %w", stream, err)
	}
	return rows, nil
}

// MarkAttempt records one delivery attempt at at for each row of seqs (one
// transaction). Missing rows are skipped.
func (o *Outbox) MarkAttempt(stream Stream, seqs []uint64, at time.Time) error {
	if !stream.Valid() {
		return fmt.Errorf("mark attempt %q: %w", stream, ErrUnknownStream)
	}
	if len(seqs) == 0 {
		return nil
	}
	err := o.db.Update(func(tx *store.Tx) error {
		rows := tx.Bucket(store.Outbox, string(stream), bucketRows)
		for _, seq := range seqs {
			k := store.U64(seq)
			v := rows.Get(k) // a copy, changed in place
			if v == nil {
				continue
			}
			if !markAttempt(v, at) {
				continue // corrupt; Peek reports it
			}
			if err := rows.Put(k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark attempt %s: %w", stream, err)
	}
	return nil
}

// Ack deletes delivered rows (one transaction) and updates the counters.
// Rows already deleted, and repeated seqs, are skipped, not counted twice.
func (o *Outbox) Ack(stream Stream, seqs []uint64) error {
	if !stream.Valid() {
		return fmt.Errorf("ack %q: %w", stream, ErrUnknownStream)
	}
	if len(seqs) == 0 {
		return nil
	}
	var after counters
	err := o.db.Update(func(tx *store.Tx) error {
		sb := tx.Bucket(store.Outbox, string(stream))
		rows := sb.Sub(bucketRows)
		c := readCounters(sb)
		n, size, err := rows.DeleteU64(seqs)
		if err != nil {
			return err
		}
		c.depth = subClamp(c.depth, uint64(n))
		c.bytes = subClamp(c.bytes, uint64(size+n*keyOverhead))
		after = c
		return c.write(sb)
	})
	if err != nil {
		return fmt.Errorf("ack %s: %w", stream, err)
	}
	ss := o.state(stream)
	if below95(after, ss.limits) {
		o.clearAlarm(ss, alarmFull)
	}
	return nil
}

func subClamp(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

func below95(c counters, l Limits) bool {
	return c.depth*20 <= uint64(l.MaxRows)*19 && c.bytes*20 <= uint64(l.MaxBytes)*19
}

// Stats returns every stream's state, in Streams order. It reads each
// stream's counters and first row only.
func (o *Outbox) Stats() []StreamStats {
	now := o.cfg.Now()
	out := make([]StreamStats, len(Streams))
	err := o.db.View(func(tx *store.Tx) error {
		for i, s := range Streams {
			sb := tx.Bucket(store.Outbox, string(s))
			c := readCounters(sb)
			st := StreamStats{Stream: s, Depth: int(c.depth), Bytes: int64(c.bytes), Dropped: c.dropped}
			if _, v := sb.Sub(bucketRows).First(); v != nil {
				st.Oldest = rowTime(v)
				st.OldestAge = max(now.Sub(st.Oldest), 0)
			}
			out[i] = st
		}
		return nil
	})
	if err != nil {
		o.log.Warn("read outbox stats", "err", err)
	}
	for i, s := range Streams {
		ss := o.streams[i]
		out[i].Stream = s
		out[i].Capacity = ss.limits.MaxRows
		out[i].MaxBytes = ss.limits.MaxBytes
		out[i].Refused = ss.refused.Load()
		ss.mu.Lock()
		out[i].Full = ss.alarm == alarmFull
		out[i].DiskLow = ss.alarm == alarmDisk
		out[i].Alarm = ss.reason
		ss.mu.Unlock()
	}
	return out
}

// free returns the free bytes for new rows: the data directory's file
// system (measured at most every DiskCheckEvery; unmeasurable counts as
// unlimited) plus the free pages inside the store file, which bbolt reuses
// before it grows the file (after a backlog drains they are most of it).
//
// Below a floor the figure is measured again if it is older than
// nearFloorEvery, so space an operator frees brings refused streams back at
// once, not up to DiskCheckEvery later (the soak saw an order refused
// just after the filler file went, on the second's old figure).
func (o *Outbox) free() uint64 {
	fs := o.fsFree(0)
	if fs == ^uint64(0) {
		return fs
	}
	inside := uint64(max(o.db.FreeBytes(), 0))
	if fs+inside < o.topFloor {
		fs = o.fsFree(min(nearFloorEvery, o.cfg.DiskCheckEvery))
	}
	return fs + inside
}

// nearFloorEvery is how old a free-space figure below a floor may be.
const nearFloorEvery = 50 * time.Millisecond

// fsFree returns the file system's free bytes, measured again when the
// last figure is older than maxAge (0: Config.DiskCheckEvery).
func (o *Outbox) fsFree(maxAge time.Duration) uint64 {
	o.diskMu.Lock()
	defer o.diskMu.Unlock()
	now := time.Now()
	if maxAge == 0 {
		maxAge = o.cfg.DiskCheckEvery
	}
	if maxAge > 0 && !o.diskAt.IsZero() && now.Sub(o.diskAt) < maxAge {
		return o.diskFree
	}
	free, err := o.cfg.DiskFree(o.db.Dir())
	if err != nil {
		if !o.diskErr {
			o.log.Warn("cannot measure free disk space; floors not enforced", "dir", o.db.Dir(), "err", err)
		}
		o.diskErr = true
		free = ^uint64(0)
	} else {
		o.diskErr = false
	}
	o.diskAt, o.diskFree = now, free
	return free
}

// refused counts a refusal and raises the stream's alarm.
func (o *Outbox) refused(err error) {
	var f *FullError
	var d *DiskLowError
	switch {
	case errors.As(err, &f):
		ss := o.state(f.Stream)
		ss.refused.Add(1)
		o.setAlarm(ss, alarmFull, f.Reason)
	case errors.As(err, &d):
		ss := o.state(d.Stream)
		ss.refused.Add(1)
		o.setAlarm(ss, alarmDisk, d.Reason)
	}
}

// accepted updates alarms after a successful append.
func (o *Outbox) accepted(after []touched) {
	for _, t := range after {
		ss := o.state(t.stream)
		o.clearAlarm(ss, alarmDisk)
		if t.dropped > 0 {
			o.setAlarm(ss, alarmFull, fmt.Sprintf("%s outbox is full (%d rows): the oldest are dropped to make room (%d so far)",
				t.stream, t.c.depth, t.c.dropped))
		} else if below95(t.c, ss.limits) {
			o.clearAlarm(ss, alarmFull)
		}
	}
}

// setAlarm records the alarm and logs it once per transition.
func (o *Outbox) setAlarm(ss *streamState, kind alarmKind, reason string) {
	ss.mu.Lock()
	prev := ss.alarm
	ss.alarm, ss.reason = kind, reason
	ss.mu.Unlock()
	if prev == kind {
		return
	}
	attrs := []any{"stream", string(ss.stream), "reason", reason}
	switch {
	case ss.stream.Droppable() && kind == alarmFull:
		o.log.Warn("outbox full, dropping oldest", attrs...)
	case kind == alarmFull:
		o.log.Error("outbox full, refusing new events", attrs...)
	case ss.stream == Telemetry || ss.stream == SyncLogs:
		o.log.Warn("disk space low, refusing new events", attrs...)
	default:
		o.log.Error("disk space low, refusing new events", attrs...)
	}
}

// clearAlarm ends an alarm of the given kind.
func (o *Outbox) clearAlarm(ss *streamState, kind alarmKind) {
	ss.mu.Lock()
	was := ss.alarm == kind
	if was {
		ss.alarm, ss.reason = alarmNone, ""
	}
	ss.mu.Unlock()
	if was {
		o.log.Info("outbox accepting again", "stream", string(ss.stream))
	}
}
