package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/store"
)

// Two-way sync: Aura orders into the POS (order.inject) and refunds
// (order.refund). Each request is a job in the pos_jobs bucket, keyed by
// its id (the command id, or the local API's Idempotency-Key), written
// before the vendor is called. A job that is still pending after a crash
// is run again at the next start with the same id, so the vendor's
// idempotency keys (derived from it) give back the order the first run
// created. Its outcome is stored with the outcome event (stream
// cmd-results, type InjectResultType) in one transaction.

// Job buckets and event types.
const (
	jobsBucket       = "pos_jobs"
	InjectResultType = "com.auraconnect.order.inject.result.v1"
	RefundResultType = "com.auraconnect.order.refund.result.v1"
)

// Job kinds.
const (
	JobInject = "order.inject"
	JobRefund = "order.refund"
)

// Job outcome statuses.
const (
	JobPending     = "pending"     // stored, not finished (being tried or waiting for a retry)
	JobDone        = "done"        // the vendor took it
	JobRefused     = "refused"     // refused before anything was created (unknown item, bad input)
	JobUnsupported = "unsupported" // the vendor cannot do this
	JobFailed      = "failed"      // the vendor said no (permanent)
	JobDeadLetter  = "dead_letter" // retries exhausted
)

// RefundSpec is what to refund.
type RefundSpec struct {
	// OrderID is the Aura id of an injected order, or VendorOrderID names a
	// vendor order (a pulled one) directly.
	OrderID         string      `json:"order_id,omitempty"`
	VendorOrderID   string      `json:"vendor_order_id,omitempty"`
	VendorPaymentID string      `json:"vendor_payment_id,omitempty"`
	Amount          model.Money `json:"amount,omitzero"` // zero: the whole payment
	Reason          string      `json:"reason,omitempty"`
}

// Job is one injection or refund.
type Job struct {
	ID            string         `json:"id"`
	Kind          string         `json:"kind"`
	IntegrationID string         `json:"integration_id"`
	Vendor        string         `json:"vendor"`
	Actor         string         `json:"actor,omitempty"`
	Order         *model.Order   `json:"order,omitempty"`
	Payment       *model.Payment `json:"payment,omitempty"`
	Refund        *RefundSpec    `json:"refund,omitempty"`
	Attempts      int            `json:"attempts"`
	CreatedAt     time.Time      `json:"created_at"`
	Outcome       JobOutcome     `json:"outcome"`
}

// JobOutcome is a job's result, as the outcome event and command result
// carry it.
type JobOutcome struct {
	ID              string      `json:"id"`
	Kind            string      `json:"kind"`
	Status          string      `json:"status"`
	IntegrationID   string      `json:"integration_id,omitempty"`
	Vendor          string      `json:"vendor,omitempty"`
	OrderID         string      `json:"order_id,omitempty"` // the Aura order id
	VendorOrderID   string      `json:"vendor_order_id,omitempty"`
	VendorPaymentID string      `json:"vendor_payment_id,omitempty"`
	VendorRefundID  string      `json:"vendor_refund_id,omitempty"`
	RefundAmount    model.Money `json:"refund_amount,omitzero"`
	Existing        bool        `json:"existing,omitempty"`
	Message         string      `json:"message,omitempty"`
	Attempts        int         `json:"attempts,omitempty"`
}

// Final reports whether the outcome will not change any more.
func (o JobOutcome) Final() bool { return o.Status != JobPending && o.Status != "" }

// ErrJobConflict is returned when a job id is reused for another request.
var ErrJobConflict = errors.New("this id was already used for a different request")

// InjectOrder creates order (with its payment, when given) in the POS of
// integration target ("" when exactly one is connected). id makes it
// idempotent: a repeated id returns the stored outcome or resumes the
// pending job, never a second order.
func (b *Bridge) InjectOrder(ctx context.Context, id, target string, order *model.Order, pay *model.Payment, actor string) (JobOutcome, error) {
	if order == nil {
		return JobOutcome{}, errors.New("order.inject needs an order")
	}
	if order.ID == "" {
		// Stable per request, so that a retry stores the same reference.
		order.ID = model.Source{Vendor: "aura-inject", ExternalID: id}.DerivedID("ord")
	}
	return b.submit(ctx, &Job{ID: id, Kind: JobInject, IntegrationID: target, Actor: actor, Order: order, Payment: pay})
}

// RefundOrder refunds (part of) an order's payment at the vendor.
func (b *Bridge) RefundOrder(ctx context.Context, id, target string, spec RefundSpec, actor string) (JobOutcome, error) {
	if spec.OrderID == "" && spec.VendorOrderID == "" {
		return JobOutcome{}, errors.New("order.refund needs order_id (an injected Aura order) or vendor_order_id")
	}
	if spec.Amount.Amount < 0 {
		return JobOutcome{}, errors.New("refund amount cannot be negative")
	}
	return b.submit(ctx, &Job{ID: id, Kind: JobRefund, IntegrationID: target, Actor: actor, Refund: &spec})
}

func (b *Bridge) submit(ctx context.Context, j *Job) (JobOutcome, error) {
	if j.ID == "" {
		return JobOutcome{}, errors.New("a job needs an id")
	}
	old, err := b.Job(j.ID)
	if err != nil {
		return JobOutcome{}, err
	}
	if old != nil {
		if old.Kind != j.Kind {
			return JobOutcome{}, fmt.Errorf("%w (%s)", ErrJobConflict, old.Kind)
		}
		if old.Outcome.Final() {
			out := old.Outcome
			out.Existing = true
			return out, nil
		}
		return b.runJob(ctx, old, false), nil
	}
	if j.IntegrationID == "" {
		ins, err := b.targets("")
		if err != nil {
			return JobOutcome{}, err
		}
		if len(ins) != 1 {
			return JobOutcome{}, fmt.Errorf("%d POS integrations are connected: name one with integration_id", len(ins))
		}
		j.IntegrationID = ins[0].ID
	}
	a, in, err := b.Adapter(j.IntegrationID)
	if err != nil {
		return JobOutcome{}, err
	}
	j.Vendor, j.CreatedAt = in.Vendor, b.d.Now().UTC()
	j.Outcome = JobOutcome{ID: j.ID, Kind: j.Kind, Status: JobPending, IntegrationID: in.ID, Vendor: in.Vendor}
	if j.Order != nil {
		j.Outcome.OrderID = j.Order.ID
	}
	// Settings the vendor needs to create orders are asked for before
	// anything is stored (the installer fixes them, the request is sent again).
	if err := missingSettings(j, a, in.ID); err != nil {
		return JobOutcome{}, err
	}
	// Refusals that need no vendor call are decided before anything is stored
	// as pending, so nothing can be created at the vendor for them.
	if out, final := b.precheck(ctx, j, a); final {
		j.Outcome = out
		return b.finishJob(ctx, j, nil), nil
	}
	if err := b.putJob(j); err != nil {
		return JobOutcome{}, err
	}
	return b.runJob(ctx, j, false), nil
}

// MissingSettingsError refuses an injection up front: the integration lacks
// settings its vendor needs to create orders. Nothing is stored.
type MissingSettingsError struct {
	IntegrationID string
	Vendor        string
	Missing       []pos.MissingSetting
}

func (e *MissingSettingsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "integration %s (%s) cannot create orders until ", e.IntegrationID, e.Vendor)
	if len(e.Missing) == 1 {
		b.WriteString("this setting is set: ")
	} else {
		b.WriteString("these settings are set: ")
	}
	for i, m := range e.Missing {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "settings.%s (%s)", m.Name, m.Hint)
	}
	b.WriteString(". Connect the integration again with them; nothing was stored or sent")
	return b.String()
}

// Field is the first missing setting, as a request field path.
func (e *MissingSettingsError) Field() string { return "settings." + e.Missing[0].Name }

// missingSettings asks an adapter that can create orders which settings
// this order needs and lacks.
func missingSettings(j *Job, a pos.Adapter, id string) error {
	if j.Kind != JobInject || j.Order == nil {
		return nil
	}
	pf, ok := a.(pos.InjectPreflight)
	if !ok {
		return nil
	}
	if ws, ok := a.(pos.WriteSupport); ok && ws.InjectUnsupported() != "" {
		return nil // unsupported says more
	}
	if m := pf.MissingInjectSettings(j.Order, j.Payment); len(m) > 0 {
		return &MissingSettingsError{IntegrationID: id, Vendor: j.Vendor, Missing: m}
	}
	return nil
}

// precheck refuses a job the adapter cannot do or whose items the POS does
// not know.
func (b *Bridge) precheck(ctx context.Context, j *Job, a pos.Adapter) (JobOutcome, bool) {
	out := j.Outcome
	switch j.Kind {
	case JobInject:
		if _, ok := a.(pos.OrderInjector); !ok {
			out.Status, out.Message = JobUnsupported, j.Vendor+": creating orders in this POS is not supported by its adapter"
			return out, true
		}
		if ws, ok := a.(pos.WriteSupport); ok && ws.InjectUnsupported() != "" {
			out.Status, out.Message = JobUnsupported, j.Vendor+": "+ws.InjectUnsupported()
			return out, true
		}
		if ps := j.Order.Validate(); ps != nil {
			out.Status, out.Message = JobRefused, "the order is not valid: "+ps.Error()
			return out, true
		}
		// An adapter that reads the POS's menu to map lines may fail to read
		// it: only an unknown item refuses here, other errors are retried by
		// the job.
		var ue *pos.UnknownItemError
		if _, err := b.mapLines(ctx, j, a); errors.As(err, &ue) || (err != nil && !isLineMapper(a)) {
			out.Status, out.Message = JobRefused, err.Error()
			return out, true
		}
	case JobRefund:
		if _, ok := a.(pos.Refunder); !ok {
			out.Status, out.Message = JobUnsupported, j.Vendor+": refunds through the API are not supported by this POS adapter"
			return out, true
		}
		if ws, ok := a.(pos.WriteSupport); ok && ws.RefundUnsupported() != "" {
			out.Status, out.Message = JobUnsupported, j.Vendor+": "+ws.RefundUnsupported()
			return out, true
		}
		if j.Refund.VendorOrderID == "" {
			inj, err := b.injectedOrder(j.IntegrationID, j.Refund.OrderID)
			if err != nil || inj == nil {
				out.Status, out.Message = JobRefused, "order "+j.Refund.OrderID+" was not injected into this POS; give vendor_order_id for an order taken at the POS"
				return out, true
			}
			j.Refund.VendorOrderID = inj.VendorOrderID
			if j.Refund.VendorPaymentID == "" {
				j.Refund.VendorPaymentID = inj.VendorPaymentID
			}
		}
	}
	return out, false
}

// mapLines maps the job's order lines to the vendor's ids: by the adapter
// when it maps from the POS's own menu (pos.LineMapper), else through the
// menu push mappings.
func (b *Bridge) mapLines(ctx context.Context, j *Job, a pos.Adapter) ([]pos.InjectLine, error) {
	if lm, ok := a.(pos.LineMapper); ok {
		return lm.MapOrderLines(ctx, j.Order)
	}
	return pos.MapOrderLines(pos.Mappings{S: b.d.Integrations.State(j.IntegrationID)}, j.Order)
}

func isLineMapper(a pos.Adapter) bool { _, ok := a.(pos.LineMapper); return ok }

// runJob makes one attempt and records its outcome. A retryable failure
// leaves the job pending with a scheduled retry, or moves it to the dead
// letters after the integration's max_attempts.
//
// scheduled is true when the job's retry flow runs it (the flow's backoff
// then grows with each failure).
func (b *Bridge) runJob(ctx context.Context, j *Job, scheduled bool) JobOutcome {
	l, _ := b.jobLocks.LoadOrStore(j.ID, &sync.Mutex{})
	l.(*sync.Mutex).Lock()
	defer l.(*sync.Mutex).Unlock()
	// Another run may have finished it while this one waited.
	if cur, err := b.Job(j.ID); err == nil && cur != nil {
		if cur.Outcome.Final() {
			return cur.Outcome
		}
		j = cur
	}
	a, _, err := b.Adapter(j.IntegrationID)
	if errors.Is(err, integrations.ErrNotFound) {
		j.Outcome.Status, j.Outcome.Message = JobFailed, "the integration was disconnected"
		return b.finishJob(ctx, j, err)
	}
	if err != nil {
		return b.retryLater(ctx, j, err, scheduled)
	}
	j.Attempts++
	start := b.d.Now()
	switch j.Kind {
	case JobInject:
		lines, merr := b.mapLines(ctx, j, a)
		var ue *pos.UnknownItemError
		if errors.As(merr, &ue) || (merr != nil && !isLineMapper(a)) {
			j.Outcome.Status, j.Outcome.Message = JobRefused, merr.Error()
			return b.finishJob(ctx, j, merr)
		}
		if merr != nil {
			err = merr // the menu could not be read: retried like a vendor error
			break
		}
		res, ierr := a.(pos.OrderInjector).InjectOrder(ctx, pos.InjectRequest{Key: j.ID, Order: *j.Order, Lines: lines, Payment: j.Payment})
		if res != nil {
			j.Outcome.VendorOrderID, j.Outcome.VendorPaymentID, j.Outcome.Existing = res.VendorOrderID, res.VendorPaymentID, res.Existing
		}
		err = ierr
	case JobRefund:
		r := j.Refund
		res, rerr := a.(pos.Refunder).RefundOrder(ctx, pos.RefundRequest{Key: j.ID, VendorOrderID: r.VendorOrderID,
			VendorPaymentID: r.VendorPaymentID, Amount: r.Amount, Reason: r.Reason})
		if res != nil {
			j.Outcome.VendorRefundID, j.Outcome.RefundAmount = res.VendorRefundID, res.Amount
		}
		j.Outcome.VendorOrderID = r.VendorOrderID
		err = rerr
	}
	j.Outcome.Attempts = j.Attempts
	b.d.Log.Debug("pos job attempt", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "took", b.d.Now().Sub(start), "err", err)
	switch pos.KindOf(err) {
	case "":
		j.Outcome.Status, j.Outcome.Message = JobDone, ""
		return b.finishJob(ctx, j, nil)
	case pos.Unsupported:
		j.Outcome.Status, j.Outcome.Message = JobUnsupported, err.Error()
		return b.finishJob(ctx, j, err)
	case pos.Retryable, pos.Conflict:
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return j.Outcome // shutting down: the next start resumes it
		}
		return b.retryLater(ctx, j, err, scheduled)
	}
	j.Outcome.Status, j.Outcome.Message = JobFailed, err.Error()
	return b.finishJob(ctx, j, err)
}

// retryLater keeps the job pending and schedules another attempt, or ends
// it as a dead letter.
func (b *Bridge) retryLater(ctx context.Context, j *Job, cause error, scheduled bool) JobOutcome {
	if j.Attempts >= b.schedule(j.IntegrationID).MaxAttempts {
		j.Outcome.Status = JobDeadLetter
		j.Outcome.Message = fmt.Sprintf("gave up after %d attempts: %s", j.Attempts, fmtErr(cause))
		return b.finishJob(ctx, j, cause)
	}
	j.Outcome.Status, j.Outcome.Message, j.Outcome.Attempts = JobPending, "will retry: "+fmtErr(cause), j.Attempts
	b.jobWait.Store(j.ID, pos.RetryAfterOf(cause)) // the retry flow's pace (scheduleJob)
	if err := b.putJob(j); err != nil {
		b.d.Log.Error("store pos job", "job", j.ID, "err", err)
	}
	b.d.Audit.Record(ctx, audit.Record{Type: auditType(j.Kind), Status: audit.Retrying, Integration: j.IntegrationID, Vendor: j.Vendor,
		Attempt: j.Attempts, Actor: j.Actor, Message: fmt.Sprintf("%s %s: attempt %d failed, will retry: %s", j.Kind, j.ID, j.Attempts, fmtErr(cause))})
	if !scheduled {
		b.scheduleJob(j.ID)
	}
	return j.Outcome
}

// scheduleJob runs a pending job again after a backoff.
func (b *Bridge) scheduleJob(id string) {
	if b.d.Scheduler == nil {
		return
	}
	key := "job/" + id
	// The flow's runs return the outcome's message, not the vendor error:
	// the Retry-After of the last failure is kept aside by retryLater.
	retryAfter := func(error) time.Duration {
		if v, ok := b.jobWait.Load(id); ok {
			return v.(time.Duration)
		}
		return 0
	}
	b.d.Scheduler.Add(scheduler.Flow{Key: key, RetryAfter: retryAfter, MinBackoff: b.jobBackoff(),
		Run: func(ctx context.Context, attempt int) error {
			if attempt == 0 {
				return errNotYet // the first run waits for the backoff, like a retry
			}
			j, err := b.Job(id)
			if err != nil || j == nil || j.Outcome.Final() {
				b.d.Scheduler.Remove(key)
				b.jobWait.Delete(id)
				return nil
			}
			out := b.runJob(ctx, j, true)
			if out.Final() {
				b.d.Scheduler.Remove(key)
				b.jobWait.Delete(id)
				return nil
			}
			return errors.New(out.Message)
		}})
	b.d.Scheduler.Trigger(key)
}

var errNotYet = errors.New("waiting before the next attempt")

func (b *Bridge) jobBackoff() time.Duration {
	if b.d.JobBackoff > 0 {
		return b.d.JobBackoff
	}
	return 5 * time.Second
}

func auditType(kind string) string {
	if kind == JobRefund {
		return "order_refund"
	}
	return "order_inject"
}

// finishJob stores the final outcome with its event in one transaction and
// audits it.
func (b *Bridge) finishJob(ctx context.Context, j *Job, cause error) JobOutcome {
	j.Outcome.Attempts = j.Attempts
	data, _ := json.Marshal(j.Outcome)
	typ := InjectResultType
	if j.Kind == JobRefund {
		typ = RefundResultType
	}
	v, _ := json.Marshal(j)
	err := b.d.DB.Update(func(tx *store.Tx) error {
		if err := tx.Bucket(jobsBucket).Put([]byte(j.ID), v); err != nil {
			return err
		}
		if b.d.Outbox == nil {
			return nil
		}
		_, err := b.d.Outbox.AppendTx(tx, outbox.Entry{Stream: outbox.CmdResults, Type: typ, Subject: j.ID, DedupeKey: "job/" + j.ID, Data: data})
		return err
	})
	if err != nil {
		b.d.Log.Error("store pos job outcome", "job", j.ID, "err", err)
	} else if b.d.Outbox != nil {
		b.d.Outbox.Notify()
	}
	if err == nil && j.Kind == JobInject && j.Outcome.Status == JobDone && j.Order != nil {
		b.markInjected(j.IntegrationID, j.Outcome.VendorOrderID, j.Order.ID) // echo.go
	}
	if err == nil && j.Kind == JobRefund && j.Outcome.Status == JobDone && j.Outcome.VendorRefundID != "" {
		if aura := b.refundedAuraID(j); aura != "" {
			b.markRefunded(j.IntegrationID, j.Outcome.VendorRefundID, aura) // echo.go
		}
	}
	st := audit.Success
	switch j.Outcome.Status {
	case JobRefused:
		st = audit.Rejected
	case JobUnsupported:
		st = audit.Unsupported
	case JobFailed, JobDeadLetter:
		st = audit.Failed
	}
	msg := fmt.Sprintf("%s %s: %s", j.Kind, j.ID, j.Outcome.Status)
	if j.Outcome.VendorOrderID != "" {
		msg += " vendor order " + j.Outcome.VendorOrderID
	}
	if j.Outcome.VendorRefundID != "" {
		msg += " refund " + j.Outcome.VendorRefundID
	}
	if j.Outcome.Message != "" {
		msg += ": " + j.Outcome.Message
	}
	details, _ := json.Marshal(j.Outcome)
	b.d.Audit.Record(ctx, audit.Record{Type: auditType(j.Kind), Status: st, Integration: j.IntegrationID, Vendor: j.Vendor,
		Attempt: j.Attempts, Actor: j.Actor, Message: msg, Details: details})
	_ = cause
	return j.Outcome
}

// refundedAuraID is the Aura order a refund job refunded: the injected
// order it names, or the one injected as its vendor order.
func (b *Bridge) refundedAuraID(j *Job) string {
	if j.Refund == nil {
		return ""
	}
	if j.Refund.OrderID != "" {
		return j.Refund.OrderID
	}
	if m, ok := getMark(b.d.Integrations.State(j.IntegrationID), injectedKey(j.Refund.VendorOrderID)); ok && !m.Refund {
		return m.Aura
	}
	return ""
}

// Job returns a stored job, or nil.
func (b *Bridge) Job(id string) (*Job, error) {
	var j *Job
	err := b.d.DB.View(func(tx *store.Tx) error {
		raw := tx.Bucket(jobsBucket).Get([]byte(id))
		if raw == nil {
			return nil
		}
		j = &Job{}
		return json.Unmarshal(raw, j)
	})
	return j, err
}

func (b *Bridge) putJob(j *Job) error {
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return b.d.DB.Update(func(tx *store.Tx) error { return tx.Bucket(jobsBucket).Put([]byte(j.ID), v) })
}

// injectedOrder finds the done injection of Aura order id.
func (b *Bridge) injectedOrder(integration, orderID string) (*JobOutcome, error) {
	var out *JobOutcome
	err := b.d.DB.View(func(tx *store.Tx) error {
		return tx.Bucket(jobsBucket).ForEach(func(_, v []byte) error {
			var j Job
			if json.Unmarshal(v, &j) == nil && j.Kind == JobInject && j.IntegrationID == integration &&
				j.Outcome.Status == JobDone && j.Order != nil && j.Order.ID == orderID {
				o := j.Outcome
				out = &o
			}
			return nil
		})
	})
	return out, err
}

// ResumeJobs schedules every pending job (after a restart). Each runs again
// with its id, so vendor idempotency keys return what a run interrupted by
// the restart created.
func (b *Bridge) ResumeJobs(ctx context.Context) int {
	var pending []string
	_ = b.d.DB.View(func(tx *store.Tx) error {
		return tx.Bucket(jobsBucket).ForEach(func(k, v []byte) error {
			var j Job
			if json.Unmarshal(v, &j) == nil && !j.Outcome.Final() {
				pending = append(pending, string(k))
			}
			return nil
		})
	})
	for _, id := range pending {
		j, err := b.Job(id)
		if err != nil || j == nil {
			continue
		}
		b.d.Log.Info("resuming pos job interrupted by a restart", "job", id, "kind", j.Kind)
		b.fetches.Add(1)
		go func() {
			defer b.fetches.Done()
			b.runJob(context.WithoutCancel(ctx), j, false)
		}()
	}
	return len(pending)
}
