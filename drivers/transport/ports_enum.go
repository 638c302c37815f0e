//go:build !darwin || cgo

package transport

import (
	"fmt"
	"slices"
	"strings"

	"go.bug.st/serial"
	"go.bug.st/serial/enumerator"
)

// SerialPorts lists the serial ports of this machine, sorted by name, with
// USB details where the system knows them. It reads only system tables
// (sysfs on Linux) and does not open USB devices. USB printer class devices
// (/dev/usb/lp*) are not serial ports and are not listed.
func SerialPorts() ([]PortInfo, error) {
	details, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("list serial ports: %w", err)
	}
	// The enumerator leaves Name empty for ports it has no details for
	// (e.g. a tty without a sysfs device); its list follows
	// serial.GetPortsList, so fill names in from there.
	var names []string
	if slices.ContainsFunc(details, func(d *enumerator.PortDetails) bool { return d.Name == "" }) {
		if names, err = serial.GetPortsList(); err != nil {
			return nil, fmt.Errorf("list serial ports: %w", err)
		}
	}
	ports := make([]PortInfo, 0, len(details))
	for i, d := range details {
		name := d.Name
		if name == "" && len(names) == len(details) {
			name = names[i]
		}
		if name == "" {
			continue
		}
		ports = append(ports, PortInfo{
			Name:         name,
			IsUSB:        d.IsUSB,
			VID:          strings.ToUpper(d.VID),
			PID:          strings.ToUpper(d.PID),
			SerialNumber: d.SerialNumber,
			Manufacturer: d.Manufacturer,
			Product:      d.Product,
		})
	}
	slices.SortFunc(ports, func(a, b PortInfo) int { return strings.Compare(a.Name, b.Name) })
	return ports, nil
}
