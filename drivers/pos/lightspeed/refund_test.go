package lightspeed

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/internal/model"
)

type lsSale struct {
	State    string `json:"state"`
	Note     string `json:"note"`
	Payments []struct {
		Amount json.Number `json:"amount"`
		Type   struct {
			ConfigID string `json:"config_id"`
		} `json:"type"`
	} `json:"payments"`
	Adjustments []struct {
		Type  string      `json:"adjustment_type"`
		Total json.Number `json:"total"`
	} `json:"adjustments"`
	LineItems []struct {
		Quantity json.Number `json:"quantity"`
	} `json:"line_items"`
	Source struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"source"`
	Totals struct {
		PriceInclTax json.Number `json:"price_incl_tax"`
	} `json:"totals"`
}

func saleOf(t *testing.T, srv *lightspeedtest.Server, id string) lsSale {
	t.Helper()
	var s lsSale
	if err := json.Unmarshal(srv.SaleJSON(id), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestInjectSaleWithTip(t *testing.T) {
	f := newFixture(t, lightspeedtest.InjectSettings())
	req := lsInject(f, "cmd-tip", "aura-order-tip")
	req.Payment.Tip = model.M(150, "NZD")
	res, err := f.a.InjectOrder(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	s := saleOf(t, f.srv, res.VendorOrderID)
	if len(s.Adjustments) != 1 || s.Adjustments[0].Type != "TIP" || s.Adjustments[0].Total != "1.5" ||
		len(s.Payments) != 1 || s.Payments[0].Amount != "10.5" {
		t.Errorf("tip: adjustments %+v, payments %+v; want a 1.50 TIP and a 10.50 payment", s.Adjustments, s.Payments)
	}
}

func TestRefundSale(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, lightspeedtest.InjectSettings())
	inj, err := f.a.InjectOrder(ctx, lsInject(f, "cmd-1", "aura-order-1"))
	if err != nil {
		t.Fatal(err)
	}
	sale := inj.VendorOrderID

	// A partial amount is not an X-Series return: unsupported, nothing made.
	_, err = f.a.RefundOrder(ctx, pos.RefundRequest{Key: "cmd-p", VendorOrderID: sale, Amount: model.M(300, "NZD")})
	if pos.KindOf(err) != pos.Unsupported || !strings.Contains(err.Error(), "partial amount") {
		t.Errorf("partial: %v, want unsupported naming the reason", err)
	}
	if rs := f.srv.ReturnsOf(sale); len(rs) != 0 {
		t.Errorf("returns after a refused partial refund: %v", rs)
	}

	// The closing update is applied but its answer lost: retryable; the
	// retry finds the closed return by its key.
	f.srv.LoseNextUpdateAnswer()
	req := pos.RefundRequest{Key: "cmd-r1", VendorOrderID: sale, Reason: "wrong order"}
	if _, err := f.a.RefundOrder(ctx, req); pos.KindOf(err) != pos.Retryable {
		t.Fatalf("lost answer: %v, want retryable", err)
	}
	var first *pos.RefundResult
	for i := range 2 {
		res, err := f.a.RefundOrder(ctx, req)
		if err != nil || res.VendorRefundID == "" || res.Amount != model.M(900, "NZD") || res.Status != "completed" {
			t.Fatalf("refund %d: %+v %v", i, res, err)
		}
		if first != nil && res.VendorRefundID != first.VendorRefundID {
			t.Errorf("second answer names another return: %s vs %s", res.VendorRefundID, first.VendorRefundID)
		}
		first = res
	}
	returns := f.srv.ReturnsOf(sale)
	closed := 0
	for id, st := range returns {
		if st == "closed" {
			closed++
			r := saleOf(t, f.srv, id)
			if r.Note != "wrong order" || r.Source.Type != "Aura" || len(r.Payments) != 1 || r.Payments[0].Amount != "-9" ||
				r.Payments[0].Type.ConfigID != lightspeedtest.InjectPaymentTypeID || len(r.LineItems) != 1 || r.LineItems[0].Quantity != "-2" {
				t.Errorf("return sale %+v", r)
			}
		}
	}
	if closed != 1 || len(returns) != 1 {
		t.Errorf("returns of the sale: %v, want one closed", returns)
	}

	// A vendor error is retried; a full refund may name its amount.
	inj2, err := f.a.InjectOrder(ctx, lsInject(f, "cmd-2", "aura-order-2"))
	if err != nil {
		t.Fatal(err)
	}
	f.srv.FailNext(1, lightspeedtest.Fault{Status: http.StatusServiceUnavailable, Path: "/sales/"})
	req2 := pos.RefundRequest{Key: "cmd-r2", VendorOrderID: inj2.VendorOrderID, Amount: model.M(900, "NZD")}
	if _, err := f.a.RefundOrder(ctx, req2); pos.KindOf(err) != pos.Retryable {
		t.Fatalf("503: %v, want retryable", err)
	}
	res2, err := f.a.RefundOrder(ctx, req2)
	if err != nil || res2.Amount != model.M(900, "NZD") {
		t.Fatalf("full refund by amount: %+v %v", res2, err)
	}
	if rs := f.srv.ReturnsOf(inj2.VendorOrderID); len(rs) != 1 || rs[res2.VendorRefundID] != "closed" {
		t.Errorf("returns: %v", rs)
	}

	// A sale X-Series does not know is refused in plain words.
	_, err = f.a.RefundOrder(ctx, pos.RefundRequest{Key: "cmd-x", VendorOrderID: "0adaafb3-0000-11e5-fb60-000000000000"})
	if pos.KindOf(err) != pos.Invalid || !strings.Contains(err.Error(), "no sale") {
		t.Errorf("unknown sale: %v", err)
	}
}

func TestRefundSaleInterruptedBeforeClose(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, lightspeedtest.InjectSettings())
	inj, err := f.a.InjectOrder(ctx, lsInject(f, "cmd-1", "aura-order-1"))
	if err != nil {
		t.Fatal(err)
	}
	// An earlier attempt died between initReturnSale and UpdateSale: a
	// parked return is left behind.
	req := pos.RefundRequest{Key: "cmd-r", VendorOrderID: inj.VendorOrderID}
	parked := initReturnDirect(t, f, inj.VendorOrderID)
	res, err := f.a.RefundOrder(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	rs := f.srv.ReturnsOf(inj.VendorOrderID)
	if len(rs) != 2 || rs[parked] != "voided" || rs[res.VendorRefundID] != "closed" {
		t.Errorf("returns %v (parked %s, refund %s): want the parked one voided and one closed", rs, parked, res.VendorRefundID)
	}
}

// initReturnDirect starts a return at the stand-in as an interrupted
// attempt would have.
func initReturnDirect(t *testing.T, f *fixture, sale string) string {
	t.Helper()
	var ret rSaleDoc
	if _, err := f.a.call(context.Background(), "return sale", http.MethodPost, "/sales/"+sale+"/actions/return", nil, nil, &ret); err != nil || ret.Data == nil {
		t.Fatalf("init return: %v", err)
	}
	return ret.Data.ID
}
