package terminal

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/auraconnect/aura-edge/drivers/transport"
)

// Listen is where a till is heard: a TCP address, a serial device, or a
// USB-serial adapter found by VID:PID (and serial number).
type Listen struct {
	Scheme string // "tcp" or "serial"
	Addr   string // tcp: host:port
	// Serial is the serial URL to open (serial: form); empty for a USB
	// match, whose device is looked up at each open.
	Serial string
	USB    *USBMatch
	// Query is the serial line settings (baud=...) of a USB match.
	Query string
	raw   string
}

// USBMatch names a USB-serial adapter.
type USBMatch struct {
	VID, PID string // 4 upper-case hex digits
	Serial   string // optional USB serial number
}

func (m USBMatch) String() string {
	s := m.VID + ":" + m.PID
	if m.Serial != "" {
		s += "+" + m.Serial
	}
	return s
}

func (l Listen) String() string { return l.raw }

var usbID = regexp.MustCompile(`^([0-9A-Fa-f]{4}):([0-9A-Fa-f]{4})(?:\+(.+))?$`)

// ParseListen checks a terminal's listen URL without I/O:
//
//	tcp://0.0.0.0:9100                         the till prints to this port
//	serial:///dev/ttyS0?baud=9600&parity=none  a serial port (the printers' form)
//	serial://usb/0403:6001?baud=9600           a USB-serial adapter by VID:PID
//	serial://usb/0403:6001+A5XK3RJT?baud=9600  ... and serial number, when two are alike
func ParseListen(raw string) (Listen, error) {
	bad := func(format string, args ...any) (Listen, error) {
		return Listen{}, fmt.Errorf("listen %q: %s", raw, fmt.Sprintf(format, args...))
	}
	l := Listen{raw: raw}
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return bad("want tcp://HOST:PORT (e.g. tcp://0.0.0.0:9100) or serial:///dev/ttyS0?baud=9600")
	}
	switch strings.ToLower(scheme) {
	case "tcp":
		u, err := url.Parse(raw)
		if err != nil {
			return bad("%v", errors.Unwrap(err))
		}
		if u.Port() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return bad("want tcp://HOST:PORT, e.g. tcp://0.0.0.0:9100")
		}
		if p, err := strconv.Atoi(u.Port()); err != nil || p < 0 || p > 65535 {
			return bad("port must be 1 to 65535 (0: any free port, for tests)")
		}
		l.Scheme, l.Addr = "tcp", net.JoinHostPort(u.Hostname(), u.Port())
		return l, nil
	case "serial":
		u, err := url.Parse(raw)
		if err != nil {
			return bad("%v", errors.Unwrap(err))
		}
		l.Scheme = "serial"
		if strings.EqualFold(u.Host, "usb") {
			m := usbID.FindStringSubmatch(strings.TrimPrefix(u.Path, "/"))
			if m == nil {
				return bad("want serial://usb/VID:PID or serial://usb/VID:PID+SERIAL with 4 hex digits each, e.g. serial://usb/0403:6001?baud=9600")
			}
			l.USB = &USBMatch{VID: strings.ToUpper(m[1]), PID: strings.ToUpper(m[2]), Serial: m[3]}
			l.Query = u.RawQuery
			// Check the line settings as a serial URL would have them.
			if _, err := transport.ParseURL(l.deviceURL("/dev/null")); err != nil {
				return bad("%s", serialReason(err))
			}
			return l, nil
		}
		if _, err := transport.ParseURL(raw); err != nil {
			return Listen{}, err
		}
		l.Serial = raw
		return l, nil
	}
	return bad("scheme must be tcp or serial")
}

// serialReason strips the URL from a transport error.
func serialReason(err error) string {
	s := err.Error()
	if i := strings.Index(s, `": `); i >= 0 {
		return s[i+3:]
	}
	return s
}

// deviceURL is the serial URL for a device path with the match's settings.
func (l Listen) deviceURL(dev string) string {
	u := "serial://" + dev
	if l.Query != "" {
		u += "?" + l.Query
	}
	return u
}

// serialPorts lists the machine's serial ports (a variable for tests).
var serialPorts = transport.SerialPorts

// resolve returns the serial URL to open now: the configured one, or the
// device of the USB adapter that matches (which may have moved from
// /dev/ttyUSB0 to /dev/ttyUSB1 on a replug).
func (l Listen) resolve() (string, error) {
	if l.USB == nil {
		return l.Serial, nil
	}
	ports, err := serialPorts()
	if err != nil {
		return "", err
	}
	var found []transport.PortInfo
	var seen []string
	for _, p := range ports {
		if !p.IsUSB {
			continue
		}
		seen = append(seen, p.VID+":"+p.PID+"+"+p.SerialNumber+" at "+p.Name)
		if p.VID == l.USB.VID && p.PID == l.USB.PID && (l.USB.Serial == "" || p.SerialNumber == l.USB.Serial) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		msg := fmt.Sprintf("no USB serial adapter %s is plugged in", l.USB)
		if len(seen) > 0 {
			msg += " (found " + strings.Join(seen, ", ") + ")"
		}
		return "", errors.New(msg)
	case 1:
		return l.deviceURL(found[0].Name), nil
	}
	var serials []string
	for _, p := range found {
		serials = append(serials, p.SerialNumber+" at "+p.Name)
	}
	return "", fmt.Errorf("%d USB serial adapters %s are plugged in (%s): add +SERIAL to the listen URL to say which", len(found), l.USB, strings.Join(serials, ", "))
}
