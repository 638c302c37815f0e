package cloud

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/outbox"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestEventEnvelope(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
	rows := []outbox.Row{
		{Stream: outbox.Orders, Seq: 1, ID: "0191b4a2-7c1e-7a3b-9f00-5c2d8e4f6a10", Type: "com.auraconnect.order.v1", Subject: "ord_1", SubjectSeq: 3, Time: at,
			Data: []byte(`{"id":"ord_1","total":{"amount":1250,"currency":"EUR"}}`)},
		{Stream: outbox.Telemetry, Seq: 2, ID: "0191b4a2-7c1e-7a3b-9f00-5c2d8e4f6a11", Type: "com.auraconnect.telemetry.v1", Time: at},
		{Stream: outbox.SyncLogs, Seq: 3, ID: "0191b4a2-7c1e-7a3b-9f00-5c2d8e4f6a12", Type: "com.auraconnect.synclog.v1", Subject: "quote \" newline \n tab \t é \u2028 <&>", SubjectSeq: 1, Time: at,
			Data: []byte("[1, 2,\n 3]")},
		{Stream: outbox.Payments, Seq: 4, ID: "0191b4a2-7c1e-7a3b-9f00-5c2d8e4f6a13", Type: "com.auraconnect.payment.v1", Subject: "pay_1", SubjectSeq: 1, Time: at,
			Data: []byte("not json \xff")},
	}
	var out []byte
	for i := range rows {
		env := appendEvent(nil, "aura-edge://"+testStore, &rows[i])
		if !json.Valid(env) {
			t.Fatalf("row %d: invalid JSON %s", i, env)
		}
		var got struct {
			Subject    string          `json:"subject"`
			Data       json.RawMessage `json:"data"`
			DataBase64 string          `json:"data_base64"`
		}
		if err := json.Unmarshal(env, &got); err != nil {
			t.Fatal(err)
		}
		if got.Subject != rows[i].Subject {
			t.Errorf("row %d: subject %q", i, got.Subject)
		}
		if raw, _ := base64.StdEncoding.DecodeString(got.DataBase64); got.DataBase64 != "" && !bytes.Equal(raw, rows[i].Data) {
			t.Errorf("row %d: data_base64 does not round trip", i)
		}
		out = append(append(out, env...), '\n')
	}
	golden(t, "events.golden", out)
}

func TestStreamTopics(t *testing.T) {
	want := map[outbox.Stream]string{
		outbox.Orders: "events/orders", outbox.Payments: "events/payments", outbox.SyncLogs: "events/sync-logs",
		outbox.CmdResults: "cmd-results", outbox.Telemetry: "events/telemetry",
	}
	if len(sendOrder) != len(outbox.Streams) {
		t.Fatalf("sendOrder has %d streams, the outbox %d", len(sendOrder), len(outbox.Streams))
	}
	for _, s := range outbox.Streams {
		if streamTopic(s) != want[s] {
			t.Errorf("%s -> %s", s, streamTopic(s))
		}
	}
}
