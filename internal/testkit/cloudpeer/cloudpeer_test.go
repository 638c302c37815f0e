package cloudpeer_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/cloud/command"
	"github.com/auraconnect/aura-edge/internal/testkit/cloudpeer"
)

// storeSide is the store's end of the broker: it receives the peer's
// commands and publishes what a daemon would (status, command results).
type storeSide struct {
	sub    *cloudtest.Subscriber
	prefix string
}

func start(t *testing.T) (*cloudpeer.Peer, *storeSide) {
	t.Helper()
	broker := cloudtest.StartMochi(t)
	p := cloudpeer.New(t, broker.URL(), "store-7")
	if p.Store != "store-7" || p.Prefix != "aura/v1/stores/store-7" {
		t.Fatalf("peer for store-7: store %q prefix %q", p.Store, p.Prefix)
	}
	return p, &storeSide{sub: cloudtest.Subscribe(t, broker.URL(), p.Prefix+"/cmd/#", cloudtest.SubscriberOptions{}), prefix: p.Prefix}
}

func (s *storeSide) publish(t *testing.T, topic string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.sub.Publish(s.prefix+topic, b, false); err != nil {
		t.Fatal(err)
	}
}

// result publishes a command result as the daemon does: a CloudEvents
// envelope of type cloud.ResultType on <prefix>/cmd-results.
func (s *storeSide) result(t *testing.T, typ string, r cloud.Result) {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s.publish(t, "/cmd-results", cloudtest.Envelope{SpecVersion: "1.0", ID: "ev-" + r.CommandID + "-" + r.Status,
		Source: "aura-edge/store-7", Type: typ, Subject: r.CommandID, Data: data})
}

// A command the peer signs is one the store accepts: it decodes, carries
// the peer's key id, verifies with the key the store is configured with
// (CommandKey) and expires a minute after it was made (TTL when set).
func TestCommandIsSignedForTheStore(t *testing.T) {
	p, _ := start(t)
	pub, err := command.ParsePublicKey(p.CommandKey())
	if err != nil || !pub.Equal(p.Pub) {
		t.Fatalf("CommandKey %q parses to %x (%v), want the peer's key %x", p.CommandKey(), pub, err, p.Pub)
	}
	env, err := command.Decode(p.Command(t, "cmd-1", "print.test", map[string]any{"printer": "front"}))
	if err != nil {
		t.Fatal(err)
	}
	if env.ID != "cmd-1" || env.Type != "print.test" || env.KeyID != command.KeyID(p.Pub) {
		t.Errorf("envelope: id %q type %q key %q", env.ID, env.Type, env.KeyID)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(p.Pub, command.SignedBytes(env.ID, env.Type, "store-7", env.Time, env.Expires, env.Data), sig) {
		t.Error("the signature does not verify for store-7")
	}
	if ed25519.Verify(p.Pub, command.SignedBytes(env.ID, env.Type, "store-8", env.Time, env.Expires, env.Data), sig) {
		t.Error("the signature verifies for another store")
	}
	at, err1 := time.Parse(time.RFC3339, env.Time)
	exp, err2 := time.Parse(time.RFC3339, env.Expires)
	if err1 != nil || err2 != nil || exp.Sub(at) != time.Minute {
		t.Errorf("time %q expires %q: want a minute apart", env.Time, env.Expires)
	}
	var data struct{ Printer string }
	if json.Unmarshal(env.Data, &data) != nil || data.Printer != "front" {
		t.Errorf("data %s", env.Data)
	}
	p.TTL = 5 * time.Minute
	long, err := command.Decode(p.Command(t, "cmd-3", "print.test", nil))
	if err != nil {
		t.Fatal(err)
	}
	at, err1 = time.Parse(time.RFC3339, long.Time)
	exp, err2 = time.Parse(time.RFC3339, long.Expires)
	if err1 != nil || err2 != nil || exp.Sub(at) != 5*time.Minute {
		t.Errorf("with TTL 5m: time %q expires %q", long.Time, long.Expires)
	}
	un, err := command.Decode(p.Unsigned(t, "cmd-2", "print.test", nil))
	if err != nil || un.Signature != "" || un.KeyID != "" || un.ID != "cmd-2" {
		t.Errorf("unsigned command: %+v %v", un, err)
	}
}

// Send publishes to <prefix>/cmd/<type>, again when the id was sent
// before (a redelivery).
func TestSendPublishesToTheCommandTopic(t *testing.T) {
	p, s := start(t)
	p.Send(t, "cmd-1", "orders.sync", map[string]string{"integration_id": "sq-1"})
	p.Send(t, "cmd-1", "orders.sync", map[string]string{"integration_id": "sq-1"})
	topic := p.Prefix + "/cmd/orders.sync"
	s.sub.Wait(t, 10*time.Second, "two deliveries of cmd-1", func() bool { return len(s.sub.Messages(topic)) == 2 })
	for _, m := range s.sub.Messages(topic) {
		env, err := command.Decode(m.Payload)
		if err != nil || env.ID != "cmd-1" || env.Type != "orders.sync" {
			t.Errorf("delivery %s: %+v %v", m.Payload, env, err)
		}
	}
}

// WaitOnline looks only at statuses after the first since, and only for
// one saying online.
func TestWaitOnline(t *testing.T) {
	p, s := start(t)
	s.publish(t, "/status", map[string]bool{"online": true})
	p.WaitOnline(t, 0)
	s.publish(t, "/status", map[string]bool{"online": false})
	p.Sub.Wait(t, 10*time.Second, "the offline status", func() bool { return p.Statuses() == 2 })
	since := p.Statuses()
	s.publish(t, "/status", map[string]bool{"online": true})
	p.WaitOnline(t, since)
	if n := p.Statuses(); n != 3 {
		t.Errorf("Statuses: %d, want 3", n)
	}
}

// Results keeps only result events of the command asked about;
// WaitResult waits for the n-th and says when it does not come.
func TestResults(t *testing.T) {
	p, s := start(t)
	s.result(t, cloud.ResultType, cloud.Result{CommandID: "cmd-1", Type: "orders.sync", Status: "ok"})
	s.result(t, cloud.ResultType, cloud.Result{CommandID: "cmd-2", Type: "orders.sync", Status: "ok"})
	s.result(t, "com.auraconnect.something.else.v1", cloud.Result{CommandID: "cmd-1", Status: "other"})
	r, err := p.WaitResult("cmd-1", 1, 10*time.Second)
	if err != nil || r.Status != "ok" || r.Type != "orders.sync" {
		t.Fatalf("first result of cmd-1: %+v %v", r, err)
	}
	p.Sub.Wait(t, 10*time.Second, "all three events", func() bool {
		return len(p.Sub.Messages(p.Prefix+"/cmd-results")) == 3
	})
	if rs := p.Results("cmd-1"); len(rs) != 1 {
		t.Errorf("results of cmd-1: %+v, want the one result event", rs)
	}
	if _, err := p.WaitResult("cmd-1", 2, 50*time.Millisecond); err == nil {
		t.Error("WaitResult for a second result that never came returned no error")
	}
	s.result(t, cloud.ResultType, cloud.Result{CommandID: "cmd-1", Type: "orders.sync", Status: "error", Code: "duplicate"})
	r, err = p.WaitResult("cmd-1", 2, 10*time.Second)
	if err != nil || r.Status != "error" || r.Code != "duplicate" {
		t.Errorf("second result of cmd-1: %+v %v", r, err)
	}
}
