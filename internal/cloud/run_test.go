package cloud

import (
	"context"
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
)

// TestRunStops cancels Run while it backs off, while a broker that never
// answers holds the handshake, and while connected: Run returns nil
// quickly every time and leaves no goroutines behind.
func TestRunStops(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept, never answer
		}
	}()
	free, _ := cloudtest.FreePort()
	mochi := cloudtest.StartMochi(t)
	for _, tc := range []struct{ name, url string }{
		{"unreachable", "tcp://127.0.0.1:" + strconv.Itoa(free)},
		{"silent broker", "tcp://" + silent.Addr().String()},
		{"connected", mochi.URL()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			cfg := testConfig(tc.url)
			cfg.ConnectTimeout = 30 * time.Second // cancel must not wait for it
			e := newEnv(t, cfg, nil)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- e.c.Run(ctx) }()
			time.Sleep(300 * time.Millisecond)
			if err := e.c.Run(ctx); err != ErrAlreadyRunning {
				t.Errorf("second Run: %v", err)
			}
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run returned %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return")
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Run took %s to stop", d)
			}
			if s := e.c.State(); s.State != StateStopped || s.Connected {
				t.Errorf("state after stop: %+v", s)
			}
			waitUntil(t, 5*time.Second, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before+1 })
		})
	}
}
