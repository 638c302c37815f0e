package localapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/localapi/openapi/openapitest"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

type rig struct {
	srv *httptest.Server
	ob  *outbox.Outbox
	db  *store.DB
}

func newRig(t testing.TB, oc outbox.Config) *rig {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.DiscardHandler)
	ob, err := outbox.Open(db, oc, log)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{}, log, nil, nil)
	CaptureRoutes(s, ingest.New(db, ob, log), log)
	QueueRoutes(s, ob, nil)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &rig{srv: srv, ob: ob, db: db}
}

func (r *rig) post(t *testing.T, path, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	// Every exchange is checked against the OpenAPI document.
	resp, err := openapitest.New(t).Client(t, nil).Post(r.srv.URL+path, ctype, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("response %d is not JSON: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

func sampleOrder(t *testing.T) []byte {
	b, err := os.ReadFile("testdata/order.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func depth(ob *outbox.Outbox, s outbox.Stream) int {
	for _, st := range ob.Stats() {
		if st.Stream == s {
			return st.Depth
		}
	}
	return -1
}

func TestCaptureOrder(t *testing.T) {
	r := newRig(t, outbox.Config{})
	order := sampleOrder(t)
	code, body := r.post(t, "/v1/orders", "application/json", order)
	if code != http.StatusAccepted || body["status"] != "buffered" || !strings.HasPrefix(body["id"].(string), "ord_") {
		t.Fatalf("first post: %d %v", code, body)
	}
	id := body["id"]
	// The same revision again: no second event.
	code, body = r.post(t, "/v1/orders", "application/json", order)
	if code != http.StatusAccepted || body["status"] != "duplicate" || body["id"] != id {
		t.Fatalf("resubmit: %d %v", code, body)
	}
	// A new revision of the same order is a new event with the same id and the next sequence.
	rev2 := bytes.Replace(order, []byte(`"version": "1"`), []byte(`"version": "2"`), 1)
	code, body = r.post(t, "/v1/orders", "application/json", rev2)
	if code != http.StatusAccepted || body["status"] != "buffered" || body["id"] != id || body["sequence"].(float64) != 2 {
		t.Fatalf("revision 2: %d %v", code, body)
	}
	if d := depth(r.ob, outbox.Orders); d != 2 {
		t.Fatalf("outbox depth %d, want 2", d)
	}
}

func TestCaptureArray(t *testing.T) {
	r := newRig(t, outbox.Config{})
	o1 := sampleOrder(t)
	o2 := bytes.Replace(o1, []byte("T1-0001"), []byte("T1-0002"), 1)
	code, body := r.post(t, "/v1/orders", "application/json", []byte("["+string(o1)+","+string(o2)+"]"))
	if code != http.StatusAccepted || len(body["results"].([]any)) != 2 {
		t.Fatalf("%d %v", code, body)
	}
	pay := `{"source":{"vendor":"local","external_id":"P1"},"method":"card","amount":{"amount":1485,"currency":"USD"},
	  "tip":{"amount":200,"currency":"USD"},"card_brand":"VISA","last4":"4242","status":"completed","created_at":"2026-11-23T09:31:00Z"}`
	code, body = r.post(t, "/v1/payments", "application/json", []byte(pay))
	if code != http.StatusAccepted || body["status"] != "buffered" {
		t.Fatalf("payment: %d %v", code, body)
	}
}

func TestCaptureBadInput(t *testing.T) {
	r := newRig(t, outbox.Config{})
	order := sampleOrder(t)
	neg := bytes.Replace(order, []byte(`"amount": 325`), []byte(`"amount": -325`), 1)
	tests := []struct {
		name  string
		path  string
		ctype string
		body  []byte
		code  int
		ecode string
		field string
	}{
		{"malformed json", "/v1/orders", "application/json", []byte(`{"source": {`), 400, "bad_json", ""},
		{"not json", "/v1/orders", "application/json", []byte(`hello`), 400, "bad_json", ""},
		{"trailing data", "/v1/orders", "application/json", append(append([]byte{}, order...), []byte(" {}")...), 400, "bad_json", ""},
		{"unknown field", "/v1/orders", "application/json", []byte(`{"sauce": 1}`), 400, "unknown_field", "sauce"},
		{"wrong type", "/v1/orders", "application/json", []byte(`{"currency": 5}`), 400, "bad_type", "currency"},
		{"negative price", "/v1/orders", "application/json", neg, 400, "invalid", "line_items[1].unit_price.amount"},
		{"empty array", "/v1/orders", "application/json", []byte(`[]`), 400, "empty", ""},
		{"empty body", "/v1/orders", "application/json", nil, 400, "bad_json", ""},
		{"wrong content type", "/v1/orders", "text/plain", order, 415, "unsupported_media_type", ""},
		{"no content type", "/v1/orders", "", order, 415, "unsupported_media_type", ""},
		{"json-like content type", "/v1/orders", "application/jsonx", order, 415, "unsupported_media_type", ""},
		{"too large", "/v1/orders", "application/json", bytes.Repeat([]byte(" "), MaxBody+1), 413, "too_large", ""},
		{"invalid payment", "/v1/payments", "application/json", []byte(`{"method":"barter"}`), 400, "invalid", "source.vendor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := r.post(t, tt.path, tt.ctype, tt.body)
			e := body
			if code != tt.code || e == nil || e["code"] != tt.ecode || (tt.field != "" && e["field"] != tt.field) {
				t.Fatalf("got %d %v, want %d %s field %q", code, body, tt.code, tt.ecode, tt.field)
			}
		})
	}
	if d := depth(r.ob, outbox.Orders); d != 0 {
		t.Fatalf("bad input reached the outbox: depth %d", d)
	}
}

func TestCaptureRefusedWhenFull(t *testing.T) {
	r := newRig(t, outbox.Config{Streams: map[outbox.Stream]outbox.Limits{outbox.Orders: {MaxRows: 2}}})
	order := sampleOrder(t)
	for i, id := range []string{"A", "B"} {
		code, body := r.post(t, "/v1/orders", "application/json", bytes.Replace(order, []byte("T1-0001"), []byte(id), 1))
		if code != http.StatusAccepted {
			t.Fatalf("order %d: %d %v", i, code, body)
		}
	}
	code, body := r.post(t, "/v1/orders", "application/json", bytes.Replace(order, []byte("T1-0001"), []byte("C"), 1))
	e := body
	if code != http.StatusServiceUnavailable || e["code"] != "outbox_refused" || !strings.Contains(e["detail"].(string), "full") {
		t.Fatalf("third order: %d %v", code, body)
	}
	// Nothing stored was lost; after the cloud drains one, capture works again.
	rows, err := r.ob.Peek(outbox.Orders, 0, 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %d, %v", len(rows), err)
	}
	if err := r.ob.Ack(outbox.Orders, []uint64{rows[0].Seq}); err != nil {
		t.Fatal(err)
	}
	code, body = r.post(t, "/v1/orders", "application/json", bytes.Replace(order, []byte("T1-0001"), []byte("C"), 1))
	if code != http.StatusAccepted {
		t.Fatalf("after drain: %d %v", code, body)
	}
}

// A terminal may not speak for a POS integration (it would shadow the
// real revision and suppress it by de-duplication).
func TestCaptureRefusesVendorSources(t *testing.T) {
	pos.RegisterForTest(t, pos.Driver{Name: "squarely", New: func(pos.Config) (pos.Adapter, error) { return nil, nil }})
	r := newRig(t, outbox.Config{})
	order := sampleOrder(t)
	for _, tt := range []struct {
		name, from, to, field string
	}{
		{"vendor name", `"vendor": "local"`, `"vendor": "squarely"`, "source.vendor"},
		{"integration id", `"vendor": "local"`, `"vendor": "local", "integration_id": "sq-main"`, "source.integration_id"},
		{"a till's name", `"vendor": "local"`, `"vendor": "terminal:till1"`, "source.vendor"},
	} {
		code, body := r.post(t, "/v1/orders", "application/json", bytes.Replace(order, []byte(tt.from), []byte(tt.to), 1))
		e := body
		if code != 400 || e["field"] != tt.field {
			t.Errorf("%s: %d %v", tt.name, code, body)
		}
	}
}

// TestCaptureOverCloudLimit: an order larger than the cloud broker takes
// is refused with 413 naming the limit, and nothing is queued.
func TestCaptureOverCloudLimit(t *testing.T) {
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
	in.MaxEventBytes = 2000
	s := New(Config{}, log, nil, nil)
	CaptureRoutes(s, in, log)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	r := &rig{srv: srv, ob: ob, db: db}

	order := sampleOrder(t)
	big := bytes.Replace(order, []byte(`"state": "completed",`), []byte(`"state": "completed", "note": "`+strings.Repeat("x", 3000)+`",`), 1)
	if bytes.Equal(big, order) {
		t.Fatal("sample order changed: cannot add notes")
	}
	code, body := r.post(t, "/v1/orders", "application/json", big)
	if code != http.StatusRequestEntityTooLarge || body["code"] != "too_large_for_cloud" || !strings.Contains(fmt.Sprint(body["detail"]), "2000 bytes") {
		t.Fatalf("%d %v", code, body)
	}
	if st := ob.Stats()[0]; st.Depth != 0 {
		t.Fatalf("refused order queued: depth %d", st.Depth)
	}
	if code, body := r.post(t, "/v1/orders", "application/json", order); code != http.StatusAccepted {
		t.Fatalf("small order: %d %v", code, body)
	}
}
