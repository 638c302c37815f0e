// Package all imports every POS vendor adapter so that it registers itself
// with drivers/pos. The daemon imports it blank; a store image that needs
// fewer vendors can import the ones it wants instead.
package all

import (
	_ "github.com/auraconnect/aura-edge/drivers/pos/clover"     // clover
	_ "github.com/auraconnect/aura-edge/drivers/pos/custom"     // custom (declarative manifest)
	_ "github.com/auraconnect/aura-edge/drivers/pos/lightspeed" // lightspeed, vend
	_ "github.com/auraconnect/aura-edge/drivers/pos/square"     // square
	_ "github.com/auraconnect/aura-edge/drivers/pos/toast"      // toast
)
