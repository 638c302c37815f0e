package toast

import (
	"fmt"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// ErrStaleWebhook is returned (wrapping pos.ErrBadSignature) for a
// correctly signed webhook whose timestamp is more than MaxWebhookAge old
// or MaxWebhookSkew ahead of now.
var ErrStaleWebhook = fmt.Errorf("webhook timestamp outside the accepted window: %w", pos.ErrBadSignature)
