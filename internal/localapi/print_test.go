package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/localapi/openapi/openapitest"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/receipt"
	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/store"
)

const printOrderJSON = `{
  "source": {"vendor": "local", "external_id": "T9-0042", "version": "1"},
  "state": "completed",
  "currency": "EUR",
  "created_at": "2026-11-23T09:30:00Z",
  "reference": "42",
  "line_items": [
    {"id": "li1", "name": "Café crème", "quantity": 2, "unit_price": {"amount": 380, "currency": "EUR"},
     "modifiers": [{"name": "Hafermilch", "quantity": 1, "unit_price": {"amount": 50, "currency": "EUR"}}]},
    {"id": "li2", "name": "Jalapeño-Toast", "quantity": 1, "unit_price": {"amount": 750, "currency": "EUR"}}
  ],
  "taxes": [{"name": "MwSt", "percentage": "19", "inclusive": true, "amount": {"amount": 257, "currency": "EUR"}}],
  "totals": {
    "subtotal": {"amount": 1610, "currency": "EUR"},
    "tax": {"amount": 257, "currency": "EUR"},
    "inclusive_tax": {"amount": 257, "currency": "EUR"},
    "total": {"amount": 1610, "currency": "EUR"}
  }
}`

type printRig struct {
	srv     *httptest.Server
	printer *printertest.Printer
	sp      *spool.Spool
}

// newPrintRig serves the capture and print routes over real HTTP, with a
// running spool printing to a stand-in TCP printer.
func newPrintRig(t *testing.T) *printRig {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.DiscardHandler)
	ob, err := outbox.Open(db, outbox.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	in := ingest.New(db, ob, log)
	pr := printertest.Start(t)
	sp, err := spool.New(db, "store-1", []spool.Printer{{Name: "front", Connection: pr.URL(), Profile: "TM-T88V"}},
		receipt.Settings{Header: []string{"Café Grün"}, Locale: "de-DE"},
		spool.Options{Logger: log, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, StatusInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { sp.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	s := New(Config{}, log, nil, nil)
	CaptureRoutes(s, in, log)
	PrintRoutes(s, sp, PrintDeps{Order: in.Order, NotFound: func(err error) bool { return errors.Is(err, ingest.ErrNotFound) }, Log: log})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &printRig{srv: srv, printer: pr, sp: sp}
}

func (r *printRig) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, r.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	// Every exchange is checked against the OpenAPI document.
	resp, err := openapitest.New(t).Client(t, nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s %s: answer %d is not JSON: %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

func (r *printRig) waitState(t *testing.T, id, state string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, m := r.do(t, "GET", "/v1/print/jobs/"+id, "")
		if code == http.StatusOK && m["job"].(map[string]any)["state"] == state {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s did not reach %s: %d %v", id, state, code, m)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func printBody(fields map[string]any) string {
	b, _ := json.Marshal(fields)
	return string(b)
}

func TestPrintRoutes(t *testing.T) {
	r := newPrintRig(t)

	// An order in the request.
	body := `{"printer": "front", "kind": "receipt", "job_id": "cmd-1", "order": ` + printOrderJSON + `}`
	code, m := r.do(t, "POST", "/v1/print", body)
	if code != http.StatusAccepted || m["job_id"] != "cmd-1" || m["state"] != "queued" || m["printer"] != "front" {
		t.Fatalf("POST /v1/print: %d %v", code, m)
	}
	job := r.waitState(t, "cmd-1", "printed")
	if pv, _ := job["preview"].(string); !strings.Contains(pv, "Café crème") || !strings.Contains(pv, "16,10 €") {
		t.Errorf("preview:\n%s", pv)
	}
	// The same job id again prints nothing new.
	code, m = r.do(t, "POST", "/v1/print", body)
	if code != http.StatusAccepted || m["duplicate"] != true || m["state"] != "printed" {
		t.Fatalf("repeated POST: %d %v", code, m)
	}

	// A captured order by id.
	code, m = r.do(t, "POST", "/v1/orders", printOrderJSON)
	if code != http.StatusAccepted {
		t.Fatalf("capture: %d %v", code, m)
	}
	orderID := m["id"].(string)
	code, m = r.do(t, "POST", "/v1/print", printBody(map[string]any{"printer": "front", "kind": "kitchen", "order_id": orderID}))
	if code != http.StatusAccepted || m["kind"] != "kitchen" {
		t.Fatalf("print by order_id: %d %v", code, m)
	}
	kitchenID := m["job_id"].(string)
	r.waitState(t, kitchenID, "printed")

	// A test page.
	code, m = r.do(t, "POST", "/v1/print", `{"printer": "front", "kind": "test"}`)
	if code != http.StatusAccepted {
		t.Fatalf("test page: %d %v", code, m)
	}
	r.waitState(t, m["job_id"].(string), "printed")

	// Reprint, with and without a body.
	code, m = r.do(t, "POST", "/v1/print/cmd-1/reprint", "")
	if code != http.StatusAccepted || m["reprint_of"] != "cmd-1" {
		t.Fatalf("reprint: %d %v", code, m)
	}
	re := r.waitState(t, m["job_id"].(string), "printed")
	if !strings.Contains(re["preview"].(string), "REPRINT") {
		t.Error("reprint has no banner")
	}
	code, m = r.do(t, "POST", "/v1/print/cmd-1/reprint", `{"job_id": "cmd-1-again"}`)
	if code != http.StatusAccepted || m["job_id"] != "cmd-1-again" {
		t.Fatalf("reprint with id: %d %v", code, m)
	}
	r.waitState(t, "cmd-1-again", "printed")

	if jobs, err := r.printer.WaitJobs(5, 5*time.Second); err != nil || len(jobs) != 5 {
		t.Fatalf("printer received %d jobs: %v", len(jobs), err)
	}

	// Listing.
	code, m = r.do(t, "GET", "/v1/print/jobs?printer=front&state=printed&limit=2", "")
	if code != http.StatusOK || len(m["jobs"].([]any)) != 2 {
		t.Fatalf("jobs: %d %v", code, m)
	}
	// The order sent inline has the same source, so the same Aura id:
	// receipt, kitchen ticket and two reprints.
	code, m = r.do(t, "GET", "/v1/print/jobs?order_id="+orderID, "")
	if code != http.StatusOK || len(m["jobs"].([]any)) != 4 {
		t.Fatalf("jobs by order: %d %v", code, m)
	}
	code, m = r.do(t, "GET", "/v1/printers", "")
	ps, _ := m["printers"].([]any)
	if code != http.StatusOK || len(ps) != 1 {
		t.Fatalf("printers: %d %v", code, m)
	}
	if p := ps[0].(map[string]any); p["name"] != "front" || p["state"] != "online" || p["queue_depth"] != 0.0 || p["profile"] != "TM-T88V" {
		t.Errorf("printer = %v", p)
	}
}

func TestPrintBadInput(t *testing.T) {
	r := newPrintRig(t)
	invalid := strings.Replace(printOrderJSON, `"total": {"amount": 1610`, `"total": {"amount": 1611`, 1)
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"unknown printer", "POST", "/v1/print", `{"printer": "nope", "kind": "test"}`, 400, "unknown_printer", "printer"},
		{"missing printer", "POST", "/v1/print", `{"kind": "test"}`, 400, "missing_printer", "printer"},
		{"missing kind", "POST", "/v1/print", `{"printer": "front"}`, 400, "missing_kind", "kind"},
		{"bad kind", "POST", "/v1/print", `{"printer": "front", "kind": "raw"}`, 400, "bad_kind", "kind"},
		{"missing order", "POST", "/v1/print", `{"printer": "front", "kind": "receipt"}`, 400, "missing_order", "order"},
		{"unknown order id", "POST", "/v1/print", `{"printer": "front", "kind": "receipt", "order_id": "ord_nope"}`, 400, "unknown_order", "order_id"},
		{"both", "POST", "/v1/print", `{"printer": "front", "kind": "receipt", "order_id": "x", "order": ` + printOrderJSON + `}`, 400, "bad_request", "order_id"},
		{"invalid order", "POST", "/v1/print", `{"printer": "front", "kind": "receipt", "order": ` + invalid + `}`, 400, "invalid", "order.totals.total.amount"},
		{"bad job id", "POST", "/v1/print", `{"printer": "front", "kind": "test", "job_id": "a b"}`, 400, "bad_job_id", "job_id"},
		{"unknown field", "POST", "/v1/print", `{"printer": "front", "kind": "test", "copies": 2}`, 400, "unknown_field", "copies"},
		{"malformed", "POST", "/v1/print", `{"printer": `, 400, "bad_json", ""},
		{"reprint unknown", "POST", "/v1/print/nope/reprint", "", 404, "unknown_job", ""},
		{"job unknown", "GET", "/v1/print/jobs/nope", "", 404, "unknown_job", ""},
		{"copy, nothing printed", "POST", "/v1/print/reprint-last", `{"printer": "front"}`, 404, "nothing_to_reprint", ""},
		{"copy, missing printer", "POST", "/v1/print/reprint-last", `{}`, 400, "missing_printer", "printer"},
		{"copy, unknown printer", "POST", "/v1/print/reprint-last", `{"printer": "nope"}`, 400, "unknown_printer", "printer"},
		{"copy, bad kind", "POST", "/v1/print/reprint-last", `{"printer": "front", "kind": "test"}`, 400, "bad_kind", "kind"},
		{"order copy, missing order", "POST", "/v1/print/reprint-order", `{"kind": "receipt"}`, 400, "missing_order", "order_id"},
		{"order copy, missing kind", "POST", "/v1/print/reprint-order", `{"order_id": "ord_x"}`, 400, "missing_kind", "kind"},
		{"order copy, nothing printed", "POST", "/v1/print/reprint-order", `{"order_id": "ord_x", "kind": "kitchen"}`, 404, "nothing_to_reprint", ""},
		{"order copy, bad job id", "POST", "/v1/print/reprint-order", `{"order_id": "ord_x", "kind": "receipt", "job_id": "a b"}`, 400, "bad_job_id", "job_id"},
		{"bad state", "GET", "/v1/print/jobs?state=lost", "", 400, "bad_query", "state"},
		{"bad limit", "GET", "/v1/print/jobs?limit=0", "", 400, "bad_query", "limit"},
		{"jobs unknown printer", "GET", "/v1/print/jobs?printer=nope", "", 400, "unknown_printer", "printer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, m := r.do(t, c.method, c.path, c.body)
			e := m
			if code != c.status || e == nil || e["code"] != c.code || e["detail"] == "" {
				t.Fatalf("%d %v, want %d %s", code, m, c.status, c.code)
			}
			if f, _ := e["field"].(string); f != c.field {
				t.Errorf("field = %q, want %q", f, c.field)
			}
		})
	}
	// Nothing was queued, and the queue still prints.
	if jobs, _ := r.sp.Jobs(spool.Filter{}); len(jobs) != 0 {
		t.Fatalf("bad requests queued %d jobs", len(jobs))
	}
	code, m := r.do(t, "POST", "/v1/print", `{"printer": "front", "kind": "test"}`)
	if code != http.StatusAccepted {
		t.Fatalf("%d %v", code, m)
	}
	r.waitState(t, m["job_id"].(string), "printed")
	// The stand-in records a job when it has read the cut, which may be a
	// moment after the spool saw the write complete: wait for it.
	if _, err := r.printer.WaitJobs(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := len(r.printer.Jobs()); n != 1 {
		t.Errorf("printer received %d jobs", n)
	}
}

func TestPrintProblemsListed(t *testing.T) {
	r := newPrintRig(t)
	bad := strings.Replace(printOrderJSON, `"currency": "EUR",`, `"currency": "EURO",`, 1)
	code, m := r.do(t, "POST", "/v1/print", `{"printer": "front", "kind": "kitchen", "order": `+bad+`}`)
	e := m
	ps, _ := e["errors"].([]any)
	if code != 400 || len(ps) == 0 || !bytes.Contains([]byte(e["detail"].(string)), []byte("currency")) {
		t.Fatalf("%d %v", code, m)
	}
}

// TestStaffCopyRoutes: POST /v1/print/reprint-last and
// /v1/print/reprint-order queue COPY-bannered copies (checked against the
// OpenAPI document like every exchange here).
func TestStaffCopyRoutes(t *testing.T) {
	r := newPrintRig(t)
	code, m := r.do(t, "POST", "/v1/orders", printOrderJSON)
	if code != http.StatusAccepted {
		t.Fatalf("capture: %d %v", code, m)
	}
	orderID := m["id"].(string)
	for _, kind := range []string{"receipt", "kitchen"} {
		code, m = r.do(t, "POST", "/v1/print", printBody(map[string]any{"printer": "front", "kind": kind, "order_id": orderID, "job_id": kind + "-1"}))
		if code != http.StatusAccepted {
			t.Fatalf("print %s: %d %v", kind, code, m)
		}
	}
	code, m = r.do(t, "POST", "/v1/print/reprint-last", `{"printer": "front", "job_id": "copy-last"}`)
	if code != http.StatusAccepted || m["reprint_of"] != "receipt-1" || m["kind"] != "receipt" {
		t.Fatalf("reprint-last: %d %v", code, m)
	}
	if pv := r.waitState(t, "copy-last", "printed")["preview"].(string); !strings.Contains(pv, "COPY") || !strings.Contains(pv, "Café crème") {
		t.Errorf("copy of the last receipt:\n%s", pv)
	}
	code, m = r.do(t, "POST", "/v1/print/reprint-order", printBody(map[string]any{"order_id": orderID, "kind": "kitchen", "printer": "front"}))
	jobs, _ := m["jobs"].([]any)
	if code != http.StatusAccepted || len(jobs) != 1 || jobs[0].(map[string]any)["reprint_of"] != "kitchen-1" {
		t.Fatalf("reprint-order: %d %v", code, m)
	}
	if pv := r.waitState(t, jobs[0].(map[string]any)["job_id"].(string), "printed")["preview"].(string); !strings.Contains(pv, "COPY") {
		t.Errorf("copy of the kitchen ticket has no COPY banner:\n%s", pv)
	}
}
