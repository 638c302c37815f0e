package clovertest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
)

// WebhookEvent is one object event in a webhook delivery.
type WebhookEvent struct {
	ObjectID string `json:"objectId"` // "O:<order id>", "P:<payment id>", "I:<item id>"
	Type     string `json:"type"`     // CREATE, UPDATE, DELETE
	TS       int64  `json:"ts"`       // ms
}

// OrderEvent is an UPDATE event for an order.
func OrderEvent(id string, ts int64) WebhookEvent {
	return WebhookEvent{ObjectID: "O:" + id, Type: "UPDATE", TS: ts}
}

// PaymentEvent is a CREATE event for a payment.
func PaymentEvent(id string, ts int64) WebhookEvent {
	return WebhookEvent{ObjectID: "P:" + id, Type: "CREATE", TS: ts}
}

// Webhook builds a delivery for this server's merchant with the
// X-Clover-Auth header Clover sends.
func (s *Server) Webhook(events ...WebhookEvent) (http.Header, []byte) {
	return s.WebhookFor(map[string][]WebhookEvent{s.merchant: events})
}

// WebhookFor builds a delivery covering several merchants.
func (s *Server) WebhookFor(merchants map[string][]WebhookEvent) (http.Header, []byte) {
	body, _ := json.Marshal(map[string]any{"appId": s.appID, "merchants": merchants})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Clover-Auth", s.authCode)
	return h, body
}

// VerificationWebhook builds the handshake Clover posts when a webhook URL
// is saved: {"verificationCode": code}, without X-Clover-Auth.
func (s *Server) VerificationWebhook(code string) (http.Header, []byte) {
	body, _ := json.Marshal(map[string]string{"verificationCode": code})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return h, body
}

// Deliver POSTs a delivery to url, as Clover would.
func Deliver(ctx context.Context, url string, h http.Header, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h.Clone()
	return http.DefaultClient.Do(req)
}
