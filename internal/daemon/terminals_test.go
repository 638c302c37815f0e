package daemon

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/terminal"
)

// A till printing through the daemon: the printer gets the bytes, the
// receipt is counted in /v1/terminals, /v1/status and /metrics, and the
// captured sale is not printed again by auto_print.
func TestTerminalThroughDaemon(t *testing.T) {
	p := printertest.Start(t)
	d, logs := startDaemon(t, func(c *config.Config) {
		c.Printers = []config.Printer{{Name: "front", Connection: p.URL(), AutoPrint: "customer"}}
		c.Terminals = []config.Terminal{{Name: "till1", Listen: "tcp://127.0.0.1:0", Printer: "front", IdleCut: time.Second}}
	})
	c := d.Core()
	select {
	case <-c.Terminals.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("terminals not ready")
	}
	till, err := net.Dial("tcp", c.Terminals.Addr("till1").String())
	if err != nil {
		t.Fatal(err)
	}
	defer till.Close()
	receipt := []byte("\x1b@CORNER CAFE\nReceipt 4711\n03.12.2026 10:15\nCappuccino          3,50\nSUMME EUR           3,50\nBAR                 5,00\nRueckgeld           1,50\n\n\x1dV\x42\x00")
	till.Write(receipt)
	till.(*net.TCPConn).CloseWrite()
	jobs, err := p.WaitJobs(1, 10*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	if !bytes.Equal(jobs[0], receipt) {
		t.Fatalf("printer got %q", jobs[0])
	}
	var st struct{ Terminals []terminal.Status }
	admin := adminToken(t, d)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := request(t, "GET", "http://"+d.APIAddr().String()+"/v1/terminals", admin, nil)
		if code != 200 {
			t.Fatalf("GET /v1/terminals: %d %s", code, body)
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Terminals) == 1 && st.Terminals[0].Receipts == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no capture counted: %s\n%s", body, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(d.Status().Terminals) == 0 {
		t.Fatal("/v1/status has no terminals")
	}
	_, metrics := request(t, "GET", "http://"+d.APIAddr().String()+"/metrics", admin, nil)
	if !strings.Contains(metrics, `aura_terminal_events_total{terminal="till1",what="receipts"} 1`) {
		t.Fatalf("metrics lack the terminal's receipts:\n%s", metrics)
	}
	// Give an auto-print (which must not happen) the time to queue.
	time.Sleep(200 * time.Millisecond)
	if n := len(p.Jobs()); n != 1 {
		t.Fatalf("printer has %d jobs: a till's sale was printed again", n)
	}
}

func adminToken(t *testing.T, d *Daemon) string {
	t.Helper()
	tok, _, err := auth.Create(d.Core().DB, auth.Admin, "test-admin-"+t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
