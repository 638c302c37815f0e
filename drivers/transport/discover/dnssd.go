package discover

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// DNS-SD service types that receipt and label printers announce:
// _pdl-datastream._tcp is raw printing (port 9100 as a rule), _printer._tcp
// is LPD (port 515; such printers usually take raw jobs on 9100 too).
var dnssdServices = []string{"_pdl-datastream._tcp.local.", "_printer._tcp.local."}

// browseDNSSD sends one multicast DNS query (RFC 6762, asking for unicast
// answers) for the printer service types to opts.MDNSAddr and collects the
// answers until opts.ProbeTimeout × 3 or the context ends.
func browseDNSSD(ctx context.Context, opts Options) ([]Candidate, error) {
	dst, err := net.ResolveUDPAddr("udp", opts.MDNSAddr)
	if err != nil {
		return nil, fmt.Errorf("dns-sd: bad address %q: %w", opts.MDNSAddr, err)
	}
	conn, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, fmt.Errorf("dns-sd: %w", err)
	}
	defer conn.Close()
	q, err := dnssdQuery()
	if err != nil {
		return nil, err
	}
	if _, err := conn.WriteToUDP(q, dst); err != nil {
		return nil, fmt.Errorf("dns-sd: send query: %w", err)
	}
	wait := 3 * opts.ProbeTimeout
	dl := time.Now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	_ = conn.SetReadDeadline(dl)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()

	var answers []dnsmessage.Resource
	buf := make([]byte, 9000)
	for {
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || isTimeout(err) {
				break
			}
			return nil, fmt.Errorf("dns-sd: %w", err)
		}
		var m dnsmessage.Message
		if err := m.Unpack(buf[:n]); err != nil || !m.Header.Response {
			continue // not a DNS answer: ignore it
		}
		answers = append(answers, m.Answers...)
		answers = append(answers, m.Additionals...)
	}
	return candidatesFromRecords(answers), nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// dnssdQuery builds a PTR query for each printer service type, with the
// unicast-response bit set so answers come back to our socket.
func dnssdQuery() ([]byte, error) {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	for _, s := range dnssdServices {
		name, err := dnsmessage.NewName(s)
		if err != nil {
			return nil, err
		}
		if err := b.Question(dnsmessage.Question{Name: name, Type: dnsmessage.TypePTR, Class: dnsmessage.ClassINET | 0x8000}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// candidatesFromRecords joins PTR → SRV → A/AAAA records into candidates.
func candidatesFromRecords(rrs []dnsmessage.Resource) []Candidate {
	type srv struct {
		target string
		port   uint16
	}
	var instances []struct{ service, instance string }
	srvs := map[string]srv{}
	addrs := map[string][]netip.Addr{}
	for _, rr := range rrs {
		name := strings.ToLower(rr.Header.Name.String())
		switch body := rr.Body.(type) {
		case *dnsmessage.PTRResource:
			instances = append(instances, struct{ service, instance string }{name, body.PTR.String()})
		case *dnsmessage.SRVResource:
			srvs[name] = srv{strings.ToLower(body.Target.String()), body.Port}
		case *dnsmessage.AResource:
			addrs[name] = append(addrs[name], netip.AddrFrom4(body.A))
		case *dnsmessage.AAAAResource:
			addrs[name] = append(addrs[name], netip.AddrFrom16(body.AAAA))
		}
	}
	var out []Candidate
	seen := map[string]bool{}
	for _, in := range instances {
		s, ok := srvs[strings.ToLower(in.instance)]
		if !ok {
			continue
		}
		port := s.port
		note := ""
		if strings.HasPrefix(in.service, "_printer._tcp") {
			note = fmt.Sprintf("announces LPD on port %d; receipt printers take raw jobs on 9100", port)
			port = 9100
		}
		label, _, _ := strings.Cut(in.instance, "._")
		for _, a := range addrs[s.target] {
			u := "tcp://" + netip.AddrPortFrom(a, port).String()
			if seen[u] {
				continue
			}
			seen[u] = true
			out = append(out, Candidate{Kind: KindNetwork, URL: u, Product: unescapeDNS(label), Found: "dns-sd", Note: note})
		}
	}
	return out
}

// unescapeDNS undoes the \ddd and \c escapes of a DNS label.
func unescapeDNS(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			b.WriteByte(byte((s[i+1]-'0')*100 + (s[i+2]-'0')*10 + (s[i+3] - '0')))
			i += 3
			continue
		}
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
