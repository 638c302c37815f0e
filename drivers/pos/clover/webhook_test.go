package clover_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/clover"
	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
)

const whURL = "https://edge.example/webhooks/clover"

func TestVerifyWebhook(t *testing.T) {
	e := setup(t, nil)
	m := e.srv.Merchant()
	valid := func() (http.Header, []byte) {
		return e.srv.Webhook(clovertest.OrderEvent("ORD1", 1718153645000), clovertest.PaymentEvent("PAY1", 1718153645100),
			clovertest.OrderEvent("ORD1", 1718153645200), clovertest.WebhookEvent{ObjectID: "I:ITEM1", Type: "UPDATE", TS: 1})
	}
	tests := []struct {
		name     string
		req      func() pos.WebhookRequest
		badSig   bool
		err      bool
		orders   []string
		payments []string
		verify   string
	}{
		{name: "valid", req: func() pos.WebhookRequest {
			h, b := valid()
			return pos.WebhookRequest{URL: whURL, Header: h, Body: b}
		}, orders: []string{"ORD1"}, payments: []string{"PAY1"}},
		{name: "wrong auth code", badSig: true, req: func() pos.WebhookRequest {
			h, b := valid()
			h.Set("X-Clover-Auth", "guess")
			return pos.WebhookRequest{URL: whURL, Header: h, Body: b}
		}},
		{name: "auth code with a different last byte", badSig: true, req: func() pos.WebhookRequest {
			h, b := valid()
			c := []byte(e.srv.AuthCode())
			c[len(c)-1]++
			h.Set("X-Clover-Auth", string(c))
			return pos.WebhookRequest{URL: whURL, Header: h, Body: b}
		}},
		{name: "missing header", badSig: true, req: func() pos.WebhookRequest {
			h, b := valid()
			h.Del("X-Clover-Auth")
			return pos.WebhookRequest{URL: whURL, Header: h, Body: b}
		}},
		{name: "garbage without auth is a signature failure", badSig: true, req: func() pos.WebhookRequest {
			return pos.WebhookRequest{URL: whURL, Header: http.Header{}, Body: []byte("{not json")}
		}},
		{name: "garbage with auth is a parse error", err: true, req: func() pos.WebhookRequest {
			h, _ := valid()
			return pos.WebhookRequest{URL: whURL, Header: h, Body: []byte("{not json")}
		}},
		{name: "verification handshake once the auth code is configured", badSig: true, req: func() pos.WebhookRequest {
			h, b := e.srv.VerificationWebhook("abc-123")
			return pos.WebhookRequest{URL: whURL, Header: h, Body: b}
		}},
		{name: "other merchants' events are ignored", req: func() pos.WebhookRequest {
			h, b := e.srv.WebhookFor(map[string][]clovertest.WebhookEvent{
				"OTHERMERCHANT": {clovertest.OrderEvent("ORDX", 5)},
				m:               {clovertest.OrderEvent("ORD2", 6)},
			})
			return pos.WebhookRequest{URL: whURL, Header: h, Body: b}
		}, orders: []string{"ORD2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := e.a.VerifyWebhook(context.Background(), tc.req())
			if tc.badSig || tc.err {
				if err == nil {
					t.Fatalf("accepted: %+v", ev)
				}
				if errors.Is(err, pos.ErrBadSignature) != tc.badSig {
					t.Errorf("err = %v; ErrBadSignature %v, want %v", err, errors.Is(err, pos.ErrBadSignature), tc.badSig)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID == "" || ev.Verification != tc.verify || !slices.Equal(ev.OrderIDs, tc.orders) || !slices.Equal(ev.PaymentIDs, tc.payments) {
				t.Errorf("event = %+v", ev)
			}
		})
	}
}

// The handshake is accepted only before the auth code is configured, and
// only in Clover's short format (no one can plant text in the audit log).
func TestVerificationHandshake(t *testing.T) {
	e := setup(t, func(c *pos.Config) { delete(c.Credentials, "webhook_auth_code") })
	for _, tc := range []struct {
		code string
		ok   bool
	}{{"abc-123", true}, {"0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", true}, {strings.Repeat("a", 65), false}, {"<script>", false}, {"a b", false}} {
		h, b := e.srv.VerificationWebhook(tc.code)
		ev, err := e.a.VerifyWebhook(context.Background(), pos.WebhookRequest{URL: whURL, Header: h, Body: b})
		if tc.ok && (err != nil || ev.Verification != tc.code) {
			t.Errorf("%q: %v %+v", tc.code, err, ev)
		}
		if !tc.ok && !errors.Is(err, pos.ErrBadSignature) {
			t.Errorf("%q accepted: %v %+v", tc.code, err, ev)
		}
	}
}

func TestVerifyWebhookEventIDs(t *testing.T) {
	e := setup(t, nil)
	id := func(evs ...clovertest.WebhookEvent) string {
		h, b := e.srv.Webhook(evs...)
		ev, err := e.a.VerifyWebhook(context.Background(), pos.WebhookRequest{URL: whURL, Header: h, Body: b})
		if err != nil {
			t.Fatal(err)
		}
		return ev.ID
	}
	a, b := clovertest.OrderEvent("ORD1", 100), clovertest.PaymentEvent("PAY1", 101)
	first := id(a, b)
	if again := id(a, b); again != first {
		t.Errorf("redelivery got ID %s, first %s: the host could not de-duplicate", again, first)
	}
	if reordered := id(b, a); reordered != first {
		t.Errorf("same events in another order got a new ID")
	}
	if later := id(clovertest.OrderEvent("ORD1", 200), b); later == first {
		t.Errorf("a later change of the same order reused the ID")
	}
}

func TestVerifyWebhookWithoutAuthCode(t *testing.T) {
	e := setup(t, func(c *pos.Config) { delete(c.Credentials, "webhook_auth_code") })
	h, b := e.srv.Webhook(clovertest.OrderEvent("ORD1", 1))
	_, err := e.a.VerifyWebhook(context.Background(), pos.WebhookRequest{Header: h, Body: b})
	if !errors.Is(err, pos.ErrBadSignature) || !errors.Is(err, clover.ErrNoAuthCode) {
		t.Fatalf("err = %v", err)
	}
	// The handshake still works: it comes before the code exists.
	h, b = e.srv.VerificationWebhook("code-1")
	ev, err := e.a.VerifyWebhook(context.Background(), pos.WebhookRequest{Header: h, Body: b})
	if err != nil || ev.Verification != "code-1" {
		t.Fatalf("handshake: %v %+v", err, ev)
	}
}

// TestWebhookThenFetch is the host's flow: verify, then fetch the orders
// named by the event.
func TestWebhookThenFetch(t *testing.T) {
	e := setup(t, nil)
	o := e.srv.SeedOrder(clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Tea", Price: 250}}})
	h, b := e.srv.Webhook(clovertest.OrderEvent(o.ID, o.ModifiedTime))
	ev, err := e.a.VerifyWebhook(context.Background(), pos.WebhookRequest{URL: whURL, Header: h, Body: b})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.a.FetchOrders(ctx(t), ev.OrderIDs)
	if err != nil || len(res.Orders) != 1 || res.Orders[0].Source.ExternalID != o.ID {
		t.Fatalf("fetch after webhook: %v %+v", err, res)
	}
}

func FuzzVerifyWebhook(f *testing.F) {
	srv := clovertest.NewHandler()
	a, err := clover.NewAdapter(pos.Config{Credentials: srv.Credentials(), Settings: map[string]string{"merchant_id": srv.Merchant()}})
	if err != nil {
		f.Fatal(err)
	}
	_, valid := srv.Webhook(clovertest.OrderEvent("ORD1", 1718153645000), clovertest.PaymentEvent("PAY1", 2))
	_, verify := srv.VerificationWebhook("abc")
	for _, seed := range [][]byte{valid, verify, []byte(`{}`), []byte(`{"merchants":{"` + srv.Merchant() + `":[{"objectId":"O:","ts":"x"}]}}`),
		[]byte(`{"merchants":{"` + srv.Merchant() + `":[{"objectId":"P:1","ts":1e400}]}}`), []byte(`null`), []byte(`[`)} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, body []byte, auth bool) {
		h := http.Header{}
		if auth {
			h.Set("X-Clover-Auth", srv.AuthCode())
		}
		ev, err := a.VerifyWebhook(context.Background(), pos.WebhookRequest{Header: h, Body: body})
		if err != nil {
			if ev != nil {
				t.Fatal("event returned with an error")
			}
			return
		}
		if ev.ID == "" {
			t.Fatal("accepted event without an ID")
		}
		if !auth && ev.Verification == "" {
			t.Fatalf("unauthenticated delivery accepted: %+v", ev)
		}
		for _, id := range append(slices.Clone(ev.OrderIDs), ev.PaymentIDs...) {
			if id == "" {
				t.Fatal("empty object id")
			}
		}
	})
}
