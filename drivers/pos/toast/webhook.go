package toast

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// Webhook headers.
const (
	SignatureHeader = "Toast-Signature"
	// TimestampHeaders are accepted as the signed timestamp when present
	// (verify: Toast's sample signs body + timestamp without saying where
	// the timestamp travels).
	TimestampHeader      = "Toast-Timestamp"
	EventTimestampHeader = "Toast-Event-Timestamp"
)

// Toast retries a failed delivery after 5 and then 10 more minutes (and
// may pause a subscription that keeps failing), resending the event with
// its original signed timestamp, so an old timestamp is normal. Replays are
// refused by the event's GUID instead (WebhookEvent.ID: the bridge keeps
// the ids it has seen in bbolt for 7 days, pruned hourly, and answers a
// repeat as a duplicate); the timestamp only has to be within a generous
// bound.
const (
	// MaxWebhookAge is how old a signed timestamp may be: a day, well past
	// Toast's last retry (15 minutes) and well inside the 7 days the bridge
	// remembers event ids.
	MaxWebhookAge = 24 * time.Hour
	// MaxWebhookSkew is how far in the future a signed timestamp may be
	// (clock skew).
	MaxWebhookSkew = 5 * time.Minute
)

type webhookBody struct {
	Timestamp     json.RawMessage `json:"timestamp"`
	EventCategory string          `json:"eventCategory"`
	EventType     string          `json:"eventType"`
	GUID          string          `json:"guid"`
	EventGUID     string          `json:"eventGuid"`
	Details       struct {
		OrderGUID      string          `json:"orderGuid"`
		GUID           string          `json:"guid"`
		RestaurantGUID string          `json:"restaurantGuid"`
		Order          json.RawMessage `json:"order"`
	} `json:"details"`
}

// VerifyWebhook checks Toast-Signature = base64(HMAC-SHA256(webhook_secret,
// body + timestamp)). The timestamp is taken from the payload's
// "timestamp" field (primary assumption) or from a Toast-Timestamp /
// Toast-Event-Timestamp header when present; a delivery whose signed
// timestamp is more than MaxWebhookAge old or MaxWebhookSkew ahead is
// rejected with ErrStaleWebhook. The event ID is the payload's
// eventGuid/guid, so retries repeat it and the bridge's bbolt record of
// seen ids turns them into duplicates.
func (a *Adapter) VerifyWebhook(_ context.Context, req pos.WebhookRequest) (*pos.WebhookEvent, error) {
	secret := a.cfg.Credentials["webhook_secret"]
	if secret == "" {
		return nil, fmt.Errorf("toast webhook: no webhook_secret configured: %w", pos.ErrBadSignature)
	}
	sigText := strings.TrimSpace(req.Header.Get(SignatureHeader))
	if sigText == "" {
		return nil, fmt.Errorf("toast webhook: missing %s: %w", SignatureHeader, pos.ErrBadSignature)
	}
	var sigs [][]byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(sigText); err == nil {
			sigs = append(sigs, b)
		}
	}
	if b, err := hex.DecodeString(sigText); err == nil {
		sigs = append(sigs, b)
	}
	var body webhookBody
	jsonErr := json.Unmarshal(req.Body, &body)

	var stamps []string
	if jsonErr == nil && len(body.Timestamp) > 0 && string(body.Timestamp) != "null" {
		var s string
		if json.Unmarshal(body.Timestamp, &s) == nil {
			stamps = append(stamps, s)
		} else {
			stamps = append(stamps, string(bytes.TrimSpace(body.Timestamp)))
		}
	}
	for _, h := range []string{TimestampHeader, EventTimestampHeader} {
		if v := strings.TrimSpace(req.Header.Get(h)); v != "" {
			stamps = append(stamps, v)
		}
	}
	if len(stamps) == 0 {
		return nil, fmt.Errorf("toast webhook: no timestamp to verify: %w", pos.ErrBadSignature)
	}
	matched := ""
	for _, ts := range stamps {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(req.Body)
		mac.Write([]byte(ts))
		want := mac.Sum(nil)
		for _, s := range sigs {
			if hmac.Equal(want, s) && matched == "" {
				matched = ts
			}
		}
	}
	if matched == "" {
		return nil, fmt.Errorf("toast webhook: signature mismatch: %w", pos.ErrBadSignature)
	}
	at, ok := parseStamp(matched)
	if !ok {
		return nil, fmt.Errorf("toast webhook: timestamp %q unreadable: %w", matched, ErrStaleWebhook)
	}
	if d := a.now().Sub(at); d > MaxWebhookAge || d < -MaxWebhookSkew {
		return nil, fmt.Errorf("toast webhook: timestamp %s is %s from now: %w", matched, d.Round(time.Second), ErrStaleWebhook)
	}
	if jsonErr != nil {
		return nil, &pos.VendorError{Vendor: Vendor, Op: "webhook", Kind: pos.Invalid, Message: "body is not JSON", Err: jsonErr}
	}
	ev := &pos.WebhookEvent{ID: body.EventGUID}
	if ev.ID == "" {
		ev.ID = body.GUID
	}
	orderGUID := body.Details.OrderGUID
	if len(body.Details.Order) > 0 {
		var o struct {
			GUID         string `json:"guid"`
			ModifiedDate string `json:"modifiedDate"`
		}
		if json.Unmarshal(body.Details.Order, &o) == nil && o.GUID != "" {
			orderGUID = o.GUID
			if ev.ID == "" {
				ev.ID = "order:" + o.GUID + ":" + o.ModifiedDate
			}
		}
	}
	if orderGUID == "" && strings.Contains(strings.ToLower(body.EventCategory+body.EventType), "order") {
		orderGUID = body.Details.GUID
	}
	if ev.ID == "" {
		h := sha256.Sum256(req.Body)
		ev.ID = "body:" + hex.EncodeToString(h[:12])
	}
	if orderGUID != "" {
		ev.OrderIDs = []string{orderGUID}
	}
	return ev, nil
}

// parseStamp reads an ISO-8601 time or a Unix time in seconds or
// milliseconds.
func parseStamp(s string) (time.Time, bool) {
	if t, ok := ParseTime(s); ok {
		return t, true
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		if n > 1e12 {
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}
