package square

import "errors"

// ErrBadCursor is returned by PullOrders when the cursor is not one this
// adapter wrote. The host should drop it and pull again with nil.
var ErrBadCursor = errors.New("square: unreadable pull cursor")

// ErrNoSignatureKey is wrapped (together with pos.ErrBadSignature) by
// VerifyWebhook when the integration has no webhook_signature_key.
var ErrNoSignatureKey = errors.New("square: no webhook signature key configured")

// ErrStaleWebhook is wrapped by VerifyWebhook when a correctly signed event
// is older than the webhook_max_age setting.
var ErrStaleWebhook = errors.New("square: webhook event too old")
