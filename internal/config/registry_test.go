package config

// The printers section's owner checks connection URLs against the
// registered transports, as the release binary registers them.
import _ "github.com/auraconnect/aura-edge/drivers/transport/all"
