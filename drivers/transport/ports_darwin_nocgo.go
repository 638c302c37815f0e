//go:build darwin && !cgo

package transport

import (
	"fmt"
	"slices"

	"go.bug.st/serial"
)

// SerialPorts lists the serial ports of this machine, sorted by name. On
// macOS without cgo the USB details (VID:PID) are not available: the
// enumerator needs IOKit through cgo, so only names are listed.
func SerialPorts() ([]PortInfo, error) {
	names, err := serial.GetPortsList()
	if err != nil {
		return nil, fmt.Errorf("list serial ports: %w", err)
	}
	slices.Sort(names)
	ports := make([]PortInfo, 0, len(names))
	for _, n := range names {
		ports = append(ports, PortInfo{Name: n})
	}
	return ports, nil
}
