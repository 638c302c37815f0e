package custom

import (
	"errors"
	"fmt"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// ErrManifest is wrapped by New for every problem with the manifest: it
// cannot be read, parsed, or compiled, or it needs credentials or settings
// the integration lacks.
var ErrManifest = errors.New("invalid manifest")

// ErrBadCursor is returned by PullOrders when the cursor is not one this
// adapter wrote.
var ErrBadCursor = errors.New("custom: unreadable cursor")

// ErrStaleWebhook is wrapped (together with pos.ErrBadSignature) by
// VerifyWebhook when a correctly signed delivery carries a timestamp
// further than webhook.signature.tolerance from now: a replay of an old
// delivery.
var ErrStaleWebhook = fmt.Errorf("webhook timestamp outside the accepted window: %w", pos.ErrBadSignature)

// ErrNoWebhook is wrapped (together with pos.ErrUnsupported) by
// VerifyWebhook when the manifest declares no webhook section.
var ErrNoWebhook = fmt.Errorf("manifest has no webhook: %w", pos.ErrUnsupported)

// errMapping marks a record the manifest's programs could not turn into a
// valid Aura record; such records are returned in PullResult.Rejected
// (the host audits them and sets them aside).
var errMapping = errors.New("mapping failed")
