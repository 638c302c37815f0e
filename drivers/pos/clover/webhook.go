package clover

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// AuthHeader carries Clover's static webhook auth code.
const AuthHeader = "X-Clover-Auth"

// maxWebhookBody bounds what VerifyWebhook parses.
const maxWebhookBody = 1 << 20

type webhookBody struct {
	VerificationCode string                          `json:"verificationCode"`
	AppID            string                          `json:"appId"`
	Merchants        map[string][]webhookObjectEvent `json:"merchants"`
}

type webhookObjectEvent struct {
	ObjectID string          `json:"objectId"`
	Type     string          `json:"type"`
	TS       json.RawMessage `json:"ts"`
}

// VerifyWebhook checks X-Clover-Auth against webhook_auth_code in constant
// time and names the orders ("O:" objects) and payments ("P:") of this
// merchant to fetch. The verification handshake ({"verificationCode"}, sent
// before an auth code exists) returns WebhookEvent.Verification without an
// auth check. Clover signs no timestamp, so there is nothing to judge
// staleness by; the host de-duplicates by ID, a hash of merchant, objectId
// and ts of every event in the delivery.
func (a *Adapter) VerifyWebhook(_ context.Context, req pos.WebhookRequest) (*pos.WebhookEvent, error) {
	if len(req.Body) > maxWebhookBody {
		return nil, fmt.Errorf("clover webhook: body of %d bytes is too large", len(req.Body))
	}
	var b webhookBody
	if err := json.Unmarshal(req.Body, &b); err != nil {
		// Parse errors are only reported after authentication.
		if verr := a.checkAuth(req); verr != nil {
			return nil, verr
		}
		return nil, fmt.Errorf("clover webhook: decode body: %w", err)
	}
	if b.VerificationCode != "" && len(b.Merchants) == 0 {
		// The handshake is unauthenticated by nature, so it is accepted only
		// while no auth code is configured (the installer's setup step), and
		// only in Clover's short code format: no one can plant text in the
		// audit log or pose as Clover once the integration is set up.
		if a.authCode != "" {
			return nil, fmt.Errorf("clover webhook: verification handshake after the auth code was configured: %w", pos.ErrBadSignature)
		}
		if !validVerificationCode(b.VerificationCode) {
			return nil, fmt.Errorf("clover webhook: verification code is not in Clover's format: %w", pos.ErrBadSignature)
		}
		return &pos.WebhookEvent{ID: "clover-verification:" + b.VerificationCode, Verification: b.VerificationCode}, nil
	}
	if err := a.checkAuth(req); err != nil {
		return nil, err
	}
	ev := &pos.WebhookEvent{}
	var keys []string
	for m, evs := range b.Merchants {
		for _, e := range evs {
			keys = append(keys, m+"/"+e.ObjectID+"@"+tsString(e.TS))
		}
	}
	seenO, seenP := map[string]bool{}, map[string]bool{}
	for _, e := range b.Merchants[a.merchant] {
		kind, id, ok := strings.Cut(e.ObjectID, ":")
		if !ok || id == "" {
			continue
		}
		switch kind {
		case "O":
			if !seenO[id] {
				seenO[id] = true
				ev.OrderIDs = append(ev.OrderIDs, id)
			}
		case "P":
			if !seenP[id] {
				seenP[id] = true
				ev.PaymentIDs = append(ev.PaymentIDs, id)
			}
		}
	}
	sort.Strings(keys)
	h := sha256.Sum256([]byte(strings.Join(keys, "\n")))
	ev.ID = "clover:" + hex.EncodeToString(h[:16])
	return ev, nil
}

func (a *Adapter) checkAuth(req pos.WebhookRequest) error {
	if a.authCode == "" {
		return fmt.Errorf("clover webhook: %w: %w", pos.ErrBadSignature, ErrNoAuthCode)
	}
	got := req.Header.Get(AuthHeader)
	if got == "" {
		return fmt.Errorf("clover webhook: %w: missing %s header", pos.ErrBadSignature, AuthHeader)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(a.authCode)) != 1 {
		return fmt.Errorf("clover webhook: %w: %s does not match", pos.ErrBadSignature, AuthHeader)
	}
	return nil
}

// tsString renders ts whether Clover sends it as a number or a string.
func tsString(raw json.RawMessage) string {
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return strings.TrimSpace(string(raw))
}

// validVerificationCode accepts Clover's handshake codes: short tokens of
// letters, digits and dashes (a UUID in practice).
func validVerificationCode(c string) bool {
	if len(c) == 0 || len(c) > 64 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
