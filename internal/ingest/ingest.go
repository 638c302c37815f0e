package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// CloudEvents types of captured records.
const (
	TypeOrder   = "com.auraconnect.edge.order"
	TypePayment = "com.auraconnect.edge.payment"
)

// Result is what happened to one record.
type Result struct {
	ID       string `json:"id"`                 // the Aura id
	Status   string `json:"status"`             // "buffered" or "duplicate"
	EventID  string `json:"event_id,omitempty"` // the CloudEvents id of the outbox row
	Sequence uint64 `json:"sequence,omitempty"` // per-record revision number
}

// Status values of Result.
const (
	Buffered  = "buffered"
	Duplicate = "duplicate"
)

// Ingest writes captured records into the store and the outbox.
type Ingest struct {
	db  *store.DB
	ob  *outbox.Outbox
	log *slog.Logger
	// OnOrder, when set, is called after an order's commit (not for
	// duplicates): auto-print hooks in here. It must be idempotent. It runs
	// on one background goroutine, in capture order, after Capture (and
	// Committed) returned: the caller's acknowledgement never waits for the
	// hook's own commits. Wait blocks until every queued call ran.
	OnOrder func(model.Order)
	// DurableOnOrder makes OnOrder survive a crash: a marker is written in
	// the capture transaction (no commit of its own) and removed after
	// OnOrder ran, in one batched commit for all the orders the hook
	// worker took together; markers left by a crash are replayed by
	// ReplayPending at start-up. SetDurableOnOrder turns it on while the
	// Ingest runs.
	DurableOnOrder bool
	// OnReplay, when set, is called by ReplayPending instead of OnOrder:
	// the order's OnOrder may have started before the crash (an auto-print
	// that prints from the marker before its job record is written may
	// have sent its bytes), so the hook can mark what it cannot know.
	OnReplay func(model.Order)
	durable  atomic.Bool // SetDurableOnOrder
	hooks    hooks
	// MaxEventBytes, when positive, refuses a captured record whose JSON
	// is larger (the cloud broker's message limit less the envelope):
	// Capture returns a *TooLargeError and writes nothing. CaptureTx (POS
	// pulls) does not check: what a vendor sent is kept, and an event the
	// broker cannot take becomes a dead letter at send time.
	MaxEventBytes int
	// Observe, when set, is told what happened to each record (metrics):
	// kind is "order" or "payment"; result is buffered, duplicate,
	// invalid, refused (the outbox is full) or error. It must be quick.
	Observe func(kind string, src model.Source, result string)
}

// hooks is the queue of committed orders waiting for OnOrder.
type hooks struct {
	mu      sync.Mutex
	queue   []model.Order
	running bool
	idle    *sync.Cond
}

// pendingBucket holds the captured orders whose OnOrder has not run:
// store.U64(the revision's place in the order log) -> the order id, in
// capture order (appends, not a random page per order). A store from
// before the log has id -> {1} markers; both forms are read.
const pendingBucket = "pending_on_order"

// pendingID returns the order id of a pending marker.
func pendingID(k, v []byte) string {
	if len(v) == 1 && v[0] == 1 { // id -> {1}, the form before the log
		return string(k)
	}
	return string(v)
}

// SetDurableOnOrder makes OnOrder durable from now on, as DurableOnOrder
// does from the start: a runtime setting (config.set) turned auto-print
// on. It stays on until the next start (with nothing to auto-print, a
// hook does nothing), so a marker written is always cleared by the worker.
// One narrow case remains: an order captured just before the switch has
// no marker, and if a later revision of the same order is captured right
// after it and its hook has not run yet, the earlier hook clears that
// revision's marker; a crash before the later hook then skips it.
func (in *Ingest) SetDurableOnOrder() { in.durable.Store(true) }

func (in *Ingest) durableOnOrder() bool { return in.DurableOnOrder || in.durable.Load() }

// New returns an Ingest over db and ob.
func New(db *store.DB, ob *outbox.Outbox, log *slog.Logger) *Ingest {
	return &Ingest{db: db, ob: ob, log: log}
}

// PrepareOrders assigns ids and validates; problems are prefixed with the
// record's index when there is more than one.
func PrepareOrders(orders []model.Order) model.Problems {
	var all model.Problems
	for i := range orders {
		o := &orders[i]
		if o.ID == "" && o.Source.ExternalID != "" {
			o.ID = localID(o.Source, "ord_")
		}
		all = append(all, prefix(o.Validate(), i, len(orders))...)
	}
	return all
}

// PreparePayments assigns ids and validates.
func PreparePayments(payments []model.Payment) model.Problems {
	var all model.Problems
	for i := range payments {
		p := &payments[i]
		if p.ID == "" && p.Source.ExternalID != "" {
			p.ID = localID(p.Source, "pay_")
		}
		all = append(all, prefix(p.Validate(), i, len(payments))...)
	}
	return all
}

// localID derives an id for a record that came without one. Terminals
// that number their orders alike are told apart by their location.
func localID(src model.Source, prefix string) string {
	if src.LocationID != "" {
		src.ExternalID = src.LocationID + "/" + src.ExternalID
	}
	return src.DerivedID(prefix)
}

func prefix(ps model.Problems, i, n int) model.Problems {
	if n <= 1 {
		return ps
	}
	for j := range ps {
		ps[j].Path = "[" + strconv.Itoa(i) + "]." + ps[j].Path
	}
	return ps
}

// Capture validates and writes orders and payments durably, sharing the
// commit with concurrent callers. It returns the results in input order
// (orders first, then payments). On a validation problem nothing is written
// and the error is model.Problems; on a full outbox it is the outbox's
// *FullError or *DiskLowError.
func (in *Ingest) Capture(ctx context.Context, orders []model.Order, payments []model.Payment) ([]Result, error) {
	if ps := append(PrepareOrders(orders), PreparePayments(payments)...); len(ps) > 0 {
		in.observe(orders, payments, nil, "invalid")
		return nil, ps
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Encoded before the group commit: what runs inside it holds the
	// store's one writer for every client.
	enc, err := encodeAll(orders, payments, in.MaxEventBytes)
	if err != nil {
		result := "error"
		if tooLarge := (*TooLargeError)(nil); errors.As(err, &tooLarge) {
			result = "too_large"
		}
		in.observe(orders, payments, nil, result)
		return nil, err
	}
	var res []Result
	var fresh []model.Order
	err = in.db.Batch(func(tx *store.Tx) error {
		res, fresh = nil, nil // Batch may re-run this function
		var err error
		res, fresh, err = in.write(tx, orders, payments, enc)
		return err
	})
	if err != nil {
		stream := outbox.Orders
		if len(orders) == 0 {
			stream = outbox.Payments
		}
		// A full file system is a refusal with a plain reason (503), not an
		// internal error naming the store file.
		err = outbox.NoSpace(err, stream)
		result := "error"
		var tooLarge *TooLargeError
		switch {
		case errors.Is(err, outbox.ErrFull) || errors.Is(err, outbox.ErrDiskLow):
			result = "refused"
		case errors.As(err, &tooLarge):
			result = "too_large"
		}
		in.observe(orders, payments, nil, result)
		return nil, err
	}
	in.observe(orders, payments, res, "")
	in.ob.Notify()
	in.after(fresh)
	return res, nil
}

// observe reports each record's result: res[i].Status, or result for all
// when res is nil.
func (in *Ingest) observe(orders []model.Order, payments []model.Payment, res []Result, result string) {
	if in.Observe == nil {
		return
	}
	status := func(i int) string {
		if i < len(res) {
			return res[i].Status
		}
		return result
	}
	for i := range orders {
		in.Observe("order", orders[i].Source, status(i))
	}
	for i := range payments {
		in.Observe("payment", payments[i].Source, status(len(orders)+i))
	}
}

// CaptureTx writes already prepared records inside the caller's
// transaction (a POS pull commits its cursor with them). The caller must
// call Committed after its commit succeeds.
func (in *Ingest) CaptureTx(tx *store.Tx, orders []model.Order, payments []model.Payment) ([]Result, []model.Order, error) {
	enc, err := encodeAll(orders, payments, 0)
	if err != nil {
		return nil, nil, err
	}
	res, fresh, err := in.write(tx, orders, payments, enc)
	if err == nil {
		in.observe(orders, payments, res, "")
	}
	return res, fresh, err
}

// Committed wakes the cloud link and runs hooks after a CaptureTx commit.
func (in *Ingest) Committed(fresh []model.Order) {
	in.ob.Notify()
	in.after(fresh)
}

// after queues fresh orders for OnOrder and starts the hook worker if it
// is not running. The worker exits when the queue is empty.
func (in *Ingest) after(fresh []model.Order) {
	if in.OnOrder == nil || len(fresh) == 0 {
		return
	}
	h := &in.hooks
	h.mu.Lock()
	h.queue = append(h.queue, fresh...)
	start := !h.running
	h.running = true
	h.mu.Unlock()
	if start {
		go in.runHooks()
	}
}

// runHooks calls OnOrder for queued orders, in order, and clears their
// markers with one commit per round (the rounds grow with the load).
func (in *Ingest) runHooks() {
	h := &in.hooks
	for {
		h.mu.Lock()
		batch := h.queue
		h.queue = nil
		if len(batch) == 0 {
			h.running = false
			if h.idle != nil {
				h.idle.Broadcast()
			}
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		for _, o := range batch {
			in.OnOrder(o)
		}
		if !in.durableOnOrder() {
			continue
		}
		err := in.db.Batch(func(tx *store.Tx) error {
			// The oldest marker of each order the batch holds, once per
			// time it holds it: a later revision's marker stays until its
			// own hook ran. The bucket holds only orders waiting for their
			// hook, so the walk is short.
			want := make(map[string]int, len(batch))
			for _, o := range batch {
				want[o.ID]++
			}
			b := tx.Bucket(store.Records, pendingBucket)
			var drop [][]byte
			err := b.Scan(nil, func(k, v []byte) (bool, error) {
				if id := pendingID(k, v); want[id] > 0 {
					want[id]--
					drop = append(drop, bytes.Clone(k))
				}
				return len(drop) < len(batch), nil
			})
			if err != nil {
				return err
			}
			for _, k := range drop {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			in.log.Warn("clear pending auto-print markers (they replay at the next start)", "err", err)
		}
	}
}

// Wait blocks until every order queued for OnOrder has been through it
// (and its marker cleared). Call it before closing the store.
func (in *Ingest) Wait() {
	h := &in.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.idle == nil {
		h.idle = sync.NewCond(&h.mu)
	}
	for h.running {
		h.idle.Wait()
	}
}

// ReplayPending runs OnOrder for orders captured before a crash that came
// between their commit and their OnOrder, then clears the markers.
// OnOrder is idempotent, so a marker that outlived a completed OnOrder does
// no harm. It returns how many orders were replayed.
func (in *Ingest) ReplayPending() (int, error) {
	if in.OnOrder == nil {
		return 0, nil
	}
	var keys [][]byte
	var ids []string
	seen := map[string]bool{}
	if err := in.db.View(func(tx *store.Tx) error {
		return tx.Bucket(store.Records, pendingBucket).ForEach(func(k, v []byte) error {
			keys = append(keys, bytes.Clone(k))
			if id := pendingID(k, v); !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
			return nil
		})
	}); err != nil || len(keys) == 0 {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		o, err := in.Order(id)
		if err != nil {
			in.log.Warn("pending auto-print of an order no longer stored", "order_id", id, "err", err)
			continue
		}
		if in.OnReplay != nil {
			in.OnReplay(*o)
		} else {
			in.OnOrder(*o)
		}
		n++
	}
	return n, in.db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(store.Records, pendingBucket)
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// encodeAll returns the JSON of orders then payments, refusing one larger
// than limit (when positive) with a *TooLargeError.
func encodeAll(orders []model.Order, payments []model.Payment, limit int) ([][]byte, error) {
	enc := make([][]byte, 0, len(orders)+len(payments))
	add := func(kind, id string, rec any) error {
		data, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", kind, id, err)
		}
		if limit > 0 && len(data) > limit {
			return &TooLargeError{Kind: kind, ID: id, Bytes: len(data), Limit: limit}
		}
		enc = append(enc, data)
		return nil
	}
	for i := range orders {
		if err := add("order", orders[i].ID, &orders[i]); err != nil {
			return nil, err
		}
	}
	for i := range payments {
		if err := add("payment", payments[i].ID, &payments[i]); err != nil {
			return nil, err
		}
	}
	return enc, nil
}

// write stores orders and payments, whose JSON encodeAll returned in enc.
func (in *Ingest) write(tx *store.Tx, orders []model.Order, payments []model.Payment, enc [][]byte) ([]Result, []model.Order, error) {
	res := make([]Result, 0, len(orders)+len(payments))
	var fresh []model.Order
	for i := range orders {
		o := &orders[i]
		r, dup, err := in.put(tx, outbox.Orders, TypeOrder, "orders", o.ID, o.Source, enc[i])
		if err != nil {
			return nil, nil, err
		}
		if !dup {
			fresh = append(fresh, *o)
		}
		res = append(res, r)
	}
	for i := range payments {
		p := &payments[i]
		r, _, err := in.put(tx, outbox.Payments, TypePayment, "payments", p.ID, p.Source, enc[len(orders)+i])
		if err != nil {
			return nil, nil, err
		}
		res = append(res, r)
	}
	return res, fresh, nil
}

func (in *Ingest) put(tx *store.Tx, stream outbox.Stream, typ, bucket, id string, src model.Source, data []byte) (Result, bool, error) {
	// The record is appended to its kind's log (sequential keys: the
	// page it lands on is the one the previous record filled) and found
	// by id through the ref kept with the outbox's counter for the same
	// subject, written once with the counter (Entry.Ref). The
	// records/<kind> bucket keyed by id, a hash, cost a random leaf page
	// per record.
	var seq uint64
	ap, err := in.ob.AppendTx(tx, outbox.Entry{
		Stream: stream, Type: typ, Subject: id, Data: data,
		DedupeKey: DedupeKey(bucket, src, data), DedupeScope: dedupeScope(bucket, src),
		Ref: func(tx *store.Tx) (uint64, error) {
			log := tx.Bucket(store.Records, logBucket(bucket)).AppendOnly()
			var err error
			if seq, err = log.NextSequence(); err != nil {
				return 0, fmt.Errorf("store %s %s: %w", bucket, id, err)
			}
			if err := log.Put(store.U64(seq), data); err != nil {
				return 0, fmt.Errorf("store %s %s: %w", bucket, id, err)
			}
			return seq, nil
		},
	})
	if err != nil {
		return Result{}, false, err
	}
	a := ap[0]
	r := Result{ID: id, Status: Buffered, EventID: a.ID, Sequence: a.SubjectSeq}
	if a.Duplicate && a.Stream != stream {
		// Cannot happen with kind-scoped keys; never acknowledge a record
		// as a duplicate of something of another kind.
		return Result{}, false, fmt.Errorf("%s %s: dedupe key collides with a %s event", bucket, id, a.Stream)
	}
	if a.Duplicate {
		r.Status = Duplicate
		return r, true, nil
	}
	if bucket == "orders" && in.OnOrder != nil && in.durableOnOrder() {
		if err := tx.Bucket(store.Records, pendingBucket).AppendOnly().Put(store.U64(seq), []byte(id)); err != nil {
			return Result{}, false, fmt.Errorf("mark %s for auto-print: %w", id, err)
		}
	}
	return r, false, nil
}

// DedupeKey identifies one revision of one record: its kind, vendor,
// integration, location, external id and version. A record without a
// version gets a hash of its content as the version, so a changed record
// is a new revision and only an identical resubmission is a duplicate.
func DedupeKey(kind string, src model.Source, data []byte) string {
	v := src.Version
	if v == "" {
		h := sha256.Sum256(data)
		v = "sha256:" + hex.EncodeToString(h[:12])
	}
	return kind + "/" + src.Vendor + "/" + src.IntegrationID + "/" + src.LocationID + "/" + src.ExternalID + "/" + v
}

// dedupeScope is the id a record of kind from src gets when it comes
// without one: a function of its DedupeKey (vendor, location and external
// id are in the key). The outbox keeps the key's record beside that id's
// subject counter, so a capture writes one random page instead of two
// (the record's id is, almost always, this one).
func dedupeScope(kind string, src model.Source) string {
	if src.ExternalID == "" {
		return ""
	}
	if kind == "payments" {
		return localID(src, "pay_")
	}
	return localID(src, "ord_")
}

// logBucket names the records/<kind> log of captured revisions: store.U64
// (the bucket's sequence) -> the record's JSON. records/<kind> itself
// (id -> JSON) is what stores made before the log hold; it is read, never
// written, and pruned like the log.
func logBucket(kind string) string { return kind + store.RecordLogSuffix }

// record returns the latest captured revision of a record of kind by id
// (a copy), or nil.
func (in *Ingest) record(kind, id string) ([]byte, error) {
	var raw []byte
	view := func(tx *store.Tx) error {
		if ref := in.ob.SubjectRef(tx, id); ref != 0 {
			raw = tx.Bucket(store.Records, logBucket(kind)).Get(store.U64(ref))
		}
		if raw == nil { // captured before the log, or the log's copy was pruned
			raw = tx.Bucket(store.Records, kind).Get([]byte(id))
		}
		raw = bytes.Clone(raw)
		return nil
	}
	err := in.db.View(view)
	if err == nil && raw == nil {
		// The outbox's subject refs are kept in memory until merged: a
		// read that began just before a commit or a merge sees the ref
		// newer than its snapshot. A second read sees both.
		err = in.db.View(view)
	}
	return raw, err
}

// Order returns the latest captured revision of an order.
func (in *Ingest) Order(id string) (*model.Order, error) {
	raw, err := in.record("orders", id)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("order %s: %w", id, ErrNotFound)
	}
	var o model.Order
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("decode order %s: %w", id, err)
	}
	return &o, nil
}
