package transport

// PortInfo describes a serial port found on this machine.
type PortInfo struct {
	Name         string // /dev/ttyUSB0, COM3
	IsUSB        bool   // a USB-serial adapter or a USB printer in serial mode
	VID          string // USB vendor id, 4 upper-case hex digits ("04B8" is Epson); "" if not USB
	PID          string // USB product id, upper-case hex; "" if not USB
	SerialNumber string // USB serial number, when the device reports one
	Manufacturer string // USB manufacturer string, when available
	Product      string // USB product string, when available
}

// URL returns the serial connection URL for the port with default line
// settings (serial:///dev/ttyUSB0, serial://COM3); add ?baud=... as needed.
func (p PortInfo) URL() string { return "serial://" + p.Name }
