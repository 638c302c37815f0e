package discover

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.bug.st/serial"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

// standIn is a receipt printer on a real socket or port: it answers DLE EOT
// n with status bytes and GS I 67 with its model, as Epson printers do.
type standIn struct {
	status [5]byte // answers to DLE EOT 1..4; 0 = silent
	model  string  // "" = does not answer GS I
}

var (
	online   = standIn{status: [5]byte{0, 0x12, 0x12, 0x12, 0x12}, model: "TM-T88V"}
	paperOut = standIn{status: [5]byte{0, 0x1a, 0x32, 0x12, 0x72}}
)

// serve answers queries on rw until it fails.
func (s standIn) serve(rw io.ReadWriter) {
	var state int
	var b [1]byte
	for {
		n, err := rw.Read(b[:])
		if err != nil {
			return
		}
		if n == 0 {
			continue
		}
		c := b[0]
		switch {
		case state == 0 && c == 0x10:
			state = 1
		case state == 0 && c == 0x1d:
			state = 10
		case state == 1 && c == 0x04:
			state = 2
		case state == 2:
			state = 0
			if c >= 1 && c <= 4 && s.status[c] != 0 {
				rw.Write([]byte{s.status[c]})
			}
		case state == 10 && c == 'I':
			state = 11
		case state == 11:
			state = 0
			if c == 67 && s.model != "" {
				rw.Write(append(append([]byte{'_'}, s.model...), 0))
			}
		default:
			state = 0
		}
	}
}

// listen starts s on addr ("127.0.0.2:0") and returns the port.
func listen(t *testing.T, addr string, s *standIn) int {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				if s == nil { // silent: hold the connection until the prober leaves
					io.Copy(io.Discard, c)
					return
				}
				s.serve(c)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestNetworkFindsStandIns(t *testing.T) {
	p1 := listen(t, "127.0.0.2:0", &online)
	p2 := listen(t, "127.0.0.3:0", &paperOut)
	p3 := listen(t, "127.0.0.4:0", nil) // open port, no ESC/POS
	opts := Options{
		Subnets:      []netip.Prefix{netip.MustParsePrefix("127.0.0.0/29")},
		Ports:        []int{p1, p2, p3},
		ProbeTimeout: 300 * time.Millisecond,
		Deadline:     20 * time.Second,
	}
	got, err := Network(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	byURL := map[string]Candidate{}
	for _, c := range got {
		byURL[c.URL] = c
	}
	want := []struct {
		url, status, model string
		escpos             bool
	}{
		{"tcp://127.0.0.2:" + itoa(p1), "online", "TM-T88V", true},
		{"tcp://127.0.0.3:" + itoa(p2), "paper out", "", true},
		{"tcp://127.0.0.4:" + itoa(p3), "", "", false},
	}
	for _, w := range want {
		c, ok := byURL[w.url]
		if !ok {
			t.Errorf("%s not found; got %+v", w.url, got)
			continue
		}
		if c.ESCPOS != w.escpos || c.Status != w.status || c.Model != w.model || c.Kind != KindNetwork {
			t.Errorf("%s: got %+v, want escpos=%v status=%q model=%q", w.url, c, w.escpos, w.status, w.model)
		}
	}
	// Nothing else in the /29 listens (127.0.0.1 may hold other tests'
	// listeners on these ports, so it is not checked).
	for _, c := range got {
		if strings.HasPrefix(c.URL, "tcp://127.0.0.5:") || strings.HasPrefix(c.URL, "tcp://127.0.0.6:") {
			t.Errorf("unexpected candidate %+v", c)
		}
	}
	var snip bytes.Buffer
	if err := Snippet(&snip, []Candidate{byURL[want[0].url]}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"printers:", "connection: tcp://127.0.0.2:", "profile: TM-T88V", "# TM-T88V, status: online"} {
		if !strings.Contains(snip.String(), s) {
			t.Errorf("snippet lacks %q:\n%s", s, snip.String())
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestNetworkBounded: a probe of a range where one host holds connections
// without answering still ends at its deadline, and a subnet too large is
// refused before anything is sent.
func TestNetworkBounded(t *testing.T) {
	port := listen(t, "127.0.0.2:0", nil)
	opts := Options{
		Subnets:      []netip.Prefix{netip.MustParsePrefix("127.0.0.0/24")},
		Ports:        []int{port},
		ProbeTimeout: time.Minute, // the deadline must cut it
		Deadline:     3 * time.Second,
	}
	start := time.Now()
	got, err := Network(context.Background(), opts)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("probe took %v, want it to end near its 3s limit", took)
	}
	silent := "tcp://127.0.0.2:" + itoa(port)
	if err != nil || len(got) == 0 || got[len(got)-1].URL != silent || got[len(got)-1].ESCPOS || got[len(got)-1].Note == "" {
		t.Errorf("got %+v, %v; want the silent port listed with a note", got, err)
	}

	// A limit that has passed stops the walk and says the list may be short.
	opts.Deadline = time.Nanosecond
	if _, err := Network(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "time limit") {
		t.Errorf("err = %v, want a time-limit error", err)
	}

	_, err = Network(context.Background(), Options{Subnets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	if !errors.Is(err, ErrTooManyHosts) || !strings.Contains(err.Error(), "smaller subnet") {
		t.Errorf("err = %v, want ErrTooManyHosts with advice", err)
	}
}

func TestHosts(t *testing.T) {
	cases := []struct {
		in   []string
		n    int
		ends [2]string
	}{
		{[]string{"192.0.2.0/24"}, 254, [2]string{"192.0.2.1", "192.0.2.254"}},
		{[]string{"192.0.2.7/30"}, 2, [2]string{"192.0.2.5", "192.0.2.6"}},
		{[]string{"192.0.2.8/31"}, 2, [2]string{"192.0.2.8", "192.0.2.9"}},
		{[]string{"192.0.2.9/32", "192.0.2.9/32"}, 1, [2]string{"192.0.2.9", "192.0.2.9"}},
	}
	for _, c := range cases {
		var ps []netip.Prefix
		for _, s := range c.in {
			ps = append(ps, netip.MustParsePrefix(s))
		}
		got, err := Hosts(ps, 1024)
		if err != nil {
			t.Fatalf("%v: %v", c.in, err)
		}
		if len(got) != c.n || got[0].String() != c.ends[0] || got[len(got)-1].String() != c.ends[1] {
			t.Errorf("%v: %d hosts %v..%v, want %d %v", c.in, len(got), got[0], got[len(got)-1], c.n, c.ends)
		}
	}
	if _, err := Hosts([]netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, 100); !errors.Is(err, ErrTooManyHosts) {
		t.Errorf("a /24 with max 100: err = %v", err)
	}
}

// TestSerialPTY probes a printer on a socat pseudo-terminal pair.
func TestSerialPTY(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "till"), filepath.Join(dir, "printer")
	testkit.SocatAt(t, a, b)
	port, err := serial.Open(b, &serial.Mode{BaudRate: 9600})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	go online.serve(port)

	got, err := SerialPorts(context.Background(), Options{SerialPaths: []string{a}, ProbeTimeout: time.Second})
	if err != nil {
		t.Logf("listing ports: %v", err) // the machine's own list may fail; the named path must not
	}
	var c *Candidate
	for i := range got {
		if got[i].URL == "serial://"+a {
			c = &got[i]
		}
	}
	if c == nil {
		t.Fatalf("pty %s not in %+v", a, got)
	}
	if !c.ESCPOS || c.Status != "online" || c.Model != "TM-T88V" {
		t.Errorf("pty candidate %+v, want an online TM-T88V", *c)
	}

	missing, _ := SerialPorts(context.Background(), Options{SerialPaths: []string{filepath.Join(dir, "nope")}, ProbeTimeout: 200 * time.Millisecond})
	found := false
	for _, m := range missing {
		if strings.HasSuffix(m.URL, "/nope") {
			found = true
			if m.ESCPOS || !strings.Contains(m.Note, "could not open") {
				t.Errorf("missing port: %+v, want a could-not-open note", m)
			}
		}
	}
	if !found {
		t.Error("a named port that does not exist is not reported")
	}
}

// TestUSBPrintersSysfs reads a sysfs tree laid out as Linux lays it out for
// usblp: /sys/class/usbmisc/lp0/device -> the USB interface, whose parent
// holds idVendor, idProduct, serial, manufacturer and product.
func TestUSBPrintersSysfs(t *testing.T) {
	root := t.TempDir()
	dev := filepath.Join(root, "devices", "pci0000:00", "usb1", "1-2")
	iface := filepath.Join(dev, "1-2:1.0")
	must(t, os.MkdirAll(iface, 0o755))
	for name, v := range map[string]string{"idVendor": "04b8\n", "idProduct": "0202\n", "serial": "X5RT012345\n",
		"manufacturer": "EPSON\n", "product": "TM-T88V\n"} {
		must(t, os.WriteFile(filepath.Join(dev, name), []byte(v), 0o644))
	}
	lp := filepath.Join(root, "class", "usbmisc", "lp0")
	must(t, os.MkdirAll(lp, 0o755))
	must(t, os.Symlink(iface, filepath.Join(lp, "device")))
	must(t, os.MkdirAll(filepath.Join(root, "class", "usbmisc", "hiddev0"), 0o755))

	got, err := USBPrinters(root)
	if err != nil {
		t.Fatal(err)
	}
	want := Candidate{Kind: KindUSBPrinter, URL: "usb:///dev/usb/lp0", VID: "04B8", PID: "0202", SerialNumber: "X5RT012345",
		Manufacturer: "EPSON", Product: "TM-T88V", Found: "sysfs"}
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %+v, want [%+v]", got, want)
	}
	if got, err := USBPrinters(filepath.Join(root, "nothing")); err != nil || len(got) != 0 {
		t.Errorf("no usbmisc class: %v, %v", got, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDNSSD answers the query from a responder on loopback (never the
// multicast group) and checks the candidates built from PTR, SRV and A.
func TestDNSSD(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var q dnsmessage.Message
			if q.Unpack(buf[:n]) != nil || len(q.Questions) != 2 {
				continue
			}
			pc.WriteTo(dnssdAnswer(t), from)
		}
	}()
	got, err := browseDNSSD(context.Background(), Options{MDNSAddr: pc.LocalAddr().String(), ProbeTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := []Candidate{
		{Kind: KindNetwork, URL: "tcp://127.0.0.9:9100", Product: "Bar Printer", Found: "dns-sd"},
		{Kind: KindNetwork, URL: "tcp://127.0.0.10:9100", Product: "Kitchen", Found: "dns-sd",
			Note: "announces LPD on port 515; receipt printers take raw jobs on 9100"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("candidate %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func dnssdAnswer(t *testing.T) []byte {
	name := func(s string) dnsmessage.Name { return dnsmessage.MustNewName(s) }
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{Response: true, Authoritative: true})
	must(t, b.StartAnswers())
	hdr := func(n string, typ dnsmessage.Type) dnsmessage.ResourceHeader {
		return dnsmessage.ResourceHeader{Name: name(n), Type: typ, Class: dnsmessage.ClassINET, TTL: 120}
	}
	must(t, b.PTRResource(hdr("_pdl-datastream._tcp.local.", dnsmessage.TypePTR), dnsmessage.PTRResource{PTR: name(`Bar\032Printer._pdl-datastream._tcp.local.`)}))
	must(t, b.PTRResource(hdr("_printer._tcp.local.", dnsmessage.TypePTR), dnsmessage.PTRResource{PTR: name("Kitchen._printer._tcp.local.")}))
	must(t, b.StartAdditionals())
	must(t, b.SRVResource(hdr(`Bar\032Printer._pdl-datastream._tcp.local.`, dnsmessage.TypeSRV), dnsmessage.SRVResource{Port: 9100, Target: name("bar.local.")}))
	must(t, b.SRVResource(hdr("Kitchen._printer._tcp.local.", dnsmessage.TypeSRV), dnsmessage.SRVResource{Port: 515, Target: name("kitchen.local.")}))
	must(t, b.AResource(hdr("bar.local.", dnsmessage.TypeA), dnsmessage.AResource{A: [4]byte{127, 0, 0, 9}}))
	must(t, b.AResource(hdr("kitchen.local.", dnsmessage.TypeA), dnsmessage.AResource{A: [4]byte{127, 0, 0, 10}}))
	out, err := b.Finish()
	must(t, err)
	return out
}
