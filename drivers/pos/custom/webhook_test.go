package custom_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/customtest"
)

func TestVerifyWebhook(t *testing.T) {
	e := setup(t, nil)
	ev := customtest.Event{ID: "evt_1", Type: "order.updated", OrderID: "A-1001"}
	h, body := e.srv.Webhook(ev)

	t.Run("valid", func(t *testing.T) {
		got, err := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: h, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "evt_1" || !slices.Equal(got.OrderIDs, []string{"A-1001"}) || len(got.PaymentIDs) != 0 {
			t.Errorf("event %+v", got)
		}
	})
	t.Run("payment event", func(t *testing.T) {
		h, body := e.srv.Webhook(customtest.Event{ID: "evt_2", Type: "payment.created", OrderID: "A-1", PaymentID: "A-1-P1"})
		got, err := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: h, Body: body})
		if err != nil || !slices.Equal(got.PaymentIDs, []string{"A-1-P1"}) || !slices.Equal(got.OrderIDs, []string{"A-1"}) {
			t.Errorf("event %+v, err %v", got, err)
		}
	})
	bad := func(name string, h http.Header, body []byte, want error) {
		t.Run(name, func(t *testing.T) {
			_, err := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: h, Body: body})
			if !errors.Is(err, want) {
				t.Errorf("err %v, want %v", err, want)
			}
		})
	}
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] ^= 1
	bad("body changed", h, tampered, pos.ErrBadSignature)
	wrong := h.Clone()
	wrong.Set(customtest.SignatureHeader, customtest.Sign("other-secret", h.Get(customtest.TimestampHeader), body))
	bad("wrong secret", wrong, body, pos.ErrBadSignature)
	missing := h.Clone()
	missing.Del(customtest.SignatureHeader)
	bad("missing signature", missing, body, pos.ErrBadSignature)
	bad("no headers at all", nil, body, pos.ErrBadSignature)
	// The timestamp is signed: moving it breaks the signature.
	moved := h.Clone()
	moved.Set(customtest.TimestampHeader, strconv.FormatInt(t0.Unix()+1, 10))
	bad("timestamp changed", moved, body, pos.ErrBadSignature)
	garbage := h.Clone()
	garbage.Set(customtest.SignatureHeader, "zz-not-hex")
	bad("garbage signature", garbage, body, pos.ErrBadSignature)

	t.Run("replayed delivery keeps its event id", func(t *testing.T) {
		e.clock.Add(2 * time.Minute) // still within the 5m tolerance
		a, err := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: h, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: h.Clone(), Body: append([]byte(nil), body...)})
		if err != nil || a.ID != b.ID || a.ID != "evt_1" {
			t.Errorf("ids %q %q, err %v", a.ID, b.ID, err)
		}
	})
	t.Run("replay of an old delivery is stale", func(t *testing.T) {
		old, oldBody := e.srv.WebhookAt(e.clock.Now().Add(-6*time.Minute), ev)
		_, err := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: old, Body: oldBody})
		if !errors.Is(err, custom.ErrStaleWebhook) || !errors.Is(err, pos.ErrBadSignature) {
			t.Errorf("err %v, want ErrStaleWebhook (a bad signature)", err)
		}
		future, fBody := e.srv.WebhookAt(e.clock.Now().Add(6*time.Minute), ev)
		if _, err := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: future, Body: fBody}); !errors.Is(err, custom.ErrStaleWebhook) {
			t.Errorf("future timestamp: err %v", err)
		}
	})
	t.Run("signed but not JSON", func(t *testing.T) {
		ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
		hh := http.Header{}
		hh.Set(customtest.TimestampHeader, ts)
		hh.Set(customtest.SignatureHeader, customtest.Sign(customtest.DefaultWebhookSecret, ts, []byte("not json")))
		_, err := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: hh, Body: []byte("not json")})
		if pos.KindOf(err) != pos.Invalid || errors.Is(err, pos.ErrBadSignature) {
			t.Errorf("err %v, want invalid (authenticated but unreadable)", err)
		}
	})
}

// TestWebhookVariants covers base64, a prefix, a body-only signature with
// no timestamp (the event id then hashes the body) and a manifest without
// webhook.
func TestWebhookVariants(t *testing.T) {
	e := setup(t, editManifest(t, `    encoding: hex
    signed: '{{.header.Get "X-Acme-Timestamp"}}.{{.body}}'
    timestamp: '{{.header.Get "X-Acme-Timestamp"}}'
    tolerance: 5m
  event_id: .id
`, `    encoding: base64
    prefix: "sha256="
`))
	body := []byte(`{"data":{"order_id":["A-1","A-2","A-1",null]}}`)
	sig := func(secret string) http.Header {
		mac := hmacSHA256(secret, body)
		h := http.Header{}
		h.Set("X-Acme-Signature", "sha256="+base64.StdEncoding.EncodeToString(mac))
		return h
	}
	got, err := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: sig(customtest.DefaultWebhookSecret), Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.OrderIDs, []string{"A-1", "A-2"}) || len(got.ID) < 10 || got.ID[:5] != "body:" {
		t.Errorf("event %+v", got)
	}
	again, _ := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: sig(customtest.DefaultWebhookSecret), Body: body})
	if again == nil || again.ID != got.ID {
		t.Error("same body, different event id")
	}
	if _, err := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: sig("nope"), Body: body}); !errors.Is(err, pos.ErrBadSignature) {
		t.Errorf("wrong secret: %v", err)
	}
	hexSig := http.Header{}
	hexSig.Set("X-Acme-Signature", "sha256="+hex.EncodeToString(hmacSHA256(customtest.DefaultWebhookSecret, body)))
	if _, err := e.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: hexSig, Body: body}); !errors.Is(err, pos.ErrBadSignature) {
		t.Errorf("hex signature accepted by a base64 manifest: %v", err)
	}

	e2 := setup(t, func(c *pos.Config) {
		m := c.Settings["manifest_yaml"]
		c.Settings["manifest_yaml"] = m[:len(m)-len(m[indexOf(m, "webhook:"):])]
		delete(c.Credentials, "webhook_secret")
	})
	_, err = e2.a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: sig("x"), Body: body})
	if !errors.Is(err, custom.ErrNoWebhook) || !errors.Is(err, pos.ErrUnsupported) {
		t.Errorf("no webhook section: err %v", err)
	}
}
