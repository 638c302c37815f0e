package cloud

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// tcpPair returns both ends of a real loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestPahoConnWritesInOrderAndFlushesOnClose(t *testing.T) {
	client, server := tcpPair(t)
	pc := newPahoConn(client, 5*time.Second)
	var want bytes.Buffer
	for i := 0; i < 5000; i++ {
		p := bytes.Repeat([]byte{byte(i)}, 1+i%300)
		want.Write(p)
		if n, err := pc.Write(p); n != len(p) || err != nil {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(server)
		got <- b
	}()
	// Close right after the last Write: what is queued still goes out
	// before the socket closes (a DISCONNECT must reach the broker).
	if err := pc.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if b := <-got; !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("the peer read %d bytes, want %d in order", len(b), want.Len())
	}
	if _, err := pc.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestPahoConnReadsThroughBuffer(t *testing.T) {
	client, server := tcpPair(t)
	pc := newPahoConn(client, time.Second)
	defer pc.Close()
	// Three PUBACKs in one segment, read as paho does: a byte, a byte, the rest.
	if _, err := server.Write([]byte{0x40, 2, 0, 1, 0x40, 2, 0, 2, 0x40, 2, 0, 3}); err != nil {
		t.Fatal(err)
	}
	for id := byte(1); id <= 3; id++ {
		var typ, n [1]byte
		body := make([]byte, 2)
		for _, b := range [][]byte{typ[:], n[:], body} {
			if _, err := io.ReadFull(pc, b); err != nil {
				t.Fatal(err)
			}
		}
		if typ[0] != 0x40 || n[0] != 2 || body[1] != id {
			t.Fatalf("packet %d read as %x %x %x", id, typ, n, body)
		}
	}
}

// A broker that stops reading: once the socket's buffers are full, a write
// fails after the timeout, the socket is closed (paho's reader sees the
// connection end) and Write returns the error.
func TestPahoConnStuckPeerFailsWithinTimeout(t *testing.T) {
	client, server := tcpPair(t)
	pc := newPahoConn(client, 200*time.Millisecond)
	defer pc.Close()
	chunk := make([]byte, 64<<10)
	deadline := time.Now().Add(20 * time.Second)
	var err error
	for err == nil {
		if time.Now().After(deadline) {
			t.Fatal("writes to a peer that does not read never failed")
		}
		_, err = pc.Write(chunk)
		if err == nil {
			// Give the flusher its turn; the queue is not bounded by Write.
			<-time.After(time.Millisecond)
		}
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("write error %v, want a timeout", err)
	}
	// The socket is closed: reading our end fails at once.
	if _, rerr := pc.Read(make([]byte, 1)); rerr == nil {
		t.Fatal("read after the failed write succeeded")
	}
	_ = server
}
