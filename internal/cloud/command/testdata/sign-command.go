// sign-command prints a signed aura-edge command envelope (the SIGNING.md
// test vector). Standard library only.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

func main() {
	// In production: your Ed25519 private key, a new id (UUIDv7) per
	// command, time = now and expires = now + a few minutes (RFC 3339).
	key := ed25519.NewKeyFromSeed([]byte("aura-edge signing.md test vector"))
	storeID := "store-1"
	id := "0191b4a2-7c1e-7a3b-9f00-5c2d8e4f6a10"
	typ := "print"
	now := "2026-05-01T12:00:00Z"
	expires := "2026-05-01T12:05:00Z"
	data := []byte(`{"printer":"front","text":"Hello"}`) // exactly as it goes into the payload

	sum := sha256.Sum256(data)
	signed := "aura-cmd-v1\n" + id + "\n" + typ + "\n" + storeID + "\n" + now + "\n" + expires + "\n" + hex.EncodeToString(sum[:])
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, []byte(signed)))
	pub := sha256.Sum256(key.Public().(ed25519.PublicKey))
	keyID := hex.EncodeToString(pub[:8])

	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	payload := `{"specversion":"1.0","id":` + q(id) + `,"source":"aura-cloud","type":` + q(typ) +
		`,"time":` + q(now) + `,"datacontenttype":"application/json","expires":` + q(expires) +
		`,"keyid":` + q(keyID) + `,"signature":` + q(sig) + `,"data":` + string(data) + `}`
	fmt.Println(payload) // publish at QoS 1 to aura/v1/stores/<store_id>/cmd/<type>
}
