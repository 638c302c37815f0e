package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
)

// tillReceipt is what a till prints for receipt n.
func tillReceipt(n string) []byte {
	return []byte("\x1b@\x1ba\x01CORNER CAFE\n\x1ba\x00Receipt " + n + "\n03.12.2026 10:15\n" +
		"Flat white          3.50\nTOTAL               3.50\nCash                5.00\nChange              1.50\n\n\n\x1dV\x42\x00")
}

// printReceipt is one print from a till: connect, send, half-close, and
// wait for aura-edge to close. ok is the till's acknowledgement: the
// connection closed cleanly after everything was sent.
func printReceipt(addr string, r []byte) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	if _, err := c.Write(r); err != nil {
		return false
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	_, err = io.Copy(io.Discard, c)
	return err == nil
}

// TestTerminalCaptureSurvivesKill9: tills print through the real binary
// while it is killed with SIGKILL at random moments and restarted. A till
// prints again what it could not finish, and reprints (the same bytes) some
// receipts it did finish. Every receipt a till saw finished reaches the
// cloud, and no receipt is captured twice (one receipt event id per
// receipt; redeliveries of that id are at-least-once delivery).
func TestTerminalCaptureSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	printer := printertest.Start(t)
	broker := cloudtest.StartMochi(t)
	const storeID = "till-crash"
	topic := "aura/v1/stores/" + storeID + "/events/orders"
	sub := cloudtest.Subscribe(t, broker.URL(), topic, cloudtest.SubscriberOptions{})
	addr, tillAddr := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`store_id: %s
data_dir: %s
api:
  listen: %s
cloud:
  broker: %s
  reconnect_max: 2s
printers:
  - name: front
    connection: %s
terminals:
  - name: till1
    listen: tcp://%s
    printer: front
    idle_cut: 1s
log:
  level: warn
`, storeID, t.TempDir(), addr, broker.URL(), printer.URL(), tillAddr))

	var (
		mu               sync.Mutex
		acked            = map[string]bool{} // digests of receipts a till saw finished
		unfinished       []string            // receipt numbers to print again
		all              = map[string]bool{} // every receipt number a till tried
		prints, reprints int
	)
	digest := func(n string) string {
		s := sha256.Sum256(tillReceipt(n))
		return hex.EncodeToString(s[:])
	}
	const rounds, tills = 3, 4
	for round := 0; round <= rounds; round++ {
		cmd, logs := startDaemon(t, cfg, addr)
		waitTill := time.Now().Add(10 * time.Second)
		for !printReady(tillAddr) {
			if time.Now().After(waitTill) {
				t.Fatalf("terminal port not listening; logs:\n%s", logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if round == rounds {
			defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
			break
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for p := range tills {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					n := fmt.Sprintf("R%d-T%d-%04d", round, p, i)
					mu.Lock()
					if len(unfinished) > 0 {
						n, unfinished = unfinished[0], unfinished[1:]
					} else if i > 0 && rand.IntN(5) == 0 {
						// A reprint of this till's previous receipt: the
						// same bytes again.
						n = fmt.Sprintf("R%d-T%d-%04d", round, p, i-1)
						reprints++
					}
					prints++
					all[n] = true
					mu.Unlock()
					ok := printReceipt(tillAddr, tillReceipt(n))
					mu.Lock()
					if ok {
						acked[digest(n)] = true
					} else {
						unfinished = append(unfinished, n)
					}
					mu.Unlock()
				}
			})
		}
		time.Sleep(time.Duration(400+rand.IntN(800)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		close(stop)
		wg.Wait()
		if strings.Contains(logs.String(), "panic") {
			t.Fatalf("daemon panicked:\n%s", logs)
		}
	}

	// Receipt events in the cloud: event ids per raw digest.
	ids := func() map[string]map[string]bool {
		out := map[string]map[string]bool{}
		for _, env := range sub.Envelopes(topic) {
			if env.Type != "com.auraconnect.edge.terminal.receipt" {
				continue
			}
			var d struct {
				RawSHA256 string `json:"raw_sha256"`
			}
			if err := json.Unmarshal(env.Data, &d); err != nil {
				t.Fatal(err)
			}
			if out[d.RawSHA256] == nil {
				out[d.RawSHA256] = map[string]bool{}
			}
			out[d.RawSHA256][env.ID] = true
		}
		return out
	}
	missing := func() int {
		got := ids()
		n := 0
		for d := range acked {
			if len(got[d]) == 0 {
				n++
			}
		}
		return n
	}
	// What the kills cost before the tills print again: receipts whose
	// connection closed cleanly (which a kill -9 also does) but whose
	// capture had not committed yet.
	settle(sub, topic)
	lost := missing()
	// The tills print again everything they tried (a till replays its
	// journal after an outage): nothing may be captured twice.
	for n := range all {
		if !printReceipt(tillAddr, tillReceipt(n)) {
			t.Fatalf("receipt %s not printed on the final run", n)
		}
		acked[digest(n)] = true
	}
	deadline := time.Now().Add(60 * time.Second)
	for missing() > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if n := missing(); n > 0 {
		t.Fatalf("%d of %d receipts never reached the cloud", n, len(acked))
	}
	for d, evs := range ids() {
		if len(evs) > 1 {
			t.Fatalf("receipt %s captured %d times", d[:12], len(evs))
		}
	}
	if len(acked) < rounds*10 {
		t.Fatalf("only %d receipts finished: the test did not exercise much", len(acked))
	}
	_, dups := sub.UniqueIDs(topic)
	msg := fmt.Sprintf("terminal crash test: %d rounds of kill -9, %d prints (%d reprints), %d distinct receipts, %d of them seen finished by the till but lost in the kills until printed again, all in the cloud exactly once after the replay, %d duplicate deliveries of one event id",
		rounds, prints, reprints, len(all), lost, dups)
	t.Log(msg)
	fmt.Fprintln(os.Stderr, msg)
}

// settle waits until no new message has arrived for 2 s (at most 30 s).
func settle(sub *cloudtest.Subscriber, topic string) {
	last, since := -1, time.Now()
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(100 * time.Millisecond) {
		if n := len(sub.Messages(topic)); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > 2*time.Second {
			return
		}
	}
}

func printReady(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
