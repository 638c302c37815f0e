package daemon

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/health"
)

// TestOutboxViewOneSource checks that /v1/status, /v1/queue and /v1/health
// show the outbox backlog from the one health view (issue 15): the same
// streams, depths and dead-letter counts.
func TestOutboxViewOneSource(t *testing.T) {
	d, _ := startDaemon(t, nil)
	db := d.Core().DB
	staffTok, _, _ := auth.Create(db, auth.Staff, "tablet")
	termTok, _, _ := auth.Create(db, auth.Terminal, "till")
	base := "http://" + d.APIAddr().String()
	if code, body := request(t, "POST", base+"/v1/orders", termTok, orderBody("V-1")); code != 202 {
		t.Fatalf("order: %d %s", code, body)
	}
	get := func(path string, v any) {
		t.Helper()
		code, body := request(t, "GET", base+path, staffTok, nil)
		if code != 200 {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	// Nothing drains the outbox (no broker), so the three reads see one state.
	var st struct {
		Outbox []health.Stream `json:"outbox"`
	}
	var q struct {
		Streams []health.Stream `json:"streams"`
	}
	var h health.Snapshot
	get("/v1/status", &st)
	get("/v1/queue", &q)
	get("/v1/health", &h)
	clear := func(ss []health.Stream) []health.Stream {
		for i := range ss {
			ss[i].OldestAgeS = 0 // moves between the reads
		}
		return ss
	}
	st.Outbox, q.Streams, h.Outbox = clear(st.Outbox), clear(q.Streams), clear(h.Outbox)
	if len(st.Outbox) == 0 || !reflect.DeepEqual(st.Outbox, q.Streams) || !reflect.DeepEqual(q.Streams, h.Outbox) {
		t.Fatalf("the surfaces disagree:\n/v1/status %+v\n/v1/queue  %+v\n/v1/health %+v", st.Outbox, q.Streams, h.Outbox)
	}
	depth := 0
	for _, s := range q.Streams {
		depth += s.Depth
	}
	if depth != 1 {
		t.Fatalf("want the one order queued, got depth %d: %+v", depth, q.Streams)
	}
}
