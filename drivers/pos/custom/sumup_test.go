package custom_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/sumuptest"
	"github.com/auraconnect/aura-edge/internal/model"
)

func eur(n int64) model.Money { return model.Money{Amount: n, Currency: "EUR"} }

func TestSumUpPullWithTokenExpiringMidWalk(t *testing.T) {
	c := newClock()
	srv := sumuptest.Start(t, sumuptest.WithClock(c.Now))
	base := t0.Add(-3 * time.Hour)
	var pays []sumuptest.Transaction
	for i := range 7 {
		pays = append(pays, srv.Pay(base.Add(time.Duration(i)*time.Minute), "12.40", "EUR", "POS", "VISA", "2 x Flat white"))
	}
	cash := srv.Pay(base.Add(10*time.Minute), "3.05", "EUR", "CASH", "", "")
	refund, _ := srv.Refund(base.Add(20*time.Minute), pays[1].ID, "4.20")
	settings := srv.Settings()
	settings["page_size"] = "3"
	logs := &syncBuffer{}
	a := newShipped(t, shipped(t, "sumup.yaml"), srv.Credentials(), settings, c, logs)

	var pages []*pos.PullResult
	var cursor []byte
	for i := 0; ; i++ {
		if i == 1 {
			srv.ExpireTokens() // the token dies between pages
		}
		res, err := a.PullOrders(ctx(t), cursor)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		pages = append(pages, res)
		cursor = res.Next
		if !res.More {
			break
		}
	}
	if len(pages) != 3 || srv.TokenRequests() != 2 {
		t.Errorf("%d pages, %d tokens; want 3 pages (9 transactions, 3 a page), 2 tokens", len(pages), srv.TokenRequests())
	}
	got := byRef(pages)
	if len(got) != 9 {
		t.Fatalf("%d orders, want 9; logs:\n%s", len(got), logs)
	}
	sale := got[pays[1].ID]
	if sale.Totals.Total != eur(1240) || len(sale.Payments) != 1 || sale.Payments[0].Method != model.MethodCard ||
		sale.Payments[0].CardBrand != "VISA" || sale.LineItems[0].Name != "2 x Flat white" {
		t.Errorf("sale: %+v", sale)
	}
	if o := got[cash.ID]; o.Payments[0].Method != model.MethodCash || o.Totals.Total != eur(305) {
		t.Errorf("cash sale: %+v", o)
	}
	r := got[refund.ID]
	if len(r.Refunds) != 1 || r.Refunds[0].Amount != eur(420) || r.Refunds[0].PaymentID != sale.Payments[0].ID || len(r.Payments) != 0 {
		t.Errorf("refund: refunds %+v payments %+v (sale payment %s)", r.Refunds, r.Payments, sale.Payments[0].ID)
	}
	// The next round starts lookback before the newest timestamp and sees
	// the same transactions again (the host de-duplicates by version).
	res, err := a.PullOrders(ctx(t), cursor)
	if err != nil || len(res.Orders) == 0 {
		t.Errorf("next round: %d orders, %v", len(res.Orders), err)
	}
}

func TestSumUpFailuresAndNoMenu(t *testing.T) {
	c := newClock()
	srv := sumuptest.Start(t, sumuptest.WithClock(c.Now))
	srv.Pay(t0.Add(-time.Hour), "1.00", "EUR", "POS", "MASTERCARD", "")
	a := newShipped(t, shipped(t, "sumup.yaml"), srv.Credentials(), srv.Settings(), c, &syncBuffer{})
	srv.FailNext(1, sumuptest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "30"})
	_, err := a.PullOrders(ctx(t), nil)
	var ve *pos.VendorError
	if !errors.As(err, &ve) || ve.Kind != pos.Retryable || ve.RetryAfter != 30*time.Second {
		t.Errorf("429: %v", err)
	}
	srv.FailNext(1, sumuptest.Fault{Status: http.StatusInternalServerError})
	if _, err := a.PullOrders(ctx(t), nil); pos.KindOf(err) != pos.Retryable {
		t.Errorf("500: %v", err)
	}
	rs, err := a.PushMenu(ctx(t), loadMenu(t), pos.PushOptions{})
	if err != nil || len(rs) == 0 {
		t.Fatalf("PushMenu: %v", err)
	}
	for _, r := range rs {
		if r.Status != pos.StatusUnsupported || r.Reason == "" || r.Reason == "manifest has no push_item" {
			t.Errorf("%s %s: %s %q", r.Kind, r.AuraID, r.Status, r.Reason)
		}
	}
	bad := srv.Credentials()
	bad["client_secret"] = "wrong"
	b := newShipped(t, shipped(t, "sumup.yaml"), bad, srv.Settings(), c, &syncBuffer{})
	if err := b.TestConnection(ctx(t)); pos.KindOf(err) != pos.Auth {
		t.Errorf("wrong client secret: %v", err)
	}
}
