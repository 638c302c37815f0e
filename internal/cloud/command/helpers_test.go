package command

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"
)

const testStore = "store-1"

// testKey is the cloud's command signing key in these tests.
var testKey = ed25519.NewKeyFromSeed([]byte("aura-edge cloud test signing key"))

// otherKey is a key the store does not trust.
var otherKey = ed25519.NewKeyFromSeed([]byte("an unrelated ed25519 signing key"))

// allowUnsigned is the cloud section's default allow_unsigned.
var allowUnsigned = []string{"ping", "status.request"}

func testKeyB64() string {
	return base64.StdEncoding.EncodeToString(testKey.Public().(ed25519.PublicKey))
}

// command builds an unsigned command envelope expiring in 5 minutes.
func command(typ, id, data string, mod func(*Envelope)) *Envelope {
	now := time.Now().UTC()
	env := &Envelope{
		SpecVersion: "1.0", ID: id, Source: "aura-cloud", Type: typ,
		Time: now.Format(time.RFC3339), Expires: now.Add(5 * time.Minute).Format(time.RFC3339),
		DataContentType: "application/json",
	}
	if data != "" {
		env.Data = json.RawMessage(data)
	}
	if mod != nil {
		mod(env)
	}
	return env
}

func signed(e *Envelope) *Envelope { e.Sign(testStore, testKey); return e }

// signedBy signs with a key the store does not know, with or without
// naming it.
func signedBy(e *Envelope, named bool) *Envelope {
	e.Sign(testStore, otherKey)
	if !named {
		e.KeyID = ""
	}
	return e
}

func alter(e *Envelope, f func(*Envelope)) *Envelope { f(e); return e }

func marshal(t testing.TB, env *Envelope) []byte {
	t.Helper()
	b, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
