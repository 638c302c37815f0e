package squaretest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// SignatureHeader is the header Square puts its webhook signature in.
const SignatureHeader = "x-square-hmacsha256-signature"

// Sign computes Square's webhook signature:
// base64(HMAC-SHA256(signature key, notification URL + raw body)).
func Sign(signatureKey, notificationURL string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(signatureKey))
	mac.Write([]byte(notificationURL))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignedDelivery is body as the host would receive it from Square at
// notificationURL, signed with signatureKey.
func SignedDelivery(signatureKey, notificationURL string, body []byte) pos.WebhookRequest {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(SignatureHeader, Sign(signatureKey, notificationURL, body))
	h.Set("Square-Initial-Delivery-Timestamp", time.Now().UTC().Format(time.RFC3339))
	return pos.WebhookRequest{URL: notificationURL, Header: h, Body: body}
}

// Deliver POSTs a signed event to notificationURL (e.g. aura-edge's local
// webhook endpoint in the demo), as Square would.
func Deliver(ctx context.Context, client *http.Client, signatureKey, notificationURL string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, notificationURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	d := SignedDelivery(signatureKey, notificationURL, body)
	req.Header = d.Header
	if client == nil {
		client = http.DefaultClient
	}
	return client.Do(req)
}

// NewEventID returns a random event id shaped like Square's (a UUID).
func NewEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Event builds a webhook event envelope (the shape of OrderUpdatedEvent,
// PaymentCreatedEvent, ...): {merchant_id, type, event_id, created_at,
// data: {type, id, object}}.
func Event(eventType, eventID string, createdAt time.Time, dataType, dataID string, object any) []byte {
	env := map[string]any{
		"merchant_id": DefaultMerchantID,
		"type":        eventType,
		"event_id":    eventID,
		"created_at":  stamp(createdAt),
		"data":        map[string]any{"type": dataType, "id": dataID, "object": object},
	}
	b, _ := json.Marshal(env)
	return b
}

// OrderEvent builds an order.created, order.updated or
// order.fulfillment.updated event for a stored order. It does not carry
// the full order, as in Square.
func (s *Server) OrderEvent(eventType, orderID string) ([]byte, error) {
	o, ok := s.Order(orderID)
	if !ok {
		return nil, fmt.Errorf("squaretest: no order %s", orderID)
	}
	key := strings.ReplaceAll(strings.TrimPrefix(eventType, "order."), ".", "_")
	inner := map[string]any{"order_id": o.ID, "version": o.Version, "location_id": o.LocationID,
		"state": o.State, "created_at": o.CreatedAt, "updated_at": o.UpdatedAt}
	return Event(eventType, NewEventID(), s.now(), "order", o.ID, map[string]any{"order_" + key: inner}), nil
}

// PaymentEvent builds a payment.created or payment.updated event carrying
// the stored payment.
func (s *Server) PaymentEvent(eventType, paymentID string) ([]byte, error) {
	p, ok := s.Payment(paymentID)
	if !ok {
		return nil, fmt.Errorf("squaretest: no payment %s", paymentID)
	}
	return Event(eventType, NewEventID(), s.now(), "payment", p.ID, map[string]any{"payment": p}), nil
}
