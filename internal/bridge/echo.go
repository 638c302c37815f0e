package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/store"
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
// is the vendor order id of a finished injection into this integration.

// AuditEcho is the audit type of a skipped echo.
const AuditEcho = "order_echo"

// echoKey records, in the integration's state, that the pulled order with
// this Aura id is an echo (so its payments pulled later are skipped too).
func echoKey(orderID string) string { return "echo/order/" + orderID }

// dropEchoes removes echoes and their payments from p.
func (b *Bridge) dropEchoes(ctx context.Context, id string, p *page) {
	if len(p.Orders) == 0 && len(p.Payments) == 0 {
		return
	}
	st := b.d.Integrations.State(id)
	var injected map[string]string
	echo := map[string]string{} // pulled order id -> Aura order id
	for _, o := range p.Orders {
		aura := p.Echoes[o.ID]
		if aura == "" {
			if injected == nil {
				injected = b.injectedVendorOrders(id)
			}
			aura = injected[o.Source.ExternalID]
		}
		if aura == "" {
			continue
		}
		echo[o.ID] = aura
		if err := st.Put(echoKey(o.ID), []byte(aura)); err != nil {
			b.d.Log.Error("store echo mark", "order", o.ID, "err", err)
		}
		seen := "echo/seen/" + o.Source.Key()
		if v, err := st.Get(seen); err == nil && v != nil {
			continue
		}
		details, _ := json.Marshal(map[string]string{"aura_order_id": aura, "order_id": o.ID,
			"vendor_order_id": o.Source.ExternalID, "version": o.Source.Version})
		b.d.Audit.Record(ctx, audit.Record{Type: AuditEcho, Status: audit.Success, Integration: id, Vendor: o.Source.Vendor,
			Message: fmt.Sprintf("order %s at the POS is Aura order %s, injected by aura-edge: not raised again as a new order", o.Source.ExternalID, aura),
			Details: details})
		_ = st.Put(seen, []byte(aura))
	}
	isEcho := func(orderID string) bool {
		if orderID == "" {
			return false
		}
		if echo[orderID] != "" {
			return true
		}
		v, err := st.Get(echoKey(orderID))
		return err == nil && v != nil
	}
	p.Orders = slices.DeleteFunc(p.Orders, func(o model.Order) bool { return echo[o.ID] != "" })
	p.Payments = slices.DeleteFunc(p.Payments, func(x model.Payment) bool { return isEcho(x.OrderID) })
}

// injectedVendorOrders maps the vendor order ids of finished injections
// into integration id to their Aura order ids.
func (b *Bridge) injectedVendorOrders(id string) map[string]string {
	out := map[string]string{}
	_ = b.d.DB.View(func(tx *store.Tx) error {
		return tx.Bucket(jobsBucket).ForEach(func(_, v []byte) error {
			var j Job
			if json.Unmarshal(v, &j) == nil && j.Kind == JobInject && j.IntegrationID == id && j.Outcome.VendorOrderID != "" && j.Order != nil {
				out[j.Outcome.VendorOrderID] = j.Order.ID
			}
			return nil
		})
	})
	return out
}
