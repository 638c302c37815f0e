package toast

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
)

// Primary assumption (the stand-in's default): the signed timestamp is the
// payload's "timestamp" field, signature = base64(HMAC-SHA256(secret,
// body + timestamp)). A Toast-Timestamp header is accepted too.
func TestVerifyWebhook(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	guid := f.srv.SeedOrder(toasttest.OrderSpec{Checks: []toasttest.CheckSpec{{
		Selections: []toasttest.SelectionSpec{{Name: "Tea", UnitPrice: "3.00"}}}}})
	now := f.clk.Now()
	tests := []struct {
		name  string
		opts  []toasttest.WebhookOption
		stale bool
		bad   bool
	}{
		{"primary: timestamp in payload", nil, false, false},
		{"timestamp in Toast-Timestamp header", []toasttest.WebhookOption{toasttest.TimestampInHeader()}, false, false},
		{"4 minutes old", []toasttest.WebhookOption{toasttest.WebhookAt(now.Add(-4 * time.Minute))}, false, false},
		// Toast retries after 5 and then 10 more minutes with the event's
		// original timestamp: those retries are accepted (replays are
		// refused by event GUID in the bridge, not by age).
		{"first retry, 5 minutes old", []toasttest.WebhookOption{toasttest.WebhookAt(now.Add(-5 * time.Minute)), toasttest.Attempt(2)}, false, false},
		{"second retry, 15 minutes old", []toasttest.WebhookOption{toasttest.WebhookAt(now.Add(-15 * time.Minute)), toasttest.Attempt(3)}, false, false},
		{"23 hours old", []toasttest.WebhookOption{toasttest.WebhookAt(now.Add(-23 * time.Hour))}, false, false},
		{"25 hours old", []toasttest.WebhookOption{toasttest.WebhookAt(now.Add(-25 * time.Hour))}, true, true},
		{"6 minutes ahead", []toasttest.WebhookOption{toasttest.WebhookAt(now.Add(6 * time.Minute))}, true, true},
		{"wrong secret", []toasttest.WebhookOption{toasttest.WebhookSignedWith("nope")}, false, true},
		{"missing signature", []toasttest.WebhookOption{toasttest.WithoutSignature()}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := f.a.VerifyWebhook(ctx, f.srv.Webhook(guid, tc.opts...))
			if tc.bad {
				if !errors.Is(err, pos.ErrBadSignature) || errors.Is(err, ErrStaleWebhook) != tc.stale {
					t.Fatalf("err = %v (stale want %v)", err, tc.stale)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ev.OrderIDs) != 1 || ev.OrderIDs[0] != guid || ev.ID == "" {
				t.Errorf("event %+v", ev)
			}
		})
	}
	t.Run("tampered body", func(t *testing.T) {
		req := f.srv.Webhook(guid)
		req.Body[len(req.Body)-2] ^= 1
		if _, err := f.a.VerifyWebhook(ctx, req); !errors.Is(err, pos.ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("redelivery keeps the event id", func(t *testing.T) {
		e1, err1 := f.a.VerifyWebhook(ctx, f.srv.Webhook(guid, toasttest.EventGUID("evt-1")))
		f.clk.Advance(time.Minute)
		e2, err2 := f.a.VerifyWebhook(ctx, f.srv.Webhook(guid, toasttest.EventGUID("evt-1")))
		if err1 != nil || err2 != nil || e1.ID != "evt-1" || e2.ID != e1.ID {
			t.Fatalf("%v %v %+v %+v", err1, err2, e1, e2)
		}
	})
	t.Run("then fetch", func(t *testing.T) {
		ev, err := f.a.VerifyWebhook(ctx, f.srv.Webhook(guid))
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.a.FetchOrders(ctx, ev.OrderIDs)
		if err != nil || len(res.Orders) != 1 {
			t.Fatalf("%v %+v", err, res)
		}
	})
	t.Run("no secret configured", func(t *testing.T) {
		s := f.srv.Credentials()
		delete(s, "webhook_secret")
		a, _ := New(pos.Config{Credentials: s, Settings: f.srv.Settings("USD"), Now: f.clk.Now})
		if _, err := a.VerifyWebhook(ctx, f.srv.Webhook(guid)); !errors.Is(err, pos.ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
}

func FuzzVerifyWebhook(f *testing.F) {
	clk := newClock()
	srv := toasttest.New(toasttest.WithClock(clk.Now))
	defer srv.Close()
	guid := srv.SeedOrder(toasttest.OrderSpec{Checks: []toasttest.CheckSpec{{Selections: []toasttest.SelectionSpec{{Name: "Tea", UnitPrice: "3"}}}}})
	good := srv.Webhook(guid)
	f.Add(good.Body, good.Header.Get("Toast-Signature"), "")
	f.Add([]byte(`{"timestamp":1762084800000,"eventType":"order_updated","details":{"orderGuid":"g"}}`), "AAAA", "")
	f.Add([]byte(`{"timestamp":null}`), "", "2026-11-02T12:00:00.000+0000")
	f.Add([]byte(`[]`), "x", "1762084800")
	a, err := New(pos.Config{Credentials: srv.Credentials(), Settings: srv.Settings("USD"), Now: clk.Now})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, sig, ts string) {
		h := http.Header{}
		h.Set("Toast-Signature", sig)
		if ts != "" {
			h.Set("Toast-Timestamp", ts)
		}
		ev, err := a.VerifyWebhook(context.Background(), pos.WebhookRequest{Header: h, Body: body})
		if err == nil && (ev == nil || ev.ID == "") {
			t.Fatal("accepted without an event id")
		}
		// With a correct signature over body + header timestamp the parser
		// runs on arbitrary bodies: no panic, and a fresh timestamp passes.
		if ts == "" {
			return
		}
		mac := hmac.New(sha256.New, []byte(toasttest.WebhookSecret))
		mac.Write(body)
		mac.Write([]byte(ts))
		h.Set("Toast-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		ev, err = a.VerifyWebhook(context.Background(), pos.WebhookRequest{Header: h, Body: body})
		if err == nil && (ev == nil || ev.ID == "") {
			t.Fatal("accepted without an event id")
		}
		if at, ok := parseStamp(ts); ok && errors.Is(err, pos.ErrBadSignature) && !errors.Is(err, ErrStaleWebhook) &&
			clk.Now().Sub(at) <= MaxWebhookAge && clk.Now().Sub(at) >= -MaxWebhookSkew {
			t.Fatalf("valid signature over a fresh timestamp rejected: %v", err)
		}
	})
}
