package customtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Webhook headers.
const (
	SignatureHeader = "X-Acme-Signature"
	TimestampHeader = "X-Acme-Timestamp"
)

// Event is one webhook event.
type Event struct {
	ID        string // evt_...
	Type      string // order.updated, payment.created
	OrderID   string
	PaymentID string
}

// Sign returns Acme's signature: hex(HMAC-SHA256(secret, timestamp + "." +
// body)).
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Webhook builds a delivery of ev signed now (server clock).
func (s *Server) Webhook(ev Event) (http.Header, []byte) { return s.WebhookAt(s.now(), ev) }

// WebhookAt builds a delivery of ev signed with timestamp at.
func (s *Server) WebhookAt(at time.Time, ev Event) (http.Header, []byte) {
	data := map[string]string{}
	if ev.OrderID != "" {
		data["order_id"] = ev.OrderID
	}
	if ev.PaymentID != "" {
		data["payment_id"] = ev.PaymentID
	}
	body, _ := json.Marshal(map[string]any{"id": ev.ID, "type": ev.Type, "created_at": at.UTC().Format(time.RFC3339), "data": data})
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(TimestampHeader, ts)
	h.Set(SignatureHeader, Sign(s.webhookSecret, ts, body))
	return h, body
}

// Deliver POSTs a delivery to url, as Acme would.
func Deliver(ctx context.Context, url string, h http.Header, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h.Clone()
	return http.DefaultClient.Do(req)
}
