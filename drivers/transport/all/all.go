// Package all registers every built-in printer transport with
// drivers/transport, the way drivers/pos/all registers the POS vendors.
// The command imports it blank; a store image that needs fewer transports
// can register the ones it wants instead (transport.Register("tcp",
// transport.TCP())).
package all

import "github.com/auraconnect/aura-edge/drivers/transport"

func init() {
	transport.Register("tcp", transport.TCP())       // tcp://host:port
	transport.Register("serial", transport.Serial()) // serial:///dev/ttyUSB0?baud=...
	transport.Register("usb", transport.USB())       // usb:///dev/usb/lp0
	transport.Register("file", transport.File())     // file:///dir: virtual printer
}
