package custom_test

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/customtest"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/loyversetest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// loseAnswers is a transport that lets the request reach the server and
// then reports the answer lost (a timeout after the vendor acted), for the
// first n requests matching method and path.
type loseAnswers struct {
	method, path string
	n            atomic.Int32
}

func (l *loseAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && r.Method == l.method && r.URL.Path == l.path && l.n.Add(-1) >= 0 {
		resp.Body.Close()
		return nil, errors.New("connection reset after the request was sent")
	}
	return resp, err
}

// injectEnv is a shipped-manifest adapter with a state the test can read.
type injectEnv struct {
	a     *custom.Adapter
	state pos.State
	lose  *loseAnswers
}

func newInjectAdapter(t *testing.T, manifest string, creds, settings map[string]string, c *clock) *injectEnv {
	t.Helper()
	settings["manifest_yaml"] = manifest
	e := &injectEnv{state: pos.NewMemState(), lose: &loseAnswers{}}
	a, err := custom.NewAdapter(pos.Config{IntegrationID: "int-" + t.Name(), Credentials: creds, Settings: settings,
		State: e.state, Now: c.Now, HTTPClient: &http.Client{Transport: e.lose, Timeout: 10 * time.Second},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("NewAdapter: %v", err)
	}
	e.a = a
	return e
}

// cafeOrder is an Aura order of menu.json items: two 16oz lattes and a
// croissant, paid cash.
func cafeOrder(id string) (*model.Order, *model.Payment) {
	o := &model.Order{ID: id, Currency: "USD", State: model.OrderOpen, CreatedAt: t0.Add(-10 * time.Minute),
		Note: "for pickup",
		LineItems: []model.LineItem{
			{ID: "l1", ItemID: "item-latte", VariationID: "var-latte-16", Name: "Latte", Quantity: model.Q(2),
				UnitPrice: usd(525), Note: "extra hot"},
			{ID: "l2", ItemID: "item-croissant", VariationID: "var-croissant", Name: "Croissant", Quantity: model.Q(1),
				UnitPrice: usd(325)},
		},
		Totals: model.Totals{Total: usd(1375)}}
	p := &model.Payment{ID: "pay-" + id, Method: model.MethodCash, Amount: usd(1375), Status: model.PaymentCompleted}
	return o, p
}

func TestLoyverseOrderCreate(t *testing.T) {
	c := newClock()
	srv := loyversetest.Start(t, loyversetest.WithClock(c.Now))
	settings := srv.Settings()
	settings["payment_type_id"] = loyversetest.PaymentTypeCard
	settings["cash_payment_type_id"] = loyversetest.PaymentTypeCash
	e := newInjectAdapter(t, shipped(t, "loyverse.yaml"), srv.Credentials(), settings, c)
	if _, err := e.a.PushMenu(ctx(t), loadMenu(t), pos.PushOptions{}); err != nil {
		t.Fatalf("PushMenu: %v", err)
	}
	order, pay := cafeOrder("ord-aura-1")
	lines, err := pos.MapOrderLines(pos.Mappings{S: e.state}, order)
	if err != nil {
		t.Fatalf("MapOrderLines (the push must record Loyverse variant ids): %v", err)
	}
	req := pos.InjectRequest{Key: "cmd-1", Order: *order, Lines: lines, Payment: pay}
	res, err := e.a.InjectOrder(ctx(t), req)
	if err != nil || res.VendorOrderID == "" || res.Existing {
		t.Fatalf("InjectOrder: %+v %v", res, err)
	}
	got := srv.ReceiptsForOrder("ord-aura-1")
	if len(got) != 1 || got[0].ReceiptNumber != res.VendorOrderID {
		t.Fatalf("receipts for the order: %+v", got)
	}
	r := got[0]
	if r.Source != "Aura" || r.TotalMoney != "13.75" || len(r.LineItems) != 2 || r.LineItems[0].Quantity != "2" ||
		r.LineItems[0].Price != "5.25" || r.LineItems[0].ItemName != "Latte" || r.LineItems[0].LineNote == nil ||
		*r.LineItems[0].LineNote != "extra hot" || r.Note == nil || *r.Note != "for pickup" ||
		!r.ReceiptDate.Equal(order.CreatedAt) {
		t.Errorf("receipt: %+v", r)
	}
	if len(r.Payments) != 1 || r.Payments[0].PaymentTypeID != loyversetest.PaymentTypeCash || r.Payments[0].MoneyAmount != "13.75" {
		t.Errorf("payment: %+v", r.Payments)
	}

	// The same job again, and a new command for the same Aura order: the
	// lookup finds the receipt; nothing is created.
	for _, key := range []string{"cmd-1", "cmd-2"} {
		req.Key = key
		again, err := e.a.InjectOrder(ctx(t), req)
		if err != nil || !again.Existing || again.VendorOrderID != res.VendorOrderID {
			t.Errorf("InjectOrder %s again: %+v %v", key, again, err)
		}
	}

	// The answer to the create is lost after Loyverse made the receipt:
	// the attempt fails retryable and the retry finds the receipt.
	order2, _ := cafeOrder("ord-aura-2")
	req2 := pos.InjectRequest{Key: "cmd-3", Order: *order2, Lines: lines}
	e.lose.method, e.lose.path = http.MethodPost, "/v1.0/receipts"
	e.lose.n.Store(1)
	if _, err := e.a.InjectOrder(ctx(t), req2); pos.KindOf(err) != pos.Retryable {
		t.Fatalf("lost answer: %v (kind %v), want retryable", err, pos.KindOf(err))
	}
	res2, err := e.a.InjectOrder(ctx(t), req2)
	if err != nil || !res2.Existing || len(srv.ReceiptsForOrder("ord-aura-2")) != 1 {
		t.Fatalf("retry after a lost answer: %+v %v, %d receipts", res2, err, len(srv.ReceiptsForOrder("ord-aura-2")))
	}
	if r := srv.ReceiptsForOrder("ord-aura-2")[0]; r.Payments[0].PaymentTypeID != loyversetest.PaymentTypeCard || r.Payments[0].MoneyAmount != "13.75" {
		t.Errorf("no Aura payment: the total is recorded under payment_type_id: %+v", r.Payments)
	}

	// A server error is retried; a variant Loyverse does not know is final
	// with Loyverse's words.
	srv.FailNext(1, loyversetest.Fault{Status: http.StatusServiceUnavailable, Method: http.MethodPost, PathContains: "/receipts"})
	order3, _ := cafeOrder("ord-aura-3")
	req3 := pos.InjectRequest{Key: "cmd-4", Order: *order3, Lines: lines}
	if _, err := e.a.InjectOrder(ctx(t), req3); pos.KindOf(err) != pos.Retryable {
		t.Errorf("503: %v, want retryable", err)
	}
	bad := append([]pos.InjectLine(nil), lines...)
	bad[0].VendorVariationID = "no-such-variant"
	req3.Lines = bad
	_, err = e.a.InjectOrder(ctx(t), req3)
	if pos.KindOf(err) != pos.Invalid || !strings.Contains(err.Error(), "line_items[0].variant_id") {
		t.Errorf("unknown variant: %v (kind %v), want invalid naming the field", err, pos.KindOf(err))
	}
	if n := len(srv.ReceiptsForOrder("ord-aura-3")); n != 0 {
		t.Errorf("%d receipts for refused orders", n)
	}

	// Refunds: the manifest says why not.
	_, err = e.a.RefundOrder(ctx(t), pos.RefundRequest{Key: "cmd-5", VendorOrderID: res.VendorOrderID})
	if pos.KindOf(err) != pos.Unsupported || !strings.Contains(err.Error(), "Loyverse") {
		t.Errorf("refund: %v, want unsupported with the reason", err)
	}
}

func TestLoyverseOrderCreateNeedsPaymentType(t *testing.T) {
	c := newClock()
	srv := loyversetest.Start(t, loyversetest.WithClock(c.Now))
	e := newInjectAdapter(t, shipped(t, "loyverse.yaml"), srv.Credentials(), srv.Settings(), c)
	if _, err := e.a.PushMenu(ctx(t), loadMenu(t), pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	order, pay := cafeOrder("ord-aura-9")
	// Asked up front (order_create.settings), for cash and card alike;
	// cash_payment_type_id alone does for cash.
	for _, method := range []model.PaymentMethod{model.MethodCash, model.MethodCard} {
		p := *pay
		p.Method = method
		if m := e.a.MissingInjectSettings(order, &p); len(m) != 1 || m[0].Name != "payment_type_id" || m[0].Hint == "" {
			t.Errorf("%s: missing settings %+v, want payment_type_id", method, m)
		}
	}
	if m := e.a.MissingInjectSettings(order, nil); len(m) != 1 {
		t.Errorf("without a payment (the total is recorded under payment_type_id): %+v", m)
	}
	cashOnly := srv.Settings()
	cashOnly["cash_payment_type_id"] = loyversetest.PaymentTypeCash
	e2 := newInjectAdapter(t, shipped(t, "loyverse.yaml"), srv.Credentials(), cashOnly, c)
	if m := e2.a.MissingInjectSettings(order, pay); len(m) != 0 {
		t.Errorf("cash with cash_payment_type_id: %+v", m)
	}
	lines, err := pos.MapOrderLines(pos.Mappings{S: e.state}, order)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.a.InjectOrder(ctx(t), pos.InjectRequest{Key: "k", Order: *order, Lines: lines, Payment: pay})
	if pos.KindOf(err) != pos.Invalid || !strings.Contains(err.Error(), "settings.payment_type_id") {
		t.Errorf("without payment_type_id: %v", err)
	}
	if n := len(srv.ReceiptsForOrder("ord-aura-9")); n != 0 {
		t.Errorf("%d receipts created", n)
	}
}

func TestAcmeOrderCreateAndRefund(t *testing.T) {
	lose := &loseAnswers{}
	e := setup(t, func(c *pos.Config) { c.HTTPClient = &http.Client{Transport: lose, Timeout: 10 * time.Second} })
	if _, err := e.a.PushMenu(ctx(t), loadMenu(t), pos.PushOptions{}); err != nil {
		t.Fatalf("PushMenu: %v", err)
	}
	order, pay := cafeOrder("ord-acme-1")
	pay.Method, pay.Tip = model.MethodCard, usd(200)
	lines, err := pos.MapOrderLines(pos.Mappings{S: e.state}, order)
	if err != nil {
		t.Fatal(err)
	}
	req := pos.InjectRequest{Key: "cmd-1", Order: *order, Lines: lines, Payment: pay}

	// The first answer is lost after Acme created the order: the attempt
	// is retryable, and the retry (same key, so the same Idempotency-Key)
	// gets Acme's first answer back.
	lose.method, lose.path = http.MethodPost, "/v1/locations/"+e.srv.Location()+"/orders"
	lose.n.Store(1)
	if _, err := e.a.InjectOrder(ctx(t), req); pos.KindOf(err) != pos.Retryable {
		t.Fatalf("lost answer: %v, want retryable", err)
	}
	res, err := e.a.InjectOrder(ctx(t), req)
	if err != nil || res.VendorOrderID == "" || res.VendorPaymentID == "" {
		t.Fatalf("InjectOrder: %+v %v", res, err)
	}
	got := e.srv.OrdersWithExternalID("ord-acme-1")
	if len(got) != 1 || got[0].ID != res.VendorOrderID {
		t.Fatalf("orders at Acme: %+v", got)
	}
	o := got[0]
	if len(o.Lines) != 2 || o.Lines[0].ItemID != "var-latte-16" || o.Lines[0].Quantity != "2" || o.Lines[0].UnitPrice != "5.25" ||
		o.Note != "for pickup" || len(o.Payments) != 1 || o.Payments[0].Method != "external" || o.Payments[0].Amount != "13.75" ||
		o.Payments[0].Tip != "2.00" {
		t.Errorf("order at Acme: %+v", o)
	}
	var idem []string
	for _, r := range e.srv.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/orders") {
			idem = append(idem, r.Header.Get("Idempotency-Key"))
		}
	}
	if len(idem) != 2 || idem[0] == "" || idem[0] != idem[1] || idem[0] != pos.IdempotencyKey("cmd-1", "order") {
		t.Errorf("Idempotency-Key of the two attempts: %q", idem)
	}

	// Partial refund, twice with one key (one refund), then the rest.
	rreq := pos.RefundRequest{Key: "cmd-r1", VendorOrderID: res.VendorOrderID, Amount: usd(500), Reason: "cold coffee"}
	for range 2 {
		rr, err := e.a.RefundOrder(ctx(t), rreq)
		if err != nil || rr.VendorRefundID == "" || rr.Amount != usd(500) || rr.Status != "completed" {
			t.Fatalf("RefundOrder: %+v %v", rr, err)
		}
	}
	if rs := e.srv.Refunds(res.VendorOrderID); len(rs) != 1 || rs[0].Amount != "5.00" || rs[0].Reason != "cold coffee" {
		t.Fatalf("refunds at Acme: %+v", rs)
	}
	rr, err := e.a.RefundOrder(ctx(t), pos.RefundRequest{Key: "cmd-r2", VendorOrderID: res.VendorOrderID})
	if err != nil || rr.Amount != usd(1075) {
		t.Fatalf("full refund of the rest: %+v %v", rr, err)
	}
	_, err = e.a.RefundOrder(ctx(t), pos.RefundRequest{Key: "cmd-r3", VendorOrderID: res.VendorOrderID, Amount: usd(100)})
	if pos.KindOf(err) != pos.Invalid || !strings.Contains(err.Error(), "left to refund") {
		t.Errorf("refund beyond the payment: %v (kind %v), want invalid in Acme's words", err, pos.KindOf(err))
	}
	e.srv.FailNext(1, customtest.ServerError())
	if _, err := e.a.RefundOrder(ctx(t), pos.RefundRequest{Key: "cmd-r4", VendorOrderID: res.VendorOrderID, Amount: usd(1)}); pos.KindOf(err) != pos.Retryable {
		t.Errorf("500: %v, want retryable", err)
	}
}

func TestWriteBlocksAbsent(t *testing.T) {
	e := setup(t, func(c *pos.Config) {
		m := c.Settings["manifest_yaml"]
		m = m[:strings.Index(m, "\nfetch_order:")] + m[strings.Index(m, "\npush_item:"):] // no FetchOrders
		c.Settings["manifest_yaml"] = m[:strings.Index(m, "\n# order.inject")] +
			"\nrefund_unsupported: Acme refunds are made on the till only\n"
	})
	a, err := custom.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.(pos.OrderFetcher); ok {
		t.Error("adapter without fetch_order offers FetchOrders")
	}
	_, err = a.(pos.OrderInjector).InjectOrder(ctx(t), pos.InjectRequest{Key: "k"})
	if pos.KindOf(err) != pos.Unsupported || !strings.Contains(err.Error(), "no order_create") {
		t.Errorf("inject without order_create: %v", err)
	}
	_, err = a.(pos.Refunder).RefundOrder(ctx(t), pos.RefundRequest{Key: "k", VendorOrderID: "A-1"})
	if pos.KindOf(err) != pos.Unsupported || !strings.Contains(err.Error(), "on the till only") {
		t.Errorf("refund with refund_unsupported: %v", err)
	}
	ws, ok := a.(pos.WriteSupport)
	if !ok || !strings.Contains(ws.InjectUnsupported(), "no order_create") || ws.RefundUnsupported() != "Acme refunds are made on the till only" {
		t.Errorf("WriteSupport: %v", ws)
	}
	if full := setup(t, nil).a; full.InjectUnsupported() != "" || full.RefundUnsupported() != "" {
		t.Errorf("the full Acme manifest reports %q / %q", full.InjectUnsupported(), full.RefundUnsupported())
	}
}
