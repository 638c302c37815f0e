package cloudtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// MQTT control packet types the proxy looks at.
const (
	PacketPublish = 3
	PacketPubAck  = 4
)

// Proxy is a TCP proxy between an MQTT client and a broker. It parses the
// MQTT fixed headers flowing from the broker to the client so it can
// withhold PUBACKs (the broker has the message, the client never hears
// so), and it can drop every connection or refuse new ones.
type Proxy struct {
	ln     net.Listener
	target string

	withhold atomic.Bool
	refuse   atomic.Bool
	withheld atomic.Int64
	pubacks  atomic.Int64
	conns    atomic.Int64

	mu    sync.Mutex
	pairs map[*pair]struct{}
	wg    sync.WaitGroup
}

type pair struct{ client, broker net.Conn }

func (p *pair) close() {
	p.client.Close()
	p.broker.Close()
}

// StartProxy starts a proxy to target (host:port) on a free loopback port,
// closed at the end of the test.
func StartProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	p, err := NewProxy(target)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// NewProxy is StartProxy without a test.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, pairs: map[*pair]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is the proxy's tcp:// URL.
func (p *Proxy) URL() string { return "tcp://" + p.Addr() }

// WithholdPubAcks makes the proxy swallow (on) or forward (off) PUBACKs
// from the broker.
func (p *Proxy) WithholdPubAcks(on bool) { p.withhold.Store(on) }

// Refuse makes the proxy close new connections at once (on).
func (p *Proxy) Refuse(on bool) { p.refuse.Store(on) }

// Withheld is how many PUBACKs were swallowed so far.
func (p *Proxy) Withheld() int64 { return p.withheld.Load() }

// PubAcks is how many PUBACKs were forwarded so far.
func (p *Proxy) PubAcks() int64 { return p.pubacks.Load() }

// Connections is how many client connections were accepted so far.
func (p *Proxy) Connections() int64 { return p.conns.Load() }

// DropConnections closes every proxied connection (both sides).
func (p *Proxy) DropConnections() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pr := range p.pairs {
		pr.close()
		delete(p.pairs, pr)
	}
}

// Close stops listening and drops every connection.
func (p *Proxy) Close() {
	p.ln.Close()
	p.DropConnections()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.refuse.Load() {
			c.Close()
			continue
		}
		b, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.conns.Add(1)
		pr := &pair{client: c, broker: b}
		p.mu.Lock()
		p.pairs[pr] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			io.Copy(b, c)
			pr.close()
		}()
		go func() {
			defer p.wg.Done()
			p.fromBroker(pr)
			pr.close()
		}()
	}
}

// fromBroker forwards broker packets to the client one whole packet at a
// time, dropping PUBACKs while withholding.
func (p *Proxy) fromBroker(pr *pair) {
	r := bufio.NewReaderSize(pr.broker, 64<<10)
	for {
		pkt, err := ReadPacket(r)
		if err != nil {
			return
		}
		if pkt[0]>>4 == PacketPubAck {
			if p.withhold.Load() {
				p.withheld.Add(1)
				continue
			}
			p.pubacks.Add(1)
		}
		if _, err := pr.client.Write(pkt); err != nil {
			return
		}
	}
}

// ReadPacket reads one MQTT control packet (fixed header, remaining
// length, body) and returns its bytes.
func ReadPacket(r *bufio.Reader) ([]byte, error) {
	first, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	hdr := []byte{first}
	var n, shift int
	for i := 0; ; i++ {
		if i == 4 {
			return nil, errors.New("mqtt: remaining length longer than 4 bytes")
		}
		b, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		hdr = append(hdr, b)
		n |= int(b&0x7f) << shift
		shift += 7
		if b&0x80 == 0 {
			break
		}
	}
	pkt := make([]byte, len(hdr)+n)
	copy(pkt, hdr)
	if _, err := io.ReadFull(r, pkt[len(hdr):]); err != nil {
		return nil, fmt.Errorf("mqtt: short packet: %w", err)
	}
	return pkt, nil
}
