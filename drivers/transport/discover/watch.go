package discover

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// DeviceEvent is a local printer device appearing or going away while the
// daemon runs (Watcher).
type DeviceEvent struct {
	// Action is "added" or "removed".
	Action string `json:"action"`
	// Kind is KindUSBPrinter or KindSerial.
	Kind         string    `json:"kind"`
	URL          string    `json:"url"`
	VID          string    `json:"vid,omitempty"`
	PID          string    `json:"pid,omitempty"`
	SerialNumber string    `json:"serial_number,omitempty"`
	Manufacturer string    `json:"manufacturer,omitempty"`
	Product      string    `json:"product,omitempty"`
	At           time.Time `json:"at"`
}

// Device event actions.
const (
	DeviceAdded   = "added"
	DeviceRemoved = "removed"
)

// Watcher polls sysfs for USB printers (class/usbmisc/lp*) and USB-serial
// adapters (class/tty/ttyUSB*, ttyACM*) and reports each one that appears
// or goes away. It opens no device. The devices present at the first scan
// are the baseline: they are logged, not reported.
type Watcher struct {
	// SysRoot is where sysfs is mounted (default /sys); tests point it at
	// a directory of their own.
	SysRoot string
	// Interval between scans; default 3 s.
	Interval time.Duration
	// OnEvent gets every change, in scan order. Required.
	OnEvent func(context.Context, DeviceEvent)
	Log     *slog.Logger

	baseline chan struct{} // closed once the first scan is done (tests)
}

// Run scans until ctx ends. A scan that fails (sysfs unreadable) is logged
// once until it works again; the devices known before are kept.
func (w *Watcher) Run(ctx context.Context) error {
	if w.SysRoot == "" {
		w.SysRoot = "/sys"
	}
	if w.Interval <= 0 {
		w.Interval = 3 * time.Second
	}
	log := w.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	known, err := LocalDevices(w.SysRoot)
	failing := err != nil
	if failing {
		log.Warn("cannot list local printer devices; hot-plug is reported once sysfs is readable", "err", err)
	}
	for _, c := range known {
		log.Info("local printer device present", "kind", c.Kind, "url", c.URL, "vid", c.VID, "pid", c.PID, "serial", c.SerialNumber)
	}
	if w.baseline != nil {
		close(w.baseline)
	}
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now, err := LocalDevices(w.SysRoot)
		if err != nil {
			if !failing {
				log.Warn("cannot list local printer devices", "err", err)
			}
			failing = true
			continue
		}
		failing = false
		for _, ev := range Diff(known, now, time.Now().UTC()) {
			log.Info("local printer device "+ev.Action, "kind", ev.Kind, "url", ev.URL, "vid", ev.VID, "pid", ev.PID, "serial", ev.SerialNumber)
			w.OnEvent(ctx, ev)
		}
		known = now
	}
}

// Diff returns the devices of now that were not in before (added) and
// those of before no longer in now (removed), removals first. A device is
// the same when its URL, ids and serial number are: an adapter swapped for
// another on the same /dev name is a removal and an addition.
func Diff(before, now []Candidate, at time.Time) []DeviceEvent {
	key := func(c Candidate) string {
		return c.Kind + "|" + c.URL + "|" + c.VID + ":" + c.PID + "|" + c.SerialNumber
	}
	in := func(list []Candidate, c Candidate) bool {
		return slices.ContainsFunc(list, func(o Candidate) bool { return key(o) == key(c) })
	}
	var out []DeviceEvent
	for _, c := range before {
		if !in(now, c) {
			out = append(out, event(DeviceRemoved, c, at))
		}
	}
	for _, c := range now {
		if !in(before, c) {
			out = append(out, event(DeviceAdded, c, at))
		}
	}
	return out
}

func event(action string, c Candidate, at time.Time) DeviceEvent {
	return DeviceEvent{Action: action, Kind: c.Kind, URL: c.URL, VID: c.VID, PID: c.PID, SerialNumber: c.SerialNumber,
		Manufacturer: c.Manufacturer, Product: c.Product, At: at}
}

// LocalDevices lists USB printers (USBPrinters) and USB-serial adapters
// (USBSerialAdapters) from sysfs under sysRoot.
func LocalDevices(sysRoot string) ([]Candidate, error) {
	usb, err1 := USBPrinters(sysRoot)
	ser, err2 := USBSerialAdapters(sysRoot)
	return append(usb, ser...), errors.Join(err1, err2)
}

// USBSerialAdapters lists USB-serial adapters (ttyUSB*, ttyACM*) from
// sysfs with the USB ids of the device they belong to. It opens no
// device. (SerialPorts lists every serial port through the OS's own
// enumeration; this reads sysfs only, so a test can point it at a tree of
// its own.)
func USBSerialAdapters(sysRoot string) ([]Candidate, error) {
	if sysRoot == "" {
		sysRoot = "/sys"
	}
	dir := filepath.Join(sysRoot, "class", "tty")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list serial adapters: %w", err)
	}
	root := sysRoot
	if r, err := filepath.EvalSymlinks(sysRoot); err == nil {
		root = r
	}
	var out []Candidate
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "ttyUSB") && !strings.HasPrefix(name, "ttyACM") {
			continue
		}
		c := Candidate{Kind: KindSerial, URL: "serial:///dev/" + name, Found: "sysfs"}
		if dev, err := filepath.EvalSymlinks(filepath.Join(dir, name, "device")); err == nil {
			// ttyACM: device is the USB interface; ttyUSB: the usb-serial
			// port below it. The USB device is the first parent with ids.
			for d, i := filepath.Dir(dev), 0; i < 3 && strings.HasPrefix(d, root); d, i = filepath.Dir(d), i+1 {
				if v := readLine(filepath.Join(d, "idVendor")); v != "" {
					c.VID = strings.ToUpper(v)
					c.PID = strings.ToUpper(readLine(filepath.Join(d, "idProduct")))
					c.SerialNumber = readLine(filepath.Join(d, "serial"))
					c.Manufacturer = readLine(filepath.Join(d, "manufacturer"))
					c.Product = readLine(filepath.Join(d, "product"))
					break
				}
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Candidate) int { return strings.Compare(a.URL, b.URL) })
	return out, nil
}
