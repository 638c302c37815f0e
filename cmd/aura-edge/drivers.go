package main

// The drivers the command links, registered by their packages' init: every
// POS vendor adapter and every printer transport.
import (
	_ "github.com/auraconnect/aura-edge/drivers/pos/all"
	_ "github.com/auraconnect/aura-edge/drivers/transport/all"
)
