package square_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/square"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
)

// The signature this adapter assumes (VENDOR-APIS.md §1): base64 of
// HMAC-SHA256 keyed with the signature key over notification URL + body.
func TestSignMatchesDocumentedAlgorithm(t *testing.T) {
	body := []byte(`{"merchant_id":"M","type":"order.updated","event_id":"e1"}`)
	if square.Sign("k", "https://x/y", body) != squaretest.Sign("k", "https://x/y", body) {
		t.Fatal("adapter and stand-in disagree on the signature")
	}
	// Known answer, computed independently with
	//   printf '%s' 'https://example.com/webhook{"a":1}' | openssl dgst -sha256 -hmac key -binary | base64
	if got := square.Sign("key", "https://example.com/webhook", []byte(`{"a":1}`)); got != "HznoPAGtKOY+D3mgusLE2rmHhi8FQN3TdrIYrOhk6Ns=" {
		t.Errorf("Sign = %s", got)
	}
}

func TestVerifyWebhook(t *testing.T) {
	e := newEnv(t)
	so := e.srv.SeedOrder(squaretest.OrderSpec{Lines: []squaretest.LineSpec{croissant}, Tenders: []squaretest.TenderSpec{{}}})
	orderEv, err := e.srv.OrderEvent("order.updated", so.ID)
	if err != nil {
		t.Fatal(err)
	}
	createdEv, _ := e.srv.OrderEvent("order.created", so.ID)
	fulfilEv, _ := e.srv.OrderEvent("order.fulfillment.updated", so.ID)
	payEv, _ := e.srv.PaymentEvent("payment.updated", so.Tenders[0].PaymentID)
	key := squaretest.DefaultSignatureKey
	ok := func(body []byte) pos.WebhookRequest { return squaretest.SignedDelivery(key, notificationURL, body) }

	tests := []struct {
		name     string
		req      pos.WebhookRequest
		orders   []string
		payments []string
		err      error
	}{
		{"order.updated", ok(orderEv), []string{so.ID}, nil, nil},
		{"order.created", ok(createdEv), []string{so.ID}, nil, nil},
		{"order.fulfillment.updated", ok(fulfilEv), []string{so.ID}, nil, nil},
		{"payment.updated names its order", ok(payEv), []string{so.ID}, []string{so.Tenders[0].PaymentID}, nil},
		{"refund.created", ok(squaretest.Event("refund.created", "ev-r", e.clk.Now(), "refund", "R1",
			map[string]any{"refund": map[string]any{"id": "R1", "payment_id": "P1", "order_id": "O1",
				"amount_money": map[string]any{"amount": 100, "currency": "USD"}}})), []string{"O1"}, []string{"P1"}, nil},
		{"unknown event type", ok(squaretest.Event("customer.created", "ev-c", e.clk.Now(), "customer", "C1", map[string]any{})), nil, nil, nil},
		{"tampered body", func() pos.WebhookRequest {
			r := ok(orderEv)
			r.Body = append([]byte(nil), r.Body...)
			r.Body[len(r.Body)-3] ^= 1
			return r
		}(), nil, nil, pos.ErrBadSignature},
		{"signed for another URL", squaretest.SignedDelivery(key, "https://attacker.example/hook", orderEv), nil, nil, pos.ErrBadSignature},
		{"wrong key", squaretest.SignedDelivery("not-the-key", notificationURL, orderEv), nil, nil, pos.ErrBadSignature},
		{"missing signature", pos.WebhookRequest{URL: notificationURL, Header: http.Header{}, Body: orderEv}, nil, nil, pos.ErrBadSignature},
		{"garbage signature", func() pos.WebhookRequest {
			r := ok(orderEv)
			r.Header.Set("X-Square-Hmacsha256-Signature", "%%%not base64")
			return r
		}(), nil, nil, pos.ErrBadSignature},
		{"stale event", ok(squaretest.Event("order.updated", "ev-old", e.clk.Now().Add(-80*time.Hour), "order", so.ID, map[string]any{})),
			nil, nil, square.ErrStaleWebhook},
		{"dated 30 days ahead", ok(squaretest.Event("order.updated", "ev-future", e.clk.Now().Add(30*24*time.Hour), "order", so.ID, map[string]any{})),
			nil, nil, square.ErrStaleWebhook},
		{"slightly ahead (clock skew)", ok(squaretest.Event("order.updated", "ev-skew", e.clk.Now().Add(time.Minute), "order", so.ID, map[string]any{})),
			[]string{so.ID}, nil, nil},
		{"no created_at", ok([]byte(`{"merchant_id":"M","type":"order.updated","event_id":"ev-nodate","data":{"type":"order","id":"` + so.ID + `","object":{"order_updated":{"order_id":"` + so.ID + `"}}}}`)),
			nil, nil, square.ErrStaleWebhook},
		{"signed but not JSON", ok([]byte("not json")), nil, nil, errors.New("any")},
		{"signed but no event id", ok([]byte(`{"type":"order.updated","data":{"id":"X"}}`)), nil, nil, errors.New("any")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := e.a.VerifyWebhook(context.Background(), tt.req)
			if tt.err != nil {
				if err == nil {
					t.Fatalf("no error, event %+v", ev)
				}
				if tt.err.Error() != "any" && !errors.Is(err, tt.err) {
					t.Fatalf("error %v, want %v", err, tt.err)
				}
				if tt.err == square.ErrStaleWebhook && errors.Is(err, pos.ErrBadSignature) {
					t.Error("a stale but authentic event is not a bad signature")
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifyWebhook: %v", err)
			}
			if ev.ID == "" || !slices.Equal(ev.OrderIDs, tt.orders) || !slices.Equal(ev.PaymentIDs, tt.payments) {
				t.Errorf("event %+v, want orders %v payments %v", ev, tt.orders, tt.payments)
			}
		})
	}

	t.Run("replayed delivery keeps its event id", func(t *testing.T) {
		a, err1 := e.a.VerifyWebhook(context.Background(), ok(orderEv))
		b, err2 := e.a.VerifyWebhook(context.Background(), ok(orderEv))
		if err1 != nil || err2 != nil || a.ID != b.ID || a.ID == "" {
			t.Errorf("%v %v %+v %+v", err1, err2, a, b)
		}
		other, _ := e.srv.OrderEvent("order.updated", so.ID)
		c, _ := e.a.VerifyWebhook(context.Background(), ok(other))
		if c.ID == a.ID {
			t.Error("two events share an id")
		}
	})
	t.Run("no signature key configured", func(t *testing.T) {
		e2 := newEnv(t, withCredentials("webhook_signature_key", ""))
		_, err := e2.a.VerifyWebhook(context.Background(), ok(orderEv))
		if !errors.Is(err, pos.ErrBadSignature) || !errors.Is(err, square.ErrNoSignatureKey) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("falls back to the request URL", func(t *testing.T) {
		e2 := newEnv(t, withSettings("webhook_url", ""))
		if _, err := e2.a.VerifyWebhook(context.Background(), ok(orderEv)); err != nil {
			t.Error(err)
		}
	})
	t.Run("bodies follow the spec", func(t *testing.T) {
		s := spec(t)
		for name, b := range map[string][]byte{"OrderUpdatedEvent": orderEv, "OrderCreatedEvent": createdEv,
			"OrderFulfillmentUpdatedEvent": fulfilEv, "PaymentUpdatedEvent": payEv} {
			if err := s.ValidateSchema(name, b); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"merchant_id":"M","type":"order.updated","event_id":"e1","created_at":"2026-11-02T12:00:00Z",` +
		`"data":{"type":"order","id":"O1","object":{"order_updated":{"order_id":"O1","version":2}}}}`))
	f.Add([]byte(`{"type":"payment.created","event_id":"e2","data":{"id":"P1","object":{"payment":{"id":"P1","order_id":"O1"}}}}`))
	f.Add([]byte(`{"type":"refund.updated","event_id":"e3","data":{"object":{"refund":{"payment_id":"P","order_id":"O"}}}}`))
	f.Add([]byte(`{"event_id":"x","data":{"object":{"payment":null}}}`))
	f.Add([]byte(`{"event_id":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, _, err := square.ParseEvent(body)
		if err != nil {
			return
		}
		if ev.ID == "" {
			t.Fatal("event without id accepted")
		}
		for _, id := range append(ev.OrderIDs, ev.PaymentIDs...) {
			if id == "" {
				t.Fatal("empty id returned")
			}
		}
	})
}

func FuzzVerifyWebhook(f *testing.F) {
	a, err := square.NewAdapter(pos.Config{
		Credentials: map[string]string{"access_token": "t", "webhook_signature_key": "k"},
		Settings:    map[string]string{"location_id": "L1", "webhook_url": "https://h/x", "webhook_max_age": "0s"},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"type":"order.updated","event_id":"e1","data":{"id":"O1"}}`), true, "")
	f.Add([]byte(`{}`), false, "AAAA")
	f.Add([]byte{}, true, "")
	f.Fuzz(func(t *testing.T, body []byte, sign bool, sig string) {
		h := http.Header{}
		if sign {
			sig = square.Sign("k", "https://h/x", body)
		}
		h.Set(square.SignatureHeader, sig)
		ev, err := a.VerifyWebhook(context.Background(), pos.WebhookRequest{URL: "https://h/x", Header: h, Body: body})
		if !sign && err == nil && sig != square.Sign("k", "https://h/x", body) {
			t.Fatalf("unsigned body accepted: %q", body)
		}
		if err == nil && ev.ID == "" {
			t.Fatal("event without id")
		}
	})
}
