package daemon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/store"
)

// notifySocket listens where the daemon's sd_notify messages go, as
// systemd's NOTIFY_SOCKET does, and returns a function that waits for the
// next message containing want.
func notifySocket(t *testing.T) func(want string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return func(want string) string {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		buf := make([]byte, 4096)
		for {
			conn.SetReadDeadline(deadline)
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("waiting for %q on NOTIFY_SOCKET: %v", want, err)
			}
			if msg := string(buf[:n]); strings.Contains(msg, want) {
				return msg
			}
		}
	}
}

func TestSystemdNotify(t *testing.T) {
	next := notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "200000") // ping every 100 ms
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	d, _, stop := startDaemonStop(t, nil)

	msg := next("READY=1")
	if !strings.Contains(msg, "STATUS=ready: store test-store") {
		t.Errorf("READY message %q lacks the status line", msg)
	}
	// READY means the API listens.
	c, err := net.DialTimeout("tcp", d.APIAddr().String(), 5*time.Second)
	if err != nil {
		t.Fatalf("READY sent but the API does not accept connections: %v", err)
	}
	c.Close()
	for range 3 {
		next("WATCHDOG=1")
	}
	stop()
	next("STOPPING=1")
}

func TestWatchdogWithheldWhenStoreIsDead(t *testing.T) {
	d, _ := startDaemon(t, nil)
	c := d.Core()
	lv := &liveness{}
	if err := lv.check(context.Background(), c, time.Now(), time.Second); err != nil {
		t.Fatalf("live daemon judged dead: %v", err)
	}
	// A second handle on the same core with its store closed under it: the
	// write transaction fails, so the watchdog must not vouch.
	dead := *c
	dead.DB = openClosedStore(t)
	if err := lv.check(context.Background(), &dead, time.Now(), time.Second); err == nil || !strings.Contains(err.Error(), "store write failed") {
		t.Fatalf("closed store: got %v, want a store write failure", err)
	}
}

func openClosedStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestWatchdogOutboxProgress(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		after     time.Duration
		depth     int
		connected bool
		delivered uint64
		live      bool
	}{
		{0, 10, true, 5, true},                          // first look
		{StallAfter / 2, 10, true, 5, true},             // no delivery yet, within the limit
		{StallAfter + time.Second, 10, true, 5, false},  // backlog, connected, nothing delivered: stalled
		{StallAfter + 2*time.Second, 10, true, 6, true}, // one delivery: live again
		{3 * StallAfter, 10, false, 6, true},            // offline: waiting is not a hang
		{5 * StallAfter, 0, true, 6, true},              // empty: idle
	}
	lv := &liveness{}
	for i, s := range steps {
		err := lv.progressed(t0.Add(s.after), s.depth, s.connected, s.delivered)
		if (err == nil) != s.live {
			t.Fatalf("step %d: err %v, want live=%v", i, err, s.live)
		}
	}
}
