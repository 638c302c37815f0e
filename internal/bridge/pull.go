package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/health"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// PullOrders pulls orders and payments of integration id since its cursor,
// page by page. Each page's records and the advanced cursor commit in one
// transaction, so a crash or a full outbox never skips records: the next
// run starts from the last committed cursor. trigger says why (interval,
// webhook, command, api) and goes into the audit record.
func (b *Bridge) PullOrders(ctx context.Context, id, trigger, actor string, attempt int) (Result, error) {
	l := b.lock(b.pullMu, id)
	l.Lock()
	defer l.Unlock()
	start := b.d.Now()
	res := Result{IntegrationID: id}
	a, in, err := b.Adapter(id)
	res.Vendor = in.Vendor
	if err == nil {
		err = b.pullPages(ctx, id, a, &res)
	}
	st := audit.Success
	res.Status = "success"
	res.Message = fmt.Sprintf("%d orders, %d payments (%d new) via %s", res.Orders, res.Payments, res.New, trigger)
	if err != nil {
		st = statusOf(err)
		res.Status = string(st)
		if st == audit.Retrying {
			res.Status = "failed"
		}
		res.Message = fmt.Sprintf("after %d orders, %d payments: %v", res.Orders, res.Payments, err)
	}
	b.d.Audit.Record(ctx, audit.Record{Type: "order_pull", Status: st, Message: res.Message, Integration: id, Vendor: in.Vendor,
		Attempt: attempt, DurationMS: b.d.Now().Sub(start).Milliseconds(), Actor: actor})
	return res, err
}

func (b *Bridge) pullPages(ctx context.Context, id string, a pos.Adapter, res *Result) error {
	var cursor []byte
	if err := b.d.DB.View(func(tx *store.Tx) error {
		cursor = tx.Bucket(store.Cursors).Get([]byte(id))
		return nil
	}); err != nil {
		return fmt.Errorf("read cursor: %w", err)
	}
	for n := 0; n < b.d.MaxPages; n++ {
		pr, err := a.PullOrders(health.WithOperation(ctx, "order_pull"), cursor)
		if err != nil {
			return err
		}
		p := &page{PullResult: pr}
		if err := b.commitPage(ctx, id, p, true); err != nil {
			return err
		}
		res.Orders += len(pr.Orders)
		res.Payments += len(pr.Payments)
		res.New += p.newCount
		cursor = pr.Next
		if !pr.More {
			return nil
		}
	}
	return nil
}

// page wraps a pull result with what commit learned.
type page struct {
	*pos.PullResult
	newCount int
	// echoUpdates are changes made at the POS to injected orders, stored
	// with the page; echoNotes is what echoesCommitted remembers (echo.go).
	echoUpdates []outbox.Entry
	echoNotes   []echoNote
}

// commitPage writes one page (and the cursor, when withCursor) in one
// transaction. Records that fail validation are still captured (a vendor's
// data is what it is; losing it is worse) and the problems are audited.
// Records the adapter could not represent at all (p.Rejected) and records
// without an id are set aside in the same transaction (store.Rejected) and
// each audited once, never silently dropped.
func (b *Bridge) commitPage(ctx context.Context, id string, p *page, withCursor bool) error {
	for i := range p.Orders {
		if p.Orders[i].Source.IntegrationID == "" {
			p.Orders[i].Source.IntegrationID = id
		}
	}
	for i := range p.Payments {
		if p.Payments[i].Source.IntegrationID == "" {
			p.Payments[i].Source.IntegrationID = id
		}
	}
	b.dropEchoes(ctx, id, p) // orders aura-edge injected (echo.go)
	problems := append(ingest.PrepareOrders(p.Orders), ingest.PreparePayments(p.Payments)...)
	// A record without an external id has no id and cannot be stored; set
	// it aside (audited) rather than block the cursor, and so every later
	// record, forever.
	p.Orders = slices.DeleteFunc(p.Orders, func(o model.Order) bool {
		if o.ID == "" {
			p.RejectValue("order", o.Source.ExternalID, &o, errors.New("the order has no id from the vendor, so it cannot be stored"))
		}
		return o.ID == ""
	})
	p.Payments = slices.DeleteFunc(p.Payments, func(x model.Payment) bool {
		if x.ID == "" {
			p.RejectValue("payment", x.Source.ExternalID, &x, errors.New("the payment has no id from the vendor, so it cannot be stored"))
		}
		return x.ID == ""
	})
	vendor := ""
	if len(p.Rejected) > 0 {
		_, in, _ := b.Adapter(id)
		vendor = in.Vendor
	}
	var setAside []RejectedRecord
	if len(problems) > 0 {
		details, _ := json.Marshal(problems)
		b.d.Audit.Record(ctx, audit.Record{Type: "normalise", Status: audit.Failed, Integration: id,
			Message: fmt.Sprintf("%d problem(s) in pulled records (captured anyway): %s", len(problems), problems[0]), Details: details})
	}
	var fresh []model.Order
	var results []ingest.Result
	err := b.d.DB.Update(func(tx *store.Tx) error {
		if !tx.Exists(store.Integrations, id) {
			return fmt.Errorf("integration %s was deleted during the pull", id)
		}
		var err error
		results, fresh, err = b.d.Ingest.CaptureTx(tx, p.Orders, p.Payments)
		if err != nil {
			return err
		}
		if len(p.echoUpdates) > 0 && b.d.Outbox != nil {
			if _, err := b.d.Outbox.AppendTx(tx, p.echoUpdates...); err != nil {
				return err
			}
		}
		if err := clearRejectedTx(tx, id, p.Orders, p.Payments); err != nil {
			return err
		}
		if setAside, err = b.setAsideTx(tx, id, vendor, p.Rejected); err != nil {
			return err
		}
		if withCursor && p.Next != nil {
			return tx.Bucket(store.Cursors).Put([]byte(id), p.Next)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store pulled records: %w", err)
	}
	for _, r := range results {
		if r.Status == ingest.Buffered {
			p.newCount++
		}
	}
	b.d.Ingest.Committed(fresh)
	if len(p.echoUpdates) > 0 && b.d.Outbox != nil {
		b.d.Outbox.Notify()
	}
	b.echoesCommitted(ctx, p)
	b.auditRejected(ctx, setAside)
	return nil
}

// SyncOrders pulls now for target ("" for all) and returns a result per
// integration.
func (b *Bridge) SyncOrders(ctx context.Context, target, trigger, actor string) ([]Result, error) {
	ins, err := b.targets(target)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(ins))
	for _, in := range ins {
		res, _ := b.PullOrders(ctx, in.ID, trigger, actor, 1)
		out = append(out, res)
	}
	return out, nil
}
