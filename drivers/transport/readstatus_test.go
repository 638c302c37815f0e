package transport_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/drivers/transport"
)

// answerDLEEOT answers DLE EOT n on conn with replies[n] (after noise, a
// byte that is not a status reply, when noise is set), or stays silent
// when replies lacks n. It stops at EOF.
func answerDLEEOT(conn io.ReadWriter, replies map[byte]byte, noise bool) {
	var req [3]byte
	for {
		if _, err := io.ReadFull(conn, req[:]); err != nil || req[0] != 0x10 || req[1] != 0x04 {
			return
		}
		if b, ok := replies[req[2]]; ok {
			out := []byte{b}
			if noise {
				out = []byte{0x00, b}
			}
			if _, err := conn.Write(out); err != nil {
				return
			}
		}
	}
}

func loopbackPair(t *testing.T) (client, server net.Conn) {
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

// TestReadStatus: the four kinds are asked and parsed; bytes that are not
// status replies are skipped; a kind the printer does not answer gives
// ErrNoStatus with the kinds parsed before it; a connection that cannot
// time out a read is sent nothing.
func TestReadStatus(t *testing.T) {
	ctx := context.Background()
	client, server := loopbackPair(t)
	go answerDLEEOT(server, map[byte]byte{1: 0x1a, 2: 0x32, 3: 0x12, 4: 0x72}, true)
	s, err := transport.ReadStatus(ctx, client, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Offline || !s.PaperEndStop || !s.PaperOut || !errors.Is(s.Err(), escpos.ErrPaperOut) {
		t.Errorf("status %+v", s)
	}

	client, server = loopbackPair(t)
	go answerDLEEOT(server, map[byte]byte{1: 0x12}, false) // silent on DLE EOT 2
	s, err = transport.ReadStatus(ctx, client, 100*time.Millisecond, escpos.StatusPrinter, escpos.StatusOffline)
	if !errors.Is(err, transport.ErrNoStatus) {
		t.Fatalf("silent kind: %v, want ErrNoStatus", err)
	}
	if !s.Online() || s.Has(escpos.StatusOffline) {
		t.Errorf("partial status %+v", s)
	}

	var buf struct {
		bytes.Buffer
		io.Closer
	}
	if _, err := transport.ReadStatus(ctx, &buf, time.Second); !errors.Is(err, transport.ErrNoStatus) || buf.Len() != 0 {
		t.Fatalf("no deadlines: %v, sent % x", err, buf.Bytes())
	}
}
