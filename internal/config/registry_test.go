package config

// The sections' owners check printer connections and vendor names against
// the registered transports and vendors, as the release binary registers
// them.
import (
	_ "github.com/auraconnect/aura-edge/drivers/pos/all"
	_ "github.com/auraconnect/aura-edge/drivers/transport/all"
)
