package lightspeed

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
)

// The stand-in's default delivery is the primary assumption: hex
// HMAC-SHA256 of the raw form-encoded body keyed with client_secret. The
// other three combinations (decoded payload, base64) must pass too.
func TestVerifyWebhook(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	id := f.srv.SeedSale(lightspeedtest.SaleSpec{Lines: []lightspeedtest.LineSpec{{ProductID: "p", UnitPrice: "1"}}})
	tests := []struct {
		name string
		opts []lightspeedtest.WebhookOption
		bad  bool
	}{
		{"primary: hex over raw body", nil, false},
		{"hex over decoded payload", []lightspeedtest.WebhookOption{lightspeedtest.SignDecodedPayload()}, false},
		{"base64 over raw body", []lightspeedtest.WebhookOption{lightspeedtest.SignBase64()}, false},
		{"base64 over decoded payload", []lightspeedtest.WebhookOption{lightspeedtest.SignBase64(), lightspeedtest.SignDecodedPayload()}, false},
		{"wrong secret", []lightspeedtest.WebhookOption{lightspeedtest.SignWith("other")}, true},
		{"missing header", []lightspeedtest.WebhookOption{lightspeedtest.SignatureHeader("")}, true},
		{"no signature part", []lightspeedtest.WebhookOption{lightspeedtest.SignatureHeader("algorithm=HMAC-SHA256")}, true},
		{"other algorithm", []lightspeedtest.WebhookOption{lightspeedtest.SignatureHeader("signature=00,algorithm=HMAC-MD5")}, true},
		{"garbage", []lightspeedtest.WebhookOption{lightspeedtest.SignatureHeader("signature=zz!!,algorithm=HMAC-SHA256")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := f.srv.Webhook(id, tc.opts...)
			ev, err := f.a.VerifyWebhook(ctx, req)
			if tc.bad {
				if !errors.Is(err, pos.ErrBadSignature) {
					t.Fatalf("err = %v, want ErrBadSignature", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ev.OrderIDs) != 1 || ev.OrderIDs[0] != id || !strings.Contains(ev.ID, id) {
				t.Errorf("event = %+v", ev)
			}
		})
	}

	t.Run("tampered body", func(t *testing.T) {
		req := f.srv.Webhook(id)
		req.Body = []byte(strings.Replace(string(req.Body), "closed", "voided", 1))
		if _, err := f.a.VerifyWebhook(ctx, req); !errors.Is(err, pos.ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("replay gives the same event id; a new version a new one", func(t *testing.T) {
		e1, err1 := f.a.VerifyWebhook(ctx, f.srv.Webhook(id))
		e2, err2 := f.a.VerifyWebhook(ctx, f.srv.Webhook(id))
		if err1 != nil || err2 != nil || e1.ID != e2.ID {
			t.Fatalf("%v %v %+v %+v", err1, err2, e1, e2)
		}
		f.srv.UpdateSale(id, func(b map[string]any) { b["note"] = "x" })
		e3, err := f.a.VerifyWebhook(ctx, f.srv.Webhook(id))
		if err != nil || e3.ID == e1.ID {
			t.Errorf("new version id %v %v", e3, err)
		}
	})
	t.Run("other event types name no order", func(t *testing.T) {
		ev, err := f.a.VerifyWebhook(ctx, f.srv.Webhook(id, lightspeedtest.EventType("product.update")))
		if err != nil || len(ev.OrderIDs) != 0 {
			t.Errorf("%+v %v", ev, err)
		}
	})
	t.Run("changing the unsigned type is still a replay", func(t *testing.T) {
		e1, err1 := f.a.VerifyWebhook(ctx, f.srv.Webhook(id))
		e2, err2 := f.a.VerifyWebhook(ctx, f.srv.Webhook(id, lightspeedtest.EventType("sale.renamed")))
		if err1 != nil || err2 != nil || e1.ID != e2.ID {
			t.Errorf("ids %+v %+v (%v %v)", e1, e2, err1, err2)
		}
	})
	t.Run("then fetch", func(t *testing.T) {
		ev, _ := f.a.VerifyWebhook(ctx, f.srv.Webhook(id))
		res, err := f.a.FetchOrders(ctx, ev.OrderIDs)
		if err != nil || len(res.Orders) != 1 {
			t.Fatalf("%v %+v", err, res)
		}
	})
}

func FuzzVerifyWebhook(f *testing.F) {
	srv := lightspeedtest.New()
	defer srv.Close()
	id := srv.SeedSale(lightspeedtest.SaleSpec{Lines: []lightspeedtest.LineSpec{{ProductID: "p", UnitPrice: "1"}}})
	good := srv.Webhook(id)
	f.Add(good.Body, good.Header.Get("X-Signature"))
	f.Add([]byte(`{"id":"x","version":3}`), "signature=00,algorithm=HMAC-SHA256")
	f.Add([]byte("payload=%7B%7D&type=sale.update"), "signature=,algorithm=")
	f.Add([]byte("payload=%ZZ"), ",,,=,signature==")
	a, err := New(pos.Config{Credentials: srv.Credentials(), Settings: srv.Settings("USD")})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		h := http.Header{}
		h.Set("X-Signature", sig)
		ev, err := a.VerifyWebhook(context.Background(), pos.WebhookRequest{Header: h, Body: body})
		if err == nil && ev == nil {
			t.Fatal("nil event without error")
		}
		// Behind a valid signature the payload parser runs too: it must not
		// panic, and a sale event must name its sale.
		mac := hmac.New(sha256.New, []byte(lightspeedtest.ClientSecret))
		mac.Write(body)
		h.Set("X-Signature", "signature="+hex.EncodeToString(mac.Sum(nil))+",algorithm=HMAC-SHA256")
		ev, err = a.VerifyWebhook(context.Background(), pos.WebhookRequest{Header: h, Body: body})
		if errors.Is(err, pos.ErrBadSignature) {
			t.Fatalf("valid signature rejected: %v", err)
		}
		if err == nil && ev.ID == "" {
			t.Fatal("empty event id")
		}
	})
}

func TestSampleConfigParses(t *testing.T) {
	var c struct {
		Vendor      string            `yaml:"vendor"`
		Credentials map[string]string `yaml:"credentials"`
		Settings    map[string]string `yaml:"settings"`
	}
	if err := yaml.Unmarshal([]byte(SampleConfig()), &c); err != nil {
		t.Fatal(err)
	}
	d, _ := pos.Lookup(c.Vendor)
	if missing := d.CheckConfig(c.Credentials, c.Settings); len(missing) > 0 {
		t.Errorf("sample misses %v", missing)
	}
	if _, err := os.Stat("README.md"); err != nil {
		t.Error("README.md missing")
	}
}
