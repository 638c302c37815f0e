package escpos

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.bug.st/serial"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

func TestStatusRequest(t *testing.T) {
	for k := StatusPrinter; k <= StatusPaper; k++ {
		if got, want := StatusRequest(k), []byte{0x10, 0x04, byte(k)}; !bytes.Equal(got, want) {
			t.Errorf("StatusRequest(%d) = % x, want % x", k, got, want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name  string
		kind  StatusKind
		reply byte
		want  Status
	}{
		{"online", StatusPrinter, 0x12, Status{}},
		{"drawer pin 3 high", StatusPrinter, 0x16, Status{DrawerPin3High: true}},
		{"offline", StatusPrinter, 0x1a, Status{Offline: true}},
		{"waiting for recovery", StatusPrinter, 0x32, Status{WaitingForRecovery: true}},
		{"feed button", StatusPrinter, 0x52, Status{FeedButton: true}},
		{"offline, everything", StatusPrinter, 0x7e, Status{Offline: true, DrawerPin3High: true, WaitingForRecovery: true, FeedButton: true}},
		{"no offline cause", StatusOffline, 0x12, Status{}},
		{"cover open", StatusOffline, 0x16, Status{CoverOpen: true}},
		{"feeding by button", StatusOffline, 0x1a, Status{FeedingByButton: true}},
		{"stopped at paper end", StatusOffline, 0x32, Status{PaperEndStop: true}},
		{"error occurred", StatusOffline, 0x52, Status{ErrorOccurred: true}},
		{"no error", StatusError, 0x12, Status{}},
		{"recoverable", StatusError, 0x16, Status{RecoverableError: true}},
		{"cutter", StatusError, 0x1a, Status{CutterError: true}},
		{"unrecoverable", StatusError, 0x32, Status{UnrecoverableError: true}},
		{"auto-recoverable", StatusError, 0x52, Status{AutoRecoverableError: true}},
		{"paper ok", StatusPaper, 0x12, Status{}},
		{"near end", StatusPaper, 0x1e, Status{PaperNearEnd: true}},
		{"near end, one sensor", StatusPaper, 0x16, Status{PaperNearEnd: true}},
		{"paper out", StatusPaper, 0x72, Status{PaperOut: true}},
		{"near end and out", StatusPaper, 0x7e, Status{PaperNearEnd: true, PaperOut: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStatus(tc.kind, tc.reply)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.have = 1 << tc.kind
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
			if !got.Has(tc.kind) {
				t.Error("Has is false")
			}
		})
	}
}

func TestParseStatusRejectsGarbage(t *testing.T) {
	for _, tc := range []struct {
		kind  StatusKind
		reply byte
	}{
		{StatusPrinter, 0x00}, {StatusPrinter, 0xff}, {StatusPrinter, 0x13}, {StatusPrinter, 0x92},
		{StatusPaper, 0x02}, {StatusPaper, 0x10}, {0, 0x12}, {5, 0x12},
	} {
		s := Status{Offline: true, have: 1 << StatusPrinter}
		before := s
		if err := s.Parse(tc.kind, tc.reply); !errors.Is(err, ErrBadStatus) {
			t.Errorf("Parse(%d, %#x) = %v, want ErrBadStatus", tc.kind, tc.reply, err)
		}
		if s != before {
			t.Errorf("Parse(%d, %#x) changed the status", tc.kind, tc.reply)
		}
	}
}

func TestStatusErr(t *testing.T) {
	parse := func(replies ...byte) Status {
		var s Status
		for i, b := range replies {
			if err := s.Parse(StatusKind(i+1), b); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	tests := []struct {
		name   string
		status Status
		want   []error
		not    []error
	}{
		{"ready", parse(0x12, 0x12, 0x12, 0x12), nil, []error{ErrOffline}},
		{"near end is not an error", parse(0x12, 0x12, 0x12, 0x1e), nil, nil},
		{"cover open", parse(0x1a, 0x16, 0x12, 0x12), []error{ErrCoverOpen, ErrOffline}, []error{ErrPaperOut}},
		{"paper out", parse(0x1a, 0x32, 0x12, 0x72), []error{ErrPaperOut, ErrOffline}, []error{ErrCoverOpen}},
		{"cutter jam", parse(0x1a, 0x52, 0x1a, 0x12), []error{ErrCutter, ErrOffline}, []error{ErrPrinterError}},
		{"overheated", parse(0x1a, 0x52, 0x52, 0x12), []error{ErrPrinterError, ErrOffline}, nil},
		{"offline without cause", parse(0x1a), []error{ErrOffline}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.status.Err()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Err = %v, want nil", err)
				}
				return
			}
			var nr *NotReadyError
			if !errors.As(err, &nr) || nr.Status != tc.status {
				t.Fatalf("Err = %v, want a *NotReadyError", err)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("%v is not %v", err, w)
				}
			}
			for _, n := range tc.not {
				if errors.Is(err, n) {
					t.Errorf("%v is %v", err, n)
				}
			}
		})
	}
	if got := parse(0x1a, 0x36).Err().Error(); got != "printer not ready: cover open, paper out, printer offline" {
		t.Errorf("message %q", got)
	}
}

func TestStatusOnlineAndDrawer(t *testing.T) {
	var s Status
	if s.Online() || s.DrawerOpen(DrawerOpenLow) || s.DrawerOpen(DrawerOpenHigh) {
		t.Error("an unparsed status claims online or drawer open")
	}
	s, _ = ParseStatus(StatusPrinter, 0x12) // pin 3 low
	if !s.Online() || !s.DrawerOpen(DrawerOpenLow) || s.DrawerOpen(DrawerOpenHigh) {
		t.Errorf("pin 3 low: %+v", s)
	}
	s, _ = ParseStatus(StatusPrinter, 0x16) // pin 3 high
	if s.DrawerOpen(DrawerOpenLow) || !s.DrawerOpen(DrawerOpenHigh) {
		t.Errorf("pin 3 high: %+v", s)
	}
}

// fakePrinter answers DLE EOT n on conn with replies[n], or stays silent
// when replies lacks n. It stops at EOF.
func fakePrinter(conn io.ReadWriter, replies map[byte]byte) {
	var req [3]byte
	for {
		if _, err := io.ReadFull(conn, req[:]); err != nil {
			return
		}
		if req[0] != 0x10 || req[1] != 0x04 {
			return
		}
		if b, ok := replies[req[2]]; ok {
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
		}
	}
}

// tcpPair returns a connected client and server over loopback TCP.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
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

func TestQueryStatusTCP(t *testing.T) {
	client, server := tcpPair(t)
	go fakePrinter(server, map[byte]byte{1: 0x1a, 2: 0x32, 3: 0x12, 4: 0x72})
	s, err := QueryStatus(client, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := Status{Offline: true, PaperEndStop: true, PaperOut: true, have: 0x1e}
	if s != want {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
	if !errors.Is(s.Err(), ErrPaperOut) {
		t.Errorf("Err = %v", s.Err())
	}
	// The deadline is cleared afterwards.
	if err := client.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func TestQueryStatusSilentPrinter(t *testing.T) {
	client, server := tcpPair(t)
	go fakePrinter(server, map[byte]byte{1: 0x12}) // answers only DLE EOT 1
	start := time.Now()
	s, err := QueryStatus(client, 100*time.Millisecond, StatusPrinter, StatusOffline)
	if !errors.Is(err, ErrNoReply) {
		t.Fatalf("err = %v, want ErrNoReply", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if !s.Online() || s.Has(StatusOffline) {
		t.Errorf("partial status %+v", s)
	}
}

func TestQueryStatusGarbage(t *testing.T) {
	client, server := tcpPair(t)
	go fakePrinter(server, map[byte]byte{1: 0x00})
	if _, err := QueryStatus(client, time.Second, StatusPrinter); !errors.Is(err, ErrBadStatus) {
		t.Fatalf("err = %v, want ErrBadStatus", err)
	}
}

func TestQueryStatusClosed(t *testing.T) {
	client, server := tcpPair(t)
	server.Close()
	_, err := QueryStatus(client, time.Second, StatusPrinter)
	if err == nil || errors.Is(err, ErrNoReply) {
		t.Fatalf("err = %v, want a read or write error", err)
	}
}

func TestQueryStatusNeedsTimeouts(t *testing.T) {
	var rw struct {
		bytes.Buffer
	}
	if _, err := QueryStatus(&rw, time.Second); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
	if rw.Len() != 0 {
		t.Errorf("sent % x to a connection it cannot time out on", rw.Bytes())
	}
}

// TestQueryStatusSerial runs the query over a socat pseudo-terminal pair
// opened with go.bug.st/serial, whose timed-out reads return (0, nil).
func TestQueryStatusSerial(t *testing.T) {
	dir := t.TempDir()
	host, printer := filepath.Join(dir, "host"), filepath.Join(dir, "printer")
	testkit.SocatAt(t, host, printer)
	dev, err := os.OpenFile(printer, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	go fakePrinter(dev, map[byte]byte{1: 0x12, 2: 0x16, 3: 0x12}) // cover open; silent on 4

	port, err := serial.Open(host, &serial.Mode{BaudRate: 38400})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	s, err := QueryStatus(port, 2*time.Second, StatusPrinter, StatusOffline, StatusError)
	if err != nil {
		t.Fatal(err)
	}
	if !s.CoverOpen || !errors.Is(s.Err(), ErrCoverOpen) {
		t.Errorf("status %+v", s)
	}
	if _, err := QueryStatus(port, 200*time.Millisecond, StatusPaper); !errors.Is(err, ErrNoReply) {
		t.Errorf("silent kind: err = %v, want ErrNoReply", err)
	}
}
