package square

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// SignatureHeader is the header Square signs webhook deliveries in.
const SignatureHeader = "X-Square-Hmacsha256-Signature"

// Sign returns Square's signature of a delivery:
// base64(HMAC-SHA256(key, notificationURL + body)).
func Sign(signatureKey, notificationURL string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(signatureKey))
	mac.Write([]byte(notificationURL))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func validSignature(key, notificationURL string, body []byte, sig string) bool {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(notificationURL))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}

// VerifyWebhook checks the x-square-hmacsha256-signature of a delivery
// against the notification URL as registered (settings.webhook_url, else
// req.URL), rejects events older than webhook_max_age (Square signs the
// body, which carries created_at), and names the orders and payments the
// event is about. The event id de-duplicates redeliveries.
func (a *Adapter) VerifyWebhook(_ context.Context, req pos.WebhookRequest) (*pos.WebhookEvent, error) {
	key := a.cfg.Credentials["webhook_signature_key"]
	if key == "" {
		return nil, fmt.Errorf("%w: %w", pos.ErrBadSignature, ErrNoSignatureKey)
	}
	sig := req.Header.Get(SignatureHeader)
	if sig == "" {
		return nil, fmt.Errorf("%w: missing %s header", pos.ErrBadSignature, strings.ToLower(SignatureHeader))
	}
	// The URL as registered with Square wins: the host's idea of its own
	// URL can differ behind a proxy.
	u := a.set.webhookURL
	if u == "" {
		u = req.URL
	}
	if !validSignature(key, u, req.Body, sig) {
		return nil, fmt.Errorf("%w: square signature does not match", pos.ErrBadSignature)
	}
	ev, created, err := ParseEvent(req.Body)
	if err != nil {
		return nil, err
	}
	if a.set.webhookMaxAge > 0 {
		// Square dates every event; one without a date, or dated ahead of
		// our clock by more than clock skew explains, cannot be judged
		// fresh and could be replayed forever.
		switch age := a.now().Sub(created); {
		case created.IsZero():
			return nil, fmt.Errorf("%w: event %s has no created_at", ErrStaleWebhook, ev.ID)
		case age > a.set.webhookMaxAge:
			return nil, fmt.Errorf("%w: event %s created %s", ErrStaleWebhook, ev.ID, created.Format(time.RFC3339))
		case -age > webhookMaxSkew:
			return nil, fmt.Errorf("%w: event %s is dated %s, ahead of this store's clock by more than %s", ErrStaleWebhook, ev.ID, created.Format(time.RFC3339), webhookMaxSkew)
		}
	}
	return ev, nil
}

// webhookMaxSkew is how far ahead of our clock an event may be dated.
const webhookMaxSkew = 5 * time.Minute

// orderRef is the inner object of order.* events.
type orderRef struct {
	OrderID string `json:"order_id"`
}

// webhookEnvelope is Square's event envelope (e.g. OrderUpdatedEvent).
type webhookEnvelope struct {
	MerchantID string `json:"merchant_id"`
	Type       string `json:"type"`
	EventID    string `json:"event_id"`
	CreatedAt  string `json:"created_at"`
	Data       struct {
		Type   string `json:"type"`
		ID     string `json:"id"`
		Object struct {
			OrderCreated            *orderRef `json:"order_created"`
			OrderUpdated            *orderRef `json:"order_updated"`
			OrderFulfillmentUpdated *orderRef `json:"order_fulfillment_updated"`
			Payment                 *struct {
				ID      string `json:"id"`
				OrderID string `json:"order_id"`
			} `json:"payment"`
			Refund *struct {
				ID        string `json:"id"`
				PaymentID string `json:"payment_id"`
				OrderID   string `json:"order_id"`
			} `json:"refund"`
		} `json:"object"`
	} `json:"data"`
}

var errNoEventID = errors.New("square webhook: event without event_id")

// ParseEvent reads a Square webhook body (already authenticated) into the
// host's event, and returns the event's created_at (zero when absent).
func ParseEvent(body []byte) (*pos.WebhookEvent, time.Time, error) {
	var env webhookEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, time.Time{}, fmt.Errorf("square webhook: %w", err)
	}
	if env.EventID == "" {
		return nil, time.Time{}, errNoEventID
	}
	ev := &pos.WebhookEvent{ID: env.EventID}
	addOrder := func(id string) {
		if id != "" && !contains(ev.OrderIDs, id) {
			ev.OrderIDs = append(ev.OrderIDs, id)
		}
	}
	addPayment := func(id string) {
		if id != "" && !contains(ev.PaymentIDs, id) {
			ev.PaymentIDs = append(ev.PaymentIDs, id)
		}
	}
	obj := &env.Data.Object
	switch {
	case strings.HasPrefix(env.Type, "order."):
		addOrder(env.Data.ID)
		for _, o := range []*orderRef{obj.OrderCreated, obj.OrderUpdated, obj.OrderFulfillmentUpdated} {
			if o != nil {
				addOrder(o.OrderID)
			}
		}
	case strings.HasPrefix(env.Type, "payment."):
		addPayment(env.Data.ID)
		if p := obj.Payment; p != nil {
			addPayment(p.ID)
			addOrder(p.OrderID)
		}
	case strings.HasPrefix(env.Type, "refund."):
		if r := obj.Refund; r != nil {
			addPayment(r.PaymentID)
			addOrder(r.OrderID)
		}
	}
	return ev, parseTime(env.CreatedAt), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
