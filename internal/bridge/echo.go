package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// Echo suppression. An order aura-edge injected into the POS (order.inject)
// comes back on the next pull or webhook. It is already an Aura order, so
// it is not raised to the cloud again as a new store order: the order and
// its payments are left out of the capture, and each revision of it is
// audited once (type order_echo) naming the Aura order id. A revision that
// shows a change made at the POS (void, refund, items, payment) is raised
// as one UpdatedAtPOSType event linked to the Aura order. An order is an echo when the adapter
// found aura-edge's external reference on it (pos.PullResult.Echoes: Square
// reference_id with source "Aura", Clover title "Aura <id>", Lightspeed
// source.type "Aura", Toast externalId "AURA:<id>"), or when its vendor id
// is the vendor order id of a finished injection into this integration
// (recorded in the integration's state when the job is done).

// AuditEcho is the audit type of a skipped echo.
const AuditEcho = "order_echo"

// echoKey records, in the integration's state, that the pulled order with
// this Aura id is an echo (so its payments pulled later are skipped too).
func echoKey(orderID string) string { return "echo/order/" + orderID }

// injectedKey records, in the integration's state, the Aura order id of a
// vendor order that an injection created (written when the job is done).
func injectedKey(vendorOrderID string) string { return "echo/vendor/" + vendorOrderID }

// has reports whether the state holds key.
func has(st pos.State, key string) bool {
	v, err := st.Get(key)
	return err == nil && v != nil
}

// UpdatedAtPOSType is the CloudEvents type of a change staff made at the
// POS to an order aura-edge injected (stream orders, subject the Aura order
// id, data PosUpdate).
const UpdatedAtPOSType = "com.auraconnect.edge.order.updated_at_pos"

// PosUpdate is the data of an UpdatedAtPOSType event: the Aura order it
// belongs to, what changed (in words), and the order as the POS now has it.
type PosUpdate struct {
	AuraOrderID   string           `json:"aura_order_id"`
	IntegrationID string           `json:"integration_id"`
	Vendor        string           `json:"vendor"`
	VendorOrderID string           `json:"vendor_order_id"`
	Version       string           `json:"version,omitempty"`
	Changes       []string         `json:"changes"`
	State         model.OrderState `json:"state"`
	Total         model.Money      `json:"total"`
	Paid          model.Money      `json:"paid"`
	Refunded      model.Money      `json:"refunded"`
	Order         model.Order      `json:"order"`
}

// posState is what aura-edge remembers of an echo's last revision, to tell a
// change made at the POS from the same order read again.
type posState struct {
	State    model.OrderState `json:"state"`
	Total    int64            `json:"total"`
	Paid     int64            `json:"paid"`
	Refunded int64            `json:"refunded"`
	Items    string           `json:"items"` // sorted "name|variation|quantity" lines
	Qty      int64            `json:"qty"`   // quantity of all lines, in thousandths
}

func stateOf(o *model.Order) posState {
	s := posState{State: o.State, Total: o.Totals.Total.Amount}
	for _, p := range o.Payments {
		if p.Status == model.PaymentCompleted {
			s.Paid += p.Amount.Amount
		}
	}
	for _, r := range o.Refunds {
		if r.Status != model.PaymentFailed && r.Status != model.PaymentCanceled {
			s.Refunded += r.Amount.Amount
		}
	}
	lines := make([]string, 0, len(o.LineItems))
	for _, li := range o.LineItems {
		s.Qty += int64(li.Quantity)
		lines = append(lines, fmt.Sprintf("%s|%s|%d", li.Name, li.VariationName, li.Quantity))
	}
	slices.Sort(lines)
	for _, l := range lines {
		s.Items += l + "\n"
	}
	return s
}

// changes describes, in the words staff would use, how now differs from
// before (the last revision seen); before is nil for the first revision
// seen, which is compared with what aura-edge injected (inj, when known):
// only a void, a refund or other items are a change then, as the POS may
// have completed, priced or renamed what it was sent.
func changes(before *posState, now posState, inj *Job, cur string) []string {
	money := func(v int64) string { return model.Money{Amount: v, Currency: cur}.String() }
	var out []string
	if before == nil {
		if inj == nil {
			return nil
		}
		if now.State == model.OrderCanceled {
			out = append(out, "voided at the POS")
		}
		if now.Refunded > 0 {
			out = append(out, "refunded "+money(now.Refunded)+" at the POS")
		}
		if inj.Order != nil {
			var q int64
			for _, li := range inj.Order.LineItems {
				q += int64(li.Quantity)
			}
			if q != now.Qty {
				out = append(out, "items changed at the POS")
			}
			if inj.Payment == nil && now.Paid > 0 {
				out = append(out, "paid "+money(now.Paid)+" at the POS")
			}
		}
		return out
	}
	if now.State != before.State {
		switch {
		case now.State == model.OrderCanceled:
			out = append(out, "voided at the POS")
		case now.State == model.OrderCompleted && before.State == model.OrderOpen:
			out = append(out, "completed at the POS")
		default:
			out = append(out, fmt.Sprintf("state %s → %s at the POS", before.State, now.State))
		}
	}
	if now.Refunded != before.Refunded {
		out = append(out, "refunded "+money(now.Refunded-before.Refunded)+" at the POS")
	}
	if now.Items != before.Items {
		out = append(out, "items changed at the POS")
	}
	if now.Paid != before.Paid {
		out = append(out, fmt.Sprintf("paid %s → %s at the POS", money(before.Paid), money(now.Paid)))
	}
	if now.Total != before.Total {
		out = append(out, fmt.Sprintf("total %s → %s", money(before.Total), money(now.Total)))
	}
	return out
}

// echoNote is what commit does for an echo after the page is stored.
type echoNote struct {
	order    *model.Order
	aura     string
	state    posState
	changes  []string
	integ    string
	newState bool
}

// dropEchoes removes echoes and their payments from p. A revision that
// shows a change made at the POS becomes an UpdatedAtPOSType entry in
// p.echoUpdates, stored with the page; what is remembered of each echo is
// written by echoesCommitted after the page is stored.
func (b *Bridge) dropEchoes(ctx context.Context, id string, p *page) {
	if len(p.Orders) == 0 && len(p.Payments) == 0 {
		return
	}
	st := b.d.Integrations.State(id)
	echo := map[string]string{} // pulled order id -> Aura order id
	for i := range p.Orders {
		o := &p.Orders[i]
		// What a finished job recorded comes first: it names the Aura order
		// also for a vendor record a refund created (a Lightspeed return
		// sale, whose own marker is the refund's key).
		aura, ourRefund := "", false
		if m, ok := getMark(st, injectedKey(o.Source.ExternalID)); ok {
			aura, ourRefund = m.Aura, m.Refund
		}
		if aura == "" {
			aura = p.Echoes[o.ID]
		}
		if aura == "" {
			continue
		}
		echo[o.ID] = aura
		if has(st, seenKey(o.Source.Key())) {
			continue
		}
		n := echoNote{order: o, aura: aura, state: stateOf(o), integ: id}
		var before *posState
		if m, ok := getMark(st, stateKey(o.ID)); ok && m.State != nil {
			before = m.State
		}
		var inj *Job
		if before == nil && !ourRefund {
			inj, _ = b.injectedJob(id, aura)
		}
		// First seen, a record is compared with the injection that made it;
		// a refund's own record (or one whose job is unknown: the adapter's
		// marker alone, as for the return of an order taken at the POS) is
		// what aura-edge made, and only later revisions can be changes.
		if before != nil || inj != nil {
			n.changes = changes(before, n.state, inj, o.Currency)
		}
		n.newState = before == nil || len(n.changes) > 0
		if len(n.changes) > 0 {
			u := PosUpdate{AuraOrderID: aura, IntegrationID: id, Vendor: o.Source.Vendor, VendorOrderID: o.Source.ExternalID,
				Version: o.Source.Version, Changes: n.changes, State: o.State, Total: o.Totals.Total,
				Paid: model.Money{Amount: n.state.Paid, Currency: o.Currency}, Refunded: model.Money{Amount: n.state.Refunded, Currency: o.Currency},
				Order: *o}
			data, _ := json.Marshal(u)
			p.echoUpdates = append(p.echoUpdates, outbox.Entry{Stream: outbox.Orders, Type: UpdatedAtPOSType, Subject: aura,
				DedupeKey: "pos-update/" + o.Source.Key(), Data: data})
		}
		p.echoNotes = append(p.echoNotes, n)
	}
	// The notes point into p.Orders: keep copies before the echoes go.
	for i := range p.echoNotes {
		o := *p.echoNotes[i].order
		p.echoNotes[i].order = &o
	}
	p.Orders = slices.DeleteFunc(p.Orders, func(o model.Order) bool { return echo[o.ID] != "" })
	p.Payments = slices.DeleteFunc(p.Payments, func(x model.Payment) bool {
		return x.OrderID != "" && (echo[x.OrderID] != "" || has(st, echoKey(x.OrderID)))
	})
	for oid, aura := range echo {
		if !has(st, echoKey(oid)) {
			if err := putMark(st, echoKey(oid), echoMark{Aura: aura, At: b.d.Now().UTC()}); err != nil {
				b.d.Log.Error("store echo mark", "order", oid, "err", err)
			}
		}
	}
}

// echoesCommitted remembers the echoes of a stored page (their last state,
// each revision seen) and audits each revision once.
func (b *Bridge) echoesCommitted(ctx context.Context, p *page) {
	now := b.d.Now().UTC()
	for _, n := range p.echoNotes {
		o := n.order
		st := b.d.Integrations.State(n.integ)
		if n.newState {
			s := n.state
			if err := putMark(st, stateKey(o.ID), echoMark{Aura: n.aura, At: now, State: &s}); err != nil {
				b.d.Log.Error("store echo state", "order", o.ID, "err", err)
			}
		}
		msg := fmt.Sprintf("order %s at the POS is Aura order %s, injected by aura-edge: not raised again as a new order", o.Source.ExternalID, n.aura)
		if len(n.changes) > 0 {
			msg = fmt.Sprintf("order %s at the POS is Aura order %s, injected by aura-edge: %s (sent as %s)",
				o.Source.ExternalID, n.aura, strings.Join(n.changes, ", "), UpdatedAtPOSType)
		}
		details, _ := json.Marshal(map[string]any{"aura_order_id": n.aura, "order_id": o.ID,
			"vendor_order_id": o.Source.ExternalID, "version": o.Source.Version, "changes": n.changes})
		b.d.Audit.Record(ctx, audit.Record{Type: AuditEcho, Status: audit.Success, Integration: n.integ, Vendor: o.Source.Vendor,
			Message: msg, Details: details})
		if err := putMark(st, seenKey(o.Source.Key()), echoMark{Aura: n.aura, At: now}); err != nil {
			b.d.Log.Error("store echo revision", "order", o.ID, "err", err)
		}
	}
}

// injectedJob finds the done injection of Aura order auraID.
func (b *Bridge) injectedJob(integration, auraID string) (*Job, error) {
	var out *Job
	err := b.d.DB.View(func(tx *store.Tx) error {
		return tx.Bucket(jobsBucket).ForEach(func(_, v []byte) error {
			var j Job
			if json.Unmarshal(v, &j) == nil && j.Kind == JobInject && j.IntegrationID == integration &&
				j.Outcome.Status == JobDone && j.Order != nil && j.Order.ID == auraID {
				out = &j
			}
			return nil
		})
	})
	return out, err
}

// markInjected records that vendor order vendorOrderID is Aura order
// auraID, injected into integration id, so that it is an echo when pulled.
func (b *Bridge) markInjected(id, vendorOrderID, auraID string) {
	b.markOurs(id, vendorOrderID, auraID, false)
}

// markRefunded records that vendor record vendorID (the return sale a
// refund created) belongs to Aura order auraID, so that it is an echo when
// pulled: recognised as ours, not a new (negative) store order.
func (b *Bridge) markRefunded(id, vendorID, auraID string) {
	st := b.d.Integrations.State(id)
	if m, ok := getMark(st, injectedKey(vendorID)); ok && !m.Refund {
		return // the injected order itself (a vendor whose refund id is the order's)
	}
	b.markOurs(id, vendorID, auraID, true)
}

func (b *Bridge) markOurs(id, vendorOrderID, auraID string, refund bool) {
	if vendorOrderID == "" || auraID == "" {
		return
	}
	st := b.d.Integrations.State(id)
	if m, ok := getMark(st, injectedKey(vendorOrderID)); ok && m.Aura == auraID {
		return
	}
	if err := putMark(st, injectedKey(vendorOrderID), echoMark{Aura: auraID, At: b.d.Now().UTC(), Refund: refund}); err != nil {
		b.d.Log.Error("store injected order mark", "vendor_order_id", vendorOrderID, "err", err)
	}
}

// stateKey holds what was last seen of the echo with this pulled order id.
func stateKey(orderID string) string { return "echo/state/" + orderID }

// seenKey marks one revision of an echo as seen (audited, compared).
func seenKey(sourceKey string) string { return "echo/seen/" + sourceKey }

// echoMark is the value of every echo/ key: the Aura order id, when it was
// written (for the prune) and, for echo/state/ keys, the order's last state.
// Marks written before this format hold the bare Aura order id.
type echoMark struct {
	Aura  string    `json:"aura"`
	At    time.Time `json:"at"`
	State *posState `json:"state,omitempty"`
	// Refund marks (echo/vendor/) a vendor record that an order.refund
	// created for Aura order Aura (a Lightspeed return sale).
	Refund bool `json:"refund,omitempty"`
}

func getMark(st pos.State, key string) (echoMark, bool) {
	v, err := st.Get(key)
	if err != nil || v == nil {
		return echoMark{}, false
	}
	return parseMark(v), true
}

func parseMark(v []byte) echoMark {
	var m echoMark
	if len(v) > 0 && v[0] == '{' && json.Unmarshal(v, &m) == nil && m.Aura != "" {
		return m
	}
	return echoMark{Aura: string(v)} // the older format: the bare Aura id, no time
}

func putMark(st pos.State, key string, m echoMark) error {
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return st.Put(key, v)
}

// Echo bookkeeping bounds: marks older than EchoRetention are forgotten, and
// at most echoMaxMarks (20000) of each kind (vendor ids, pulled orders, states,
// revisions) are kept per integration, the newest. A forgotten injected
// order that changes at the POS later is still recognised by its adapter's
// own marker (Square, Clover, Lightspeed, Toast); custom manifests have
// none, so such an order of theirs would then be raised as a store order.
const EchoRetention = 90 * 24 * time.Hour

var echoMaxMarks = 20000 // a variable for tests

// echoKinds are the prefixes of echo bookkeeping in an integration's state.
var echoKinds = []string{"echo/vendor/", "echo/order/", "echo/state/", "echo/seen/"}

// bulkDeleter is a pos.State that deletes many keys in one transaction.
type bulkDeleter interface {
	DeleteKeys(keys []string) error
}

// PruneEchoes forgets echo marks past EchoRetention, and the oldest beyond
// echoMaxMarks of each kind, for every integration. Marks in the older
// format (no time) are given the current time, so they age out from now.
func (b *Bridge) PruneEchoes() (int, error) {
	ins, err := b.d.Integrations.List()
	if err != nil {
		return 0, err
	}
	now := b.d.Now().UTC()
	cutoff := now.Add(-EchoRetention)
	n := 0
	for _, in := range ins {
		st := b.d.Integrations.State(in.ID)
		for _, kind := range echoKinds {
			marks, err := st.List(kind)
			if err != nil {
				return n, err
			}
			type aged struct {
				k  string
				at time.Time
			}
			var keep []aged
			var drop []string
			for k, v := range marks {
				m := parseMark(v)
				switch {
				case m.At.IsZero():
					m.At = now
					if err := putMark(st, k, m); err != nil {
						return n, err
					}
					keep = append(keep, aged{k, now})
				case m.At.Before(cutoff):
					drop = append(drop, k)
				default:
					keep = append(keep, aged{k, m.At})
				}
			}
			if len(keep) > echoMaxMarks {
				slices.SortFunc(keep, func(a, b aged) int {
					if c := a.at.Compare(b.at); c != 0 {
						return c
					}
					return strings.Compare(a.k, b.k)
				})
				for _, a := range keep[:len(keep)-echoMaxMarks] {
					drop = append(drop, a.k)
				}
			}
			if len(drop) == 0 {
				continue
			}
			if bd, ok := st.(bulkDeleter); ok {
				err = bd.DeleteKeys(drop)
			} else {
				for _, k := range drop {
					if err = st.Delete(k); err != nil {
						break
					}
				}
			}
			if err != nil {
				return n, err
			}
			n += len(drop)
		}
	}
	return n, nil
}
