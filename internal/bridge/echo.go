package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/model"
)

// Echo suppression. An order aura-edge injected into the POS (order.inject)
// comes back on the next pull or webhook. It is already an Aura order, so
// it is not raised to the cloud again as a new store order: the order and
// its payments are left out of the capture, and each revision of it is
// audited once (type order_echo) naming the Aura order id, so the cloud can
// still see that the POS changed it. An order is an echo when the adapter
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

// dropEchoes removes echoes and their payments from p.
func (b *Bridge) dropEchoes(ctx context.Context, id string, p *page) {
	if len(p.Orders) == 0 && len(p.Payments) == 0 {
		return
	}
	st := b.d.Integrations.State(id)
	echo := map[string]string{} // pulled order id -> Aura order id
	for _, o := range p.Orders {
		aura := p.Echoes[o.ID]
		if aura == "" {
			if v, err := st.Get(injectedKey(o.Source.ExternalID)); err == nil && v != nil {
				aura = string(v)
			}
		}
		if aura == "" {
			continue
		}
		echo[o.ID] = aura
		if !has(st, echoKey(o.ID)) {
			if err := st.Put(echoKey(o.ID), []byte(aura)); err != nil {
				b.d.Log.Error("store echo mark", "order", o.ID, "err", err)
			}
		}
		seen := "echo/seen/" + o.Source.Key()
		if has(st, seen) {
			continue
		}
		details, _ := json.Marshal(map[string]string{"aura_order_id": aura, "order_id": o.ID,
			"vendor_order_id": o.Source.ExternalID, "version": o.Source.Version})
		b.d.Audit.Record(ctx, audit.Record{Type: AuditEcho, Status: audit.Success, Integration: id, Vendor: o.Source.Vendor,
			Message: fmt.Sprintf("order %s at the POS is Aura order %s, injected by aura-edge: not raised again as a new order", o.Source.ExternalID, aura),
			Details: details})
		_ = st.Put(seen, []byte(aura))
	}
	p.Orders = slices.DeleteFunc(p.Orders, func(o model.Order) bool { return echo[o.ID] != "" })
	p.Payments = slices.DeleteFunc(p.Payments, func(x model.Payment) bool {
		return x.OrderID != "" && (echo[x.OrderID] != "" || has(st, echoKey(x.OrderID)))
	})
}

// markInjected records that vendor order vendorOrderID is Aura order
// auraID, injected into integration id, so that it is an echo when pulled.
func (b *Bridge) markInjected(id, vendorOrderID, auraID string) {
	if vendorOrderID == "" || auraID == "" {
		return
	}
	st := b.d.Integrations.State(id)
	if v, err := st.Get(injectedKey(vendorOrderID)); err == nil && string(v) == auraID {
		return
	}
	if err := st.Put(injectedKey(vendorOrderID), []byte(auraID)); err != nil {
		b.d.Log.Error("store injected order mark", "vendor_order_id", vendorOrderID, "err", err)
	}
}
