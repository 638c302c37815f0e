package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/store"
)

// DriftEventType is the CloudEvents type of menu.drift events (stream
// sync-logs, subject the integration id).
const DriftEventType = "com.auraconnect.edge.menu.drift"

// Drift changes.
const (
	DriftPriceChanged = "price_changed"  // a price differs from the one pushed
	DriftRenamed      = "renamed"        // a name differs from the one pushed
	DriftDeletedAtPOS = "deleted_at_pos" // pushed, and gone from the vendor's catalog
	DriftAddedAtPOS   = "added_at_pos"   // in the vendor's catalog, never pushed
)

// DriftChange is one object-level difference between the vendor's catalog
// and the menu last pushed.
type DriftChange struct {
	Change   string         `json:"change"`
	Kind     pos.ObjectKind `json:"kind"`
	AuraID   string         `json:"aura_id,omitempty"`
	VendorID string         `json:"vendor_id,omitempty"`
	Name     string         `json:"name,omitempty"`
	Parent   string         `json:"parent,omitempty"`
	Pushed   any            `json:"pushed,omitempty"` // the pushed price (minor units) or name
	AtPOS    any            `json:"at_pos,omitempty"` // what the vendor has now
}

// Drift is the last comparison of one integration, as stored and as the
// menu.drift event carries it.
type Drift struct {
	IntegrationID string        `json:"integration_id"`
	Vendor        string        `json:"vendor"`
	MenuID        string        `json:"menu_id"`
	MenuVersion   string        `json:"menu_version"`
	CheckedAt     time.Time     `json:"checked_at"`
	Trigger       string        `json:"trigger"` // interval, webhook, command
	Changes       []DriftChange `json:"changes"`
	// ReportedAt is when this diff was last sent to the cloud.
	ReportedAt time.Time `json:"reported_at,omitzero"`
}

// addDrift schedules the periodic catalog comparison of integration id.
func (b *Bridge) addDrift(id string, s Schedule) {
	if b.d.Scheduler == nil {
		return
	}
	interval := s.DriftInterval
	if interval < 0 {
		interval = 0 // triggered by webhooks only
	}
	b.d.Scheduler.Add(scheduler.Flow{Key: id + "/menu-drift", Interval: interval, Jitter: interval / 10,
		RetryAfter: pos.RetryAfterOf, MinBackoff: time.Minute, MaxBackoff: time.Hour,
		Run: func(ctx context.Context, attempt int) error {
			trigger := "interval"
			b.mu.Lock()
			if b.driftWebhook[id] {
				trigger = "webhook"
				delete(b.driftWebhook, id)
			}
			b.mu.Unlock()
			_, err := b.CheckDrift(ctx, id, trigger)
			return err
		}})
}

// TriggerDrift asks for a catalog comparison of integration id after the
// debounce window; more triggers within the window make one comparison
// (vendors send a burst of catalog webhooks for one edit).
func (b *Bridge) TriggerDrift(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, pending := b.driftTimers[id]; pending {
		return
	}
	b.driftTimers[id] = time.AfterFunc(b.d.DriftDebounce, func() {
		b.mu.Lock()
		delete(b.driftTimers, id)
		b.driftWebhook[id] = true
		b.mu.Unlock()
		if b.d.Scheduler != nil {
			b.d.Scheduler.Trigger(id + "/menu-drift")
			return
		}
		if _, err := b.CheckDrift(context.Background(), id, "webhook"); err != nil {
			b.d.Log.Warn("menu drift check", "integration", id, "err", err)
		}
	})
}

// CheckDrift reads the vendor's catalog, compares it with the menu last
// pushed and, when the difference is not the one reported last, sends a
// menu.drift event. It returns the comparison (nil when the adapter cannot
// read its catalog or no menu was pushed yet).
func (b *Bridge) CheckDrift(ctx context.Context, id, trigger string) (*Drift, error) {
	a, in, err := b.Adapter(id)
	if err != nil {
		return nil, err
	}
	reader, ok := a.(pos.CatalogReader)
	if !ok {
		return nil, nil
	}
	menu, err := b.PushedMenu(id)
	if err != nil || menu == nil {
		return nil, err
	}
	start := b.d.Now()
	objs, err := reader.ReadCatalog(ctx)
	if err != nil {
		b.d.Audit.Record(ctx, audit.Record{Type: "menu_drift", Status: statusOf(err), Integration: id, Vendor: in.Vendor,
			Actor: "scheduler", DurationMS: b.d.Now().Sub(start).Milliseconds(), Message: "read catalog: " + err.Error()})
		return nil, err
	}
	d := &Drift{IntegrationID: id, Vendor: in.Vendor, MenuID: menu.ID, MenuVersion: menu.Version,
		CheckedAt: b.d.Now().UTC(), Trigger: trigger, Changes: DiffCatalog(menu, objs)}
	prev, _ := b.LastDrift(id)
	changed := prev == nil || !sameChanges(prev.Changes, d.Changes)
	if !changed {
		d.ReportedAt = prev.ReportedAt
	}
	if changed && (prev != nil || len(d.Changes) > 0) {
		if err := b.reportDrift(ctx, d); err != nil {
			return d, err
		}
		st, msg := audit.Success, fmt.Sprintf("menu %s version %s: %d difference(s) at the POS", menu.ID, menu.Version, len(d.Changes))
		if len(d.Changes) == 0 {
			msg = fmt.Sprintf("menu %s version %s: the POS matches the menu again", menu.ID, menu.Version)
		}
		details, _ := json.Marshal(d.Changes)
		b.d.Audit.Record(ctx, audit.Record{Type: "menu_drift", Status: st, Integration: id, Vendor: in.Vendor,
			Actor: trigger, DurationMS: b.d.Now().Sub(start).Milliseconds(), Message: msg, Details: details})
		return d, nil
	}
	return d, b.saveDrift(nil, d)
}

// reportDrift stores d and queues its event in one transaction.
func (b *Bridge) reportDrift(ctx context.Context, d *Drift) error {
	d.ReportedAt = b.d.Now().UTC()
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	err = b.d.DB.Update(func(tx *store.Tx) error {
		if b.d.Outbox != nil {
			if _, err := b.d.Outbox.AppendTx(tx, outbox.Entry{Stream: outbox.SyncLogs, Type: DriftEventType,
				Subject: d.IntegrationID, Data: data}); err != nil {
				return err
			}
		}
		return b.saveDrift(tx, d)
	})
	if err == nil && b.d.Outbox != nil {
		b.d.Outbox.Notify()
	}
	return err
}

// saveDrift stores d (in tx when given).
func (b *Bridge) saveDrift(tx *store.Tx, d *Drift) error {
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if tx != nil {
		return tx.Bucket(store.Drift).Put([]byte(d.IntegrationID), v)
	}
	return b.d.DB.Update(func(tx *store.Tx) error { return tx.Bucket(store.Drift).Put([]byte(d.IntegrationID), v) })
}

// LastDrift returns the last comparison of integration id, or nil.
func (b *Bridge) LastDrift(id string) (*Drift, error) {
	var d *Drift
	err := b.d.DB.View(func(tx *store.Tx) error {
		raw := tx.Bucket(store.Drift).Get([]byte(id))
		if raw == nil {
			return nil
		}
		d = &Drift{}
		return json.Unmarshal(raw, d)
	})
	return d, err
}

func sameChanges(a, b []DriftChange) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// DiffCatalog compares the vendor's catalog with the menu last pushed:
// pushed objects missing at the vendor, prices and names changed at the
// POS, and objects the POS has that were never pushed. Categories and
// taxes are not compared. The result is sorted.
func DiffCatalog(menu *model.Menu, objs []pos.CatalogObject) []DriftChange {
	type pushed struct {
		kind   pos.ObjectKind
		name   string
		price  *int64
		parent string
	}
	want := map[string]pushed{}
	for _, it := range menu.Items {
		want[it.ID] = pushed{kind: pos.KindItem, name: it.Name}
		for _, v := range it.Variations {
			p := v.Price.Amount
			want[v.ID] = pushed{kind: pos.KindVariation, name: v.Name, price: &p, parent: it.ID}
		}
	}
	for _, g := range menu.ModifierGroups {
		want[g.ID] = pushed{kind: pos.KindModifierGroup, name: g.Name}
		for _, m := range g.Modifiers {
			p := m.Price.Amount
			want[m.ID] = pushed{kind: pos.KindModifier, name: m.Name, price: &p, parent: g.ID}
		}
	}
	var out []DriftChange
	seen := map[string]bool{}
	for _, o := range objs {
		w, ok := want[o.AuraID]
		if o.AuraID == "" || !ok {
			if o.AuraID == "" {
				c := DriftChange{Change: DriftAddedAtPOS, Kind: o.Kind, VendorID: o.VendorID, Name: o.Name, Parent: o.Parent}
				if o.Price != nil {
					c.AtPOS = *o.Price
				}
				out = append(out, c)
			}
			continue
		}
		seen[o.AuraID] = true
		if w.price != nil && o.Price != nil && *w.price != *o.Price {
			out = append(out, DriftChange{Change: DriftPriceChanged, Kind: o.Kind, AuraID: o.AuraID, VendorID: o.VendorID,
				Name: o.Name, Parent: w.parent, Pushed: *w.price, AtPOS: *o.Price})
		}
		if o.Name != "" && o.Name != w.name {
			out = append(out, DriftChange{Change: DriftRenamed, Kind: o.Kind, AuraID: o.AuraID, VendorID: o.VendorID,
				Name: o.Name, Parent: w.parent, Pushed: w.name, AtPOS: o.Name})
		}
	}
	for id, w := range want {
		if !seen[id] {
			out = append(out, DriftChange{Change: DriftDeletedAtPOS, Kind: w.kind, AuraID: id, Name: w.name, Parent: w.parent})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.Change != c.Change {
			return a.Change < c.Change
		}
		if a.Kind != c.Kind {
			return a.Kind < c.Kind
		}
		if a.AuraID != c.AuraID {
			return a.AuraID < c.AuraID
		}
		return a.VendorID < c.VendorID
	})
	return out
}

// MenuSummary reports per integration the number of differences of the
// last catalog comparison and of objects off sale, for the daemon status.
func (b *Bridge) MenuSummary() (drift, unavailable map[string]int) {
	drift, unavailable = map[string]int{}, map[string]int{}
	b.d.DB.View(func(tx *store.Tx) error {
		tx.Bucket(store.Drift).ForEach(func(k, v []byte) error {
			var d Drift
			if json.Unmarshal(v, &d) == nil {
				drift[string(k)] = len(d.Changes)
			}
			return nil
		})
		return nil
	})
	us, _ := b.Unavailables("")
	for _, u := range us {
		unavailable[u.IntegrationID]++
	}
	return drift, unavailable
}
