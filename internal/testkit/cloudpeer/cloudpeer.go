// Package cloudpeer plays the Aura cloud in end-to-end tests: it holds the
// store's command-signing key, subscribes to the store's topics on a real
// broker (mosquitto or the embedded mochi, from cloudtest), sends signed
// commands and reads their results. The daemon, two-way, menu, injection
// and vendor end-to-end tests share it instead of each carrying its own.
//
// It imports testing: tests only (`make release-check`).
package cloudpeer

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
)

// Peer is the cloud side of one store.
type Peer struct {
	Store  string // the store id
	Prefix string // aura/v1/stores/<store>
	Sub    *cloudtest.Subscriber
	Key    ed25519.PrivateKey // signs commands
	Pub    ed25519.PublicKey  // what the store's cloud.command_keys holds
	// TTL is how long a command stays valid after it is made (its
	// expires); zero means a minute. A test that redelivers a command
	// after restarting the daemon sets more.
	TTL time.Duration
}

// New subscribes to every topic of store on brokerURL with a new signing
// key; it stops with the test.
func New(tb testing.TB, brokerURL, store string) *Peer {
	tb.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		tb.Fatal(err)
	}
	p := &Peer{Store: store, Prefix: "aura/v1/stores/" + store, Key: priv, Pub: pub}
	p.Sub = cloudtest.Subscribe(tb, brokerURL, p.Prefix+"/#", cloudtest.SubscriberOptions{})
	return p
}

// CommandKey is the public key as cloud.command_keys takes it.
func (p *Peer) CommandKey() string { return base64.StdEncoding.EncodeToString(p.Pub) }

// Statuses counts the status messages received so far (for WaitOnline
// after a restart).
func (p *Peer) Statuses() int { return len(p.Sub.Messages(p.Prefix + "/status")) }

// WaitOnline waits for a status saying online among those received after
// the first since: commands sent before the daemon subscribed would be
// lost, and its retained online status comes after the subscription.
func (p *Peer) WaitOnline(tb testing.TB, since int) {
	tb.Helper()
	p.Sub.Wait(tb, 20*time.Second, "daemon online", func() bool { return p.online(since) })
}

func (p *Peer) online(since int) bool {
	msgs := p.Sub.Messages(p.Prefix + "/status")
	for _, m := range msgs[min(since, len(msgs)):] {
		var s struct{ Online bool }
		if json.Unmarshal(m.Payload, &s) == nil && s.Online {
			return true
		}
	}
	return false
}

// Command is a signed command envelope for this store, valid for TTL.
func (p *Peer) Command(tb testing.TB, id, typ string, data any) []byte {
	tb.Helper()
	return p.command(tb, id, typ, data, true)
}

// Unsigned is Command without a signature (which the store refuses unless
// cloud.allow_unsigned names the type).
func (p *Peer) Unsigned(tb testing.TB, id, typ string, data any) []byte {
	tb.Helper()
	return p.command(tb, id, typ, data, false)
}

func (p *Peer) command(tb testing.TB, id, typ string, data any, sign bool) []byte {
	tb.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		tb.Fatal(err)
	}
	ttl := p.TTL
	if ttl <= 0 {
		ttl = time.Minute
	}
	now := time.Now().UTC()
	env := cloud.CommandEnvelope{SpecVersion: "1.0", ID: id, Type: typ, Time: now.Format(time.RFC3339),
		Expires: now.Add(ttl).Format(time.RFC3339), Data: raw}
	if sign {
		env.Sign(p.Store, p.Key)
	}
	b, err := env.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Send publishes a signed command (again, when id was sent before).
func (p *Peer) Send(tb testing.TB, id, typ string, data any) {
	tb.Helper()
	p.Publish(tb, typ, p.Command(tb, id, typ, data))
}

// Publish publishes a command envelope as it is (from Command, Unsigned,
// or one a test made malformed) to <prefix>/cmd/<typ>.
func (p *Peer) Publish(tb testing.TB, typ string, envelope []byte) {
	tb.Helper()
	if err := p.Sub.Publish(p.Prefix+"/cmd/"+typ, envelope, false); err != nil {
		tb.Fatal(err)
	}
}

// Results returns the command results received for command id.
func (p *Peer) Results(id string) []cloud.Result {
	var out []cloud.Result
	for _, env := range p.Sub.Envelopes(p.Prefix + "/cmd-results") {
		var r cloud.Result
		if env.Type == cloud.ResultType && json.Unmarshal(env.Data, &r) == nil && r.CommandID == id {
			out = append(out, r)
		}
	}
	return out
}

// WaitResult waits up to timeout for the n-th result of command id; the
// error says what was missing (the caller adds the daemon's logs).
func (p *Peer) WaitResult(id string, n int, timeout time.Duration) (cloud.Result, error) {
	var res []cloud.Result
	if err := p.Sub.WaitErr(timeout, func() bool { res = p.Results(id); return len(res) >= n }); err != nil {
		return cloud.Result{}, err
	}
	return res[n-1], nil
}
