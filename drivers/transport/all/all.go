// Package all registers every built-in printer transport with
// drivers/transport, the way drivers/pos/all registers the POS vendors.
// The command imports it blank; a store image that needs fewer transports
// can register the ones it wants instead (transport.Register("tcp",
// tcp.New())).
package all

import (
	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/drivers/transport/file"
	"github.com/auraconnect/aura-edge/drivers/transport/serial"
	"github.com/auraconnect/aura-edge/drivers/transport/tcp"
	"github.com/auraconnect/aura-edge/drivers/transport/usb"
)

func init() {
	transport.Register("tcp", tcp.New())       // tcp://host:port
	transport.Register("serial", serial.New()) // serial:///dev/ttyUSB0?baud=...
	transport.Register("usb", usb.New())       // usb:///dev/usb/lp0
	transport.Register("file", file.New())     // file:///dir: virtual printer
}
