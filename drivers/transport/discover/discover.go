// Package discover finds receipt printers an installer can configure: USB
// printer class devices and USB-serial adapters (with USB vendor and product
// ids and serial numbers), serial ports, and network printers on the subnets
// the installer names (a TCP probe of port 9100 with an ESC/POS status query,
// and DNS-SD announcements of _pdl-datastream._tcp and _printer._tcp).
//
// Every probe is bounded: a subnet list larger than Options.MaxHosts is
// refused before anything is sent, probes run at most Options.Concurrency at
// a time, each waits at most Options.ProbeTimeout, and the whole discovery
// ends by Options.Deadline. Nothing is probed that the caller did not name:
// no subnet means no network probe, and DNS-SD is asked only when
// Options.MDNS is set.
package discover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/drivers/transport"
)

// Kinds of candidates.
const (
	KindNetwork    = "network"     // a TCP printer (raw port 9100)
	KindUSBPrinter = "usb-printer" // a USB printer class device, /dev/usb/lp*
	KindSerial     = "serial"      // a serial port or USB-serial adapter
)

// Candidate is one device that may be a receipt printer.
type Candidate struct {
	Kind string `json:"kind"`
	URL  string `json:"url"` // the connection URL for printers[].connection

	VID          string `json:"vid,omitempty"` // USB vendor id, 4 upper-case hex digits
	PID          string `json:"pid,omitempty"`
	SerialNumber string `json:"serial_number,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Product      string `json:"product,omitempty"`

	// ESCPOS is true when the device answered an ESC/POS status query.
	ESCPOS bool `json:"escpos"`
	// Status is the printer's state in words ("online", "paper out", ...)
	// when it answered; empty when it was not asked or did not answer.
	Status string `json:"status,omitempty"`
	// Model is what the printer reports for GS I (model name or id).
	Model string `json:"model,omitempty"`
	// Found says how it was found: "probe", "dns-sd", "sysfs", "serial-list".
	Found string `json:"found"`
	// Note is a plain remark, e.g. why a listed port was not probed.
	Note string `json:"note,omitempty"`
}

// Options bound what discovery does.
type Options struct {
	// Subnets are probed on Ports (each address in each prefix, network and
	// broadcast addresses of IPv4 prefixes shorter than /31 left out).
	Subnets []netip.Prefix
	// Ports to probe on each address; default 9100.
	Ports []int
	// MaxHosts refuses a subnet list with more addresses than this; default
	// 1024 (a /22).
	MaxHosts int
	// Concurrency is how many probes run at once; default 64.
	Concurrency int
	// ProbeTimeout is how long one probe (connect, status, model) may take;
	// default 400 ms.
	ProbeTimeout time.Duration
	// Deadline ends the whole discovery; default 10 s. Probes still running
	// then are abandoned and their hosts left out.
	Deadline time.Duration
	// SerialPaths are serial devices to probe with a status query (at
	// 9600 baud unless the path is a full serial:// URL). Listed ports are
	// not probed unless ProbeSerial is set: a probe writes to the port.
	SerialPaths []string
	ProbeSerial bool
	// MDNS asks DNS-SD for printers; MDNSAddr is where the query goes
	// (default the mDNS group 224.0.0.251:5353).
	MDNS     bool
	MDNSAddr string
	// SysRoot is where sysfs is mounted (default /sys); tests point it at
	// a directory of their own.
	SysRoot string
}

func (o *Options) defaults() {
	if len(o.Ports) == 0 {
		o.Ports = []int{9100}
	}
	if o.MaxHosts <= 0 {
		o.MaxHosts = 1024
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 400 * time.Millisecond
	}
	if o.Deadline <= 0 {
		o.Deadline = 10 * time.Second
	}
	if o.SysRoot == "" {
		o.SysRoot = "/sys"
	}
	if o.MDNSAddr == "" {
		o.MDNSAddr = "224.0.0.251:5353"
	}
}

// ErrTooManyHosts is returned when the subnets hold more addresses than
// Options.MaxHosts.
var ErrTooManyHosts = errors.New("too many addresses to probe")

// Hosts returns the addresses of the subnets, in order, without duplicates,
// or ErrTooManyHosts when there are more than max. The network and
// broadcast addresses of IPv4 subnets larger than /31 are left out.
func Hosts(subnets []netip.Prefix, max int) ([]netip.Addr, error) {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, p := range subnets {
		p = p.Masked()
		hostBits := p.Addr().BitLen() - p.Bits()
		if hostBits > 30 || 1<<hostBits > max+2 {
			return nil, fmt.Errorf("%w: %s has more than %d addresses; name a smaller subnet (a /24 holds 254)", ErrTooManyHosts, p, max)
		}
		n := 1 << hostBits
		a := p.Addr()
		for i := 0; i < n; i, a = i+1, a.Next() {
			if p.Addr().Is4() && hostBits >= 2 && (i == 0 || i == n-1) {
				continue
			}
			if seen[a] {
				continue
			}
			seen[a] = true
			out = append(out, a)
			if len(out) > max {
				return nil, fmt.Errorf("%w: the subnets hold more than %d addresses", ErrTooManyHosts, max)
			}
		}
	}
	return out, nil
}

// Discover runs every kind of discovery the options ask for and returns the
// candidates, local devices first, then network printers by address. Errors
// of one kind (say, sysfs unreadable) do not stop the others; they come
// back joined with the candidates found.
func Discover(ctx context.Context, opts Options) ([]Candidate, error) {
	opts.defaults()
	ctx, cancel := context.WithTimeout(ctx, opts.Deadline)
	defer cancel()
	var errs []error
	var out []Candidate

	usb, err := USBPrinters(opts.SysRoot)
	if err != nil {
		errs = append(errs, err)
	}
	out = append(out, usb...)
	ser, err := SerialPorts(ctx, opts)
	if err != nil {
		errs = append(errs, err)
	}
	out = append(out, ser...)

	var network []Candidate
	if len(opts.Subnets) > 0 {
		found, err := Network(ctx, opts)
		if err != nil {
			errs = append(errs, err)
		}
		network = append(network, found...)
	}
	if opts.MDNS {
		found, err := browseDNSSD(ctx, opts)
		if err != nil {
			errs = append(errs, err)
		}
		for _, c := range found {
			if !slices.ContainsFunc(network, func(n Candidate) bool { return n.URL == c.URL }) {
				network = append(network, c)
			}
		}
	}
	slices.SortFunc(network, func(a, b Candidate) int { return compareURL(a.URL, b.URL) })
	out = append(out, network...)
	return out, errors.Join(errs...)
}

// compareURL orders tcp://IP:PORT URLs by address, then port.
func compareURL(a, b string) int {
	pa, ea := netip.ParseAddrPort(strings.TrimPrefix(a, "tcp://"))
	pb, eb := netip.ParseAddrPort(strings.TrimPrefix(b, "tcp://"))
	if ea != nil || eb != nil {
		return strings.Compare(a, b)
	}
	return pa.Compare(pb)
}

// Network probes every address of opts.Subnets on opts.Ports and returns
// the ones that accept a connection. A printer that answers the ESC/POS
// status query is marked ESCPOS with its status and, when it reports it,
// its model; an open port that stays silent is still listed (many network
// printers answer status only when enabled).
func Network(ctx context.Context, opts Options) ([]Candidate, error) {
	opts.defaults()
	hosts, err := Hosts(opts.Subnets, opts.MaxHosts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Deadline)
	defer cancel()

	type target struct {
		addr netip.AddrPort
	}
	work := make(chan target)
	var (
		mu  sync.Mutex
		out []Candidate
		wg  sync.WaitGroup
	)
	workers := min(opts.Concurrency, len(hosts)*len(opts.Ports))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				if c, ok := probeTCP(ctx, t.addr, opts.ProbeTimeout); ok {
					mu.Lock()
					out = append(out, c)
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for _, h := range hosts {
		for _, p := range opts.Ports {
			select {
			case work <- target{netip.AddrPortFrom(h, uint16(p))}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(work)
	wg.Wait()
	slices.SortFunc(out, func(a, b Candidate) int { return compareURL(a.URL, b.URL) })
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.Canceled) {
		return out, fmt.Errorf("network probe stopped at its time limit of %v; the list may be incomplete (raise --timeout or name a smaller subnet)", opts.Deadline)
	}
	return out, nil
}

// probeTCP connects to addr and asks for ESC/POS status and model.
func probeTCP(ctx context.Context, addr netip.AddrPort, timeout time.Duration) (Candidate, bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return Candidate{}, false
	}
	defer conn.Close()
	dl, _ := ctx.Deadline()
	_ = conn.SetDeadline(dl)
	c := Candidate{Kind: KindNetwork, URL: "tcp://" + addr.String(), Found: "probe"}
	identify(&c, conn, time.Until(dl)/3)
	return c, true
}

// identify asks the device on rw for its status (DLE EOT 1, 2, 4) and model
// (GS I 67, then GS I 1), each waiting at most step, and fills c.
func identify(c *Candidate, rw readWriteDeadliner, step time.Duration) {
	if step <= 0 {
		return
	}
	st, err := transport.ReadStatus(context.Background(), rw, step, escpos.StatusPrinter, escpos.StatusOffline, escpos.StatusPaper)
	if err != nil {
		c.Note = "open, but no ESC/POS status answer (status may be disabled, or not a receipt printer)"
		return
	}
	c.ESCPOS = true
	c.Status = StatusWords(st)
	c.Model = queryModel(rw, step)
}

// readWriteDeadliner is a connection whose reads and writes can time out
// (net.Conn, the serial transport's connections).
type readWriteDeadliner interface {
	transport.Conn
	transport.Deadliner
}

// StatusWords says a printer's state as staff would: "online", or the
// reasons it cannot print, with "paper low" where the roll is near its end.
func StatusWords(st escpos.Status) string {
	var words []string
	if st.CoverOpen {
		words = append(words, "cover open")
	}
	if st.PaperOut || st.PaperEndStop {
		words = append(words, "paper out")
	}
	if st.Offline && len(words) == 0 {
		words = append(words, "offline")
	}
	if len(words) == 0 {
		words = append(words, "online")
	}
	if st.PaperNearEnd && !st.PaperOut {
		words = append(words, "paper low")
	}
	return strings.Join(words, ", ")
}

// GS I n: transmit printer id. n = 67 asks for the model name, answered as
// "_" name NUL (Epson's extended ids); n = 1 asks for the model id byte.
func queryModel(rw readWriteDeadliner, step time.Duration) string {
	if name, ok := askID(rw, 67, step); ok {
		return name
	}
	_ = rw.SetReadDeadline(time.Now().Add(step))
	if _, err := rw.Write([]byte{0x1d, 'I', 1}); err != nil {
		return ""
	}
	var b [1]byte
	if n, _ := rw.Read(b[:]); n == 1 {
		return "model id 0x" + strconv.FormatUint(uint64(b[0]), 16)
	}
	return ""
}

// askID sends GS I n and reads an "_" ... NUL answer.
func askID(rw readWriteDeadliner, n byte, step time.Duration) (string, bool) {
	_ = rw.SetReadDeadline(time.Now().Add(step))
	defer rw.SetReadDeadline(time.Time{})
	if _, err := rw.Write([]byte{0x1d, 'I', n}); err != nil {
		return "", false
	}
	var buf []byte
	var one [1]byte
	for len(buf) < 81 {
		k, err := rw.Read(one[:])
		if k == 0 || err != nil {
			return "", false
		}
		if len(buf) == 0 && one[0] != '_' {
			return "", false
		}
		if one[0] == 0 {
			name := strings.TrimSpace(string(buf[1:]))
			return printable(name), name != ""
		}
		buf = append(buf, one[0])
	}
	return "", false
}

func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// USBPrinters lists USB printer class devices (/dev/usb/lp*) from sysfs with
// their USB ids. It opens no device.
func USBPrinters(sysRoot string) ([]Candidate, error) {
	if sysRoot == "" {
		sysRoot = "/sys"
	}
	dir := filepath.Join(sysRoot, "class", "usbmisc")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // no USB printer driver loaded: no USB printers
	}
	if err != nil {
		return nil, fmt.Errorf("list USB printers: %w", err)
	}
	var out []Candidate
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "lp") {
			continue
		}
		c := Candidate{Kind: KindUSBPrinter, URL: "usb:///dev/usb/" + name, Found: "sysfs"}
		// device -> the USB interface; its parent holds the ids.
		iface, err := filepath.EvalSymlinks(filepath.Join(dir, name, "device"))
		if err == nil {
			usbDev := filepath.Dir(iface)
			c.VID = strings.ToUpper(readLine(filepath.Join(usbDev, "idVendor")))
			c.PID = strings.ToUpper(readLine(filepath.Join(usbDev, "idProduct")))
			c.SerialNumber = readLine(filepath.Join(usbDev, "serial"))
			c.Manufacturer = readLine(filepath.Join(usbDev, "manufacturer"))
			c.Product = readLine(filepath.Join(usbDev, "product"))
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Candidate) int { return strings.Compare(a.URL, b.URL) })
	return out, nil
}

func readLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(b))
}

// SerialPorts lists this machine's serial ports (USB-serial adapters with
// their ids) and the extra paths the options name. Ports are probed with a
// status query only when opts.ProbeSerial is set (listed ports) or when
// named in opts.SerialPaths.
func SerialPorts(ctx context.Context, opts Options) ([]Candidate, error) {
	opts.defaults()
	var out []Candidate
	ports, err := transport.SerialPorts()
	for _, p := range ports {
		c := Candidate{Kind: KindSerial, URL: p.URL(), VID: p.VID, PID: p.PID, SerialNumber: p.SerialNumber,
			Manufacturer: p.Manufacturer, Product: p.Product, Found: "serial-list"}
		if opts.ProbeSerial {
			probeSerial(ctx, &c, c.URL, opts.ProbeTimeout)
		}
		out = append(out, c)
	}
	for _, path := range opts.SerialPaths {
		u := path
		if !strings.Contains(u, "://") {
			u = "serial://" + path
		}
		if i := slices.IndexFunc(out, func(c Candidate) bool { return c.URL == u }); i >= 0 {
			probeSerial(ctx, &out[i], u, opts.ProbeTimeout)
			continue
		}
		c := Candidate{Kind: KindSerial, URL: u, Found: "named"}
		probeSerial(ctx, &c, u, opts.ProbeTimeout)
		out = append(out, c)
	}
	if err != nil {
		return out, fmt.Errorf("list serial ports: %w", err)
	}
	return out, nil
}

// probeSerial opens u, asks for status and model, and closes it.
func probeSerial(ctx context.Context, c *Candidate, u string, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, 4*timeout)
	defer cancel()
	conn, err := transport.Open(ctx, u, transport.Options{})
	if err != nil {
		c.Note = "could not open: " + err.Error()
		return
	}
	defer conn.Close()
	rw, ok := conn.(readWriteDeadliner)
	if !ok {
		c.Note = "cannot time out a read on this port; not probed"
		return
	}
	identify(c, rw, timeout)
	if !c.ESCPOS && c.Note == "" {
		c.Note = "no ESC/POS status answer"
	}
}
