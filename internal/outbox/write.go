package outbox

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/auraconnect/aura-edge/internal/store"
)

// Entry disposition in write: newEntry is appended, storedDup repeats a key
// already in the index, and values >= 0 repeat an earlier entry of the call.
const (
	newEntry  = -1
	storedDup = -2
)

// write appends entries in tx. It is the body of both Append (inside a Batch
// function, so it may run more than once and touches nothing outside tx) and
// AppendTx. A refusal (*FullError, *DiskLowError) is decided before the first
// write, so a refused call leaves tx untouched.
func (o *Outbox) write(tx *store.Tx, entries []Entry, free uint64) ([]Appended, []touched, error) {
	now := o.cfg.Now()
	keys := tx.Bucket(store.Outbox, bucketKeys)
	res := make([]Appended, len(entries))
	disp := make([]int, len(entries))
	var seen map[string]int
	type need struct {
		rows, bytes uint64
		used        bool
	}
	var needs [numStreams]need

	// Pass 1, read only: dedupe, then the disk floor and capacity.
	for i := range entries {
		e := &entries[i]
		disp[i] = newEntry
		if e.DedupeKey != "" {
			if j, ok := seen[e.DedupeKey]; ok {
				disp[i] = j
				continue
			}
			if d, ok := o.lookupDedupe(tx, keys, e); ok {
				res[i], disp[i] = d.appended(), storedDup
				continue
			}
			if seen == nil {
				seen = make(map[string]int)
			}
			seen[e.DedupeKey] = i
		}
		n := &needs[e.Stream.index()]
		n.rows++
		n.bytes += uint64(rowSize(e))
		n.used = true
	}
	var cs [numStreams]counters
	for si, s := range Streams {
		n := needs[si]
		if !n.used {
			continue
		}
		sb := tx.Bucket(store.Outbox, string(s))
		cs[si] = readCounters(sb)
		l := o.streams[si].limits
		if free < l.MinFreeBytes {
			return nil, nil, &DiskLowError{Stream: s, Free: free, Floor: l.MinFreeBytes, Reason: diskReason(s, free, l.MinFreeBytes, o.db.Dir())}
		}
		if s.Droppable() {
			continue
		}
		overRows := cs[si].depth+n.rows > uint64(l.MaxRows)
		if overRows || cs[si].bytes+n.bytes > uint64(l.MaxBytes) {
			_, first := sb.Sub(bucketRows).First()
			oldest := rowTime(first)
			return nil, nil, &FullError{
				Stream: s, Depth: int(cs[si].depth), Bytes: int64(cs[si].bytes),
				MaxRows: l.MaxRows, MaxBytes: l.MaxBytes, Oldest: oldest,
				Reason: fullReason(s, int(cs[si].depth), int64(cs[si].bytes), l, !overRows, now.Sub(oldest)),
			}
		}
	}

	// Pass 2: write rows, subject counters and dedupe records.
	keyOrder := tx.Bucket(store.Outbox, bucketKeyOrder).AppendOnly()
	var newKeys, newSubjects uint64
	for i := range entries {
		if disp[i] != newEntry {
			continue
		}
		e := &entries[i]
		si := e.Stream.index()
		rows := tx.Bucket(store.Outbox, string(e.Stream), bucketRows).AppendOnly()
		seq, err := rows.NextSequence()
		if err != nil {
			return nil, nil, err
		}
		id, err := uuid.NewV7()
		if e.ID != "" {
			id, err = uuid.Parse(e.ID) // validated already
		}
		if err != nil {
			return nil, nil, fmt.Errorf("new event id: %w", err)
		}
		subjectSeq := e.subjectSeq
		if e.Subject != "" && subjectSeq == 0 {
			old := o.subjects.get(tx, []byte(e.Subject))
			if old == nil {
				newSubjects++
			}
			last, _, ref := decodeSubject(old) // the ref stays with the subject
			subjectSeq = last + 1
			if e.Ref != nil { // the caller's record, kept in the same write
				if ref, err = e.Ref(tx); err != nil {
					return nil, nil, err
				}
			}
			if err := o.subjects.put(tx, []byte(e.Subject), encodeSubject(subjectSeq, now.UnixNano(), ref)); err != nil {
				return nil, nil, err
			}
		}
		v := encodeRow(id, now, subjectSeq, e)
		if err := rows.Put(store.U64(seq), v); err != nil {
			return nil, nil, err
		}
		cs[si].depth++
		cs[si].bytes += uint64(len(v) + keyOverhead)
		if e.DedupeKey != "" {
			order, err := keyOrder.NextSequence()
			if err != nil {
				return nil, nil, err
			}
			d := dedupeRec{stream: e.Stream, seq: seq, subjectSeq: subjectSeq, id: id, at: now.UnixNano(), order: order}
			k, pos := []byte(e.DedupeKey), []byte(e.DedupeKey)
			if e.DedupeScope != "" {
				// Beside the scope's subject counter, in the deferred
				// subjects index.
				k = scopedKey(e.DedupeScope, e.DedupeKey)
				pos = append([]byte{0}, k...)
				if o.subjects.get(tx, k) == nil { // absent unless its record was unreadable
					newKeys++
				}
				err = o.subjects.put(tx, k, d.encode())
			} else {
				if !keys.Has(k) {
					newKeys++
				}
				err = keys.Put(k, d.encode())
			}
			if err != nil {
				return nil, nil, err
			}
			if err := keyOrder.Put(store.U64(order), pos); err != nil {
				return nil, nil, err
			}
		}
		res[i] = Appended{ID: id.String(), Stream: e.Stream, Seq: seq, SubjectSeq: subjectSeq}
	}
	for i, j := range disp {
		if j >= 0 {
			res[i] = res[j]
			res[i].Duplicate = true
		}
	}

	// Counters (and telemetry's drops) in the same transaction.
	var after []touched
	for si, s := range Streams {
		if !needs[si].used {
			continue
		}
		sb := tx.Bucket(store.Outbox, string(s))
		var dropped uint64
		if s.Droppable() {
			var err error
			if dropped, err = dropOldest(sb.Sub(bucketRows), &cs[si], o.streams[si].limits); err != nil {
				return nil, nil, err
			}
		}
		if err := cs[si].write(sb); err != nil {
			return nil, nil, err
		}
		after = append(after, touched{stream: s, c: cs[si], dropped: dropped})
	}
	if newKeys > 0 {
		if err := o.pruneKeys(tx, now, newKeys, 2*int(newKeys)); err != nil {
			return nil, nil, fmt.Errorf("prune dedupe keys: %w", err)
		}
	}
	if newSubjects > 0 {
		if err := o.sweepSubjects(tx, now, 2*int(newSubjects)); err != nil {
			return nil, nil, fmt.Errorf("sweep subjects: %w", err)
		}
	}
	return res, after, nil
}

// dropOldest deletes a droppable stream's oldest rows until it fits its
// limits, updating c.
func dropOldest(rows *store.Bucket, c *counters, l Limits) (uint64, error) {
	fits := func() bool { return c.depth <= uint64(l.MaxRows) && c.bytes <= uint64(l.MaxBytes) }
	if fits() {
		return 0, nil
	}
	var drop [][]byte
	err := rows.Scan(nil, func(k, v []byte) (bool, error) {
		if fits() {
			return false, nil
		}
		drop = append(drop, bytes.Clone(k))
		c.depth = subClamp(c.depth, 1)
		c.bytes = subClamp(c.bytes, uint64(len(v)+keyOverhead))
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range drop {
		if err := rows.Delete(k); err != nil {
			return 0, err
		}
	}
	c.dropped += uint64(len(drop))
	return uint64(len(drop)), nil
}

// pruneKeys records added new keys in the dedupe count and forgets up to
// budget of the oldest keys that are past DedupeMaxAge or beyond
// DedupeMaxKeys, stopping at the first key whose row is still queued.
func (o *Outbox) pruneKeys(tx *store.Tx, now time.Time, added uint64, budget int) error {
	st := tx.Bucket(store.Outbox, bucketState)
	keys := tx.Bucket(store.Outbox, bucketKeys)
	keyOrder := tx.Bucket(store.Outbox, bucketKeyOrder)
	count := store.ParseU64(st.Get(keyDedupeCount)) + added
	cutoff := now.Add(-o.cfg.DedupeMaxAge).UnixNano()
	var dropOrder, dropKeys, dropScoped [][]byte
	err := keyOrder.Scan(nil, func(k, dk []byte) (bool, error) {
		if budget <= 0 {
			return false, nil
		}
		budget--
		get, drop := keys.Get, &dropKeys
		if len(dk) > 0 && dk[0] == 0 { // a scoped key, kept in subjects
			drop, dk = &dropScoped, dk[1:]
			get = func(k []byte) []byte { return o.subjects.get(tx, k) }
		}
		d, ok := decodeDedupe(get(dk))
		if !ok || d.order != store.ParseU64(k) {
			// Stale position (its key was re-appended or is unreadable).
			dropOrder = append(dropOrder, bytes.Clone(k))
			return true, nil
		}
		if count <= uint64(o.cfg.DedupeMaxKeys) && d.at > cutoff {
			return false, nil
		}
		if tx.Bucket(store.Outbox, string(d.stream), bucketRows).Has(store.U64(d.seq)) {
			return false, nil // still queued: keep it and everything newer
		}
		dropOrder = append(dropOrder, bytes.Clone(k))
		*drop = append(*drop, bytes.Clone(dk))
		count--
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, k := range dropOrder {
		if err := keyOrder.Delete(k); err != nil {
			return err
		}
	}
	for _, k := range dropKeys {
		if err := keys.Delete(k); err != nil {
			return err
		}
	}
	for _, k := range dropScoped {
		if err := o.subjects.del(tx, k); err != nil {
			return err
		}
	}
	return st.Put(keyDedupeCount, store.U64(count))
}

// sweepSubjects visits up to budget subject counters after the persisted
// sweep position and forgets those idle for longer than SubjectMaxAge.
func (o *Outbox) sweepSubjects(tx *store.Tx, now time.Time, budget int) error {
	st := tx.Bucket(store.Outbox, bucketState)
	subjects := tx.Bucket(store.Outbox, bucketSubjects)
	var start []byte
	if cur := st.Get(keySubjectSweep); cur != nil {
		start = append(cur, 0) // the first key after cur
	}
	cutoff := now.Add(-o.cfg.SubjectMaxAge).UnixNano()
	var drop [][]byte
	var last []byte
	visited := 0
	err := subjects.Scan(start, func(k, v []byte) (bool, error) {
		if visited == budget {
			return false, nil
		}
		if !isSubject(v) { // a scoped dedupe record: pruneKeys owns it
			return true, nil
		}
		visited++
		last = bytes.Clone(k)
		if _, at, _ := decodeSubject(v); at < cutoff {
			drop = append(drop, last)
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, k := range drop {
		if err := subjects.Delete(k); err != nil {
			return err
		}
	}
	if visited < budget { // reached the end: start over next time
		return st.Delete(keySubjectSweep)
	}
	return st.Put(keySubjectSweep, last)
}

func fullReason(s Stream, depth int, size int64, l Limits, byBytes bool, oldest time.Duration) string {
	what := fmt.Sprintf("%d rows", depth)
	if byBytes {
		what = fmt.Sprintf("%s limit, %d rows", formatBytes(uint64(l.MaxBytes)), depth)
	}
	if depth > 0 {
		what += ", oldest " + formatAge(oldest)
	}
	return fmt.Sprintf("%s outbox is full (%s): the cloud link is down or too slow; nothing was lost, new %s are refused until it drains",
		s, what, s)
}

func diskReason(s Stream, free, floor uint64, _ string) string {
	return fmt.Sprintf("disk almost full (%s free for the data directory, counting free space inside the store file; %s needs %s): nothing was lost, new %s are refused until space is freed",
		formatBytes(free), s, formatBytes(floor), s)
}

// formatAge prints d coarsely: 45s, 12m, 5h3m, 3d12h.
func formatAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(int(d/time.Second), 0))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
}

func formatBytes(n uint64) string {
	switch {
	case n < kib:
		return fmt.Sprintf("%d B", n)
	case n < mib:
		return fmt.Sprintf("%.1f KiB", float64(n)/kib)
	case n < gib:
		return fmt.Sprintf("%.1f MiB", float64(n)/mib)
	default:
		return fmt.Sprintf("%.1f GiB", float64(n)/gib)
	}
}

// SetSubjectRef keeps ref (non-zero, the caller's own number, e.g. where
// it stored the subject's latest record) with subject's counter, inside
// tx: call it after an append of that subject in the same transaction.
// The ref stays until the next SetSubjectRef or until the subject's counter
// is forgotten (Config.SubjectMaxAge); appends of the subject leave it.
func (o *Outbox) SetSubjectRef(tx *store.Tx, subject string, ref uint64) error {
	old := o.subjects.get(tx, []byte(subject))
	if old == nil {
		return fmt.Errorf("subject ref for %q: the subject has no event: %w", subject, ErrUnknownSubject)
	}
	seq, at, _ := decodeSubject(old)
	return o.subjects.put(tx, []byte(subject), encodeSubject(seq, at, ref))
}

// SubjectRef returns the ref SetSubjectRef kept with subject, or 0.
func (o *Outbox) SubjectRef(tx *store.Tx, subject string) uint64 {
	_, _, ref := decodeSubject(o.subjects.get(tx, []byte(subject)))
	return ref
}

// scopedKey is where a dedupe record with a scope is kept in subjects: the
// scope, a NUL byte, then 12 bytes of the key's SHA-256 (the scope's few
// keys never collide in 96 bits; the full key would make every record,
// and so the bucket's pages and branches, bigger); it sorts right after
// the scope's own counter.
func scopedKey(scope, key string) []byte {
	h := sha256.Sum256([]byte(key))
	k := make([]byte, 0, len(scope)+1+scopedHashLen)
	k = append(k, scope...)
	k = append(k, 0)
	return append(k, h[:scopedHashLen]...)
}

const scopedHashLen = 12

// lookupDedupe finds e's dedupe record: beside its scope's counter, or in
// keys, where every key was kept before scopes existed.
func (o *Outbox) lookupDedupe(tx *store.Tx, keys *store.Bucket, e *Entry) (dedupeRec, bool) {
	if e.DedupeScope != "" {
		if d, ok := decodeDedupe(o.subjects.get(tx, scopedKey(e.DedupeScope, e.DedupeKey))); ok {
			return d, true
		}
	}
	return decodeDedupe(keys.Get([]byte(e.DedupeKey)))
}
