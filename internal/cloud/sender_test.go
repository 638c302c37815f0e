package cloud

import (
	"errors"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/outbox"
)

// testToken is a paho.Token the test completes, to reproduce paho's trap:
// tokens that complete without error although no PUBACK arrived (paho does
// this around reconnects).
type testToken struct {
	ch  chan struct{}
	err error
}

func newTestToken() *testToken  { return &testToken{ch: make(chan struct{})} }
func (k *testToken) Wait() bool { <-k.ch; return true }
func (k *testToken) WaitTimeout(d time.Duration) bool {
	select {
	case <-k.ch:
		return true
	case <-time.After(d):
		return false
	}
}
func (k *testToken) Done() <-chan struct{} { return k.ch }
func (k *testToken) Error() error          { return k.err }

// TestSuccessOnlyOnSameConnection feeds the waiter tokens that report
// success after their connection is gone: only the row acknowledged while
// its connection was current is deleted.
func TestSuccessOnlyOnSameConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		gone func(e *env, cn *conn) // makes the connection stale
	}{
		{"connection lost", func(e *env, cn *conn) { cn.markLost(ErrConnectionLost) }},
		{"newer generation", func(e *env, cn *conn) { e.c.gen.Add(1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{Broker: "tcp://127.0.0.1:1"}, nil)
			e.appendN(outbox.Orders, 3, "stale")
			rows, err := e.ob.Peek(outbox.Orders, 0, 10)
			if err != nil || len(rows) != 3 {
				t.Fatal(rows, err)
			}
			cn := newConn(e.c.gen.Add(1))
			s := &sender{c: e.c, cn: cn, slots: make(chan struct{}, 4), room: make(chan struct{}, 4), flights: make(chan flight, 4), failed: make(chan struct{})}
			s.book = newBook(e.ob, e.c.log, e.c.now, s.room, s.fail, &e.c.delivered)
			bookDone := make(chan struct{})
			go func() { defer close(bookDone); s.book.run() }()
			toks := []*testToken{newTestToken(), newTestToken(), newTestToken()}
			for i, tok := range toks {
				s.room <- struct{}{}
				s.slots <- struct{}{}
				s.flights <- flight{stream: outbox.Orders, seq: rows[i].Seq, tok: tok, buf: new([]byte)}
			}
			close(s.flights)
			abort := make(chan struct{})
			waitDone := make(chan struct{})
			close(toks[0].ch) // a real PUBACK on the live connection
			go func() { defer close(waitDone); s.wait(abort) }()
			waitUntil(t, 5*time.Second, "first row deleted", func() bool { return e.depth(outbox.Orders) == 2 })
			tc.gone(e, cn)
			close(toks[1].ch) // "success" reported after the connection went stale
			<-waitDone
			s.book.close()
			<-bookDone

			if !errors.Is(s.err, ErrStaleAck) && !errors.Is(s.err, ErrConnectionLost) {
				t.Errorf("sender error %v", s.err)
			}
			left, _ := e.ob.Peek(outbox.Orders, 0, 10)
			if len(left) != 2 || left[0].Seq != rows[1].Seq || left[1].Seq != rows[2].Seq {
				t.Fatalf("rows left %+v", left)
			}
			for _, r := range left {
				if r.Attempts != 1 {
					t.Errorf("seq %d attempts %d, want 1", r.Seq, r.Attempts)
				}
			}
		})
	}
}
