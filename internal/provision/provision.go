// Package provision seals integration credentials to one store, so that
// the cloud can connect an integration remotely (integration.connect)
// without the credentials ever being in clear text in the broker, a log or
// the store's database.
//
// Each store has an X25519 key pair. The public key is published in the
// store's retained status (provisioning_key); the cloud seals
// {"store_id", "credentials"} to it with NaCl's anonymous sealed box
// (golang.org/x/crypto/nacl/box SealAnonymous: an ephemeral sender key,
// XSalsa20-Poly1305). The private key is kept in the store's meta bucket,
// itself sealed with the credential key (internal/secrets), like every
// stored credential.
package provision

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/box"

	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

var (
	metaKey = []byte("provisioning_key")
	keyAD   = []byte("aura-edge provisioning key v1")
)

// Key is the store's sealing key pair.
type Key struct {
	storeID string
	pub     [32]byte
	priv    [32]byte
}

// LoadOrCreate returns the store's key pair, creating and storing one (its
// private half sealed with keys) the first time. A stored key that no
// longer opens (its credential key was retired) is replaced: the new public
// key is published in the status.
func LoadOrCreate(db *store.DB, keys *secrets.Keyring, storeID string) (*Key, error) {
	k := &Key{storeID: storeID}
	var sealed []byte
	if err := db.View(func(tx *store.Tx) error {
		if v := tx.Bucket(store.Meta).Get(metaKey); v != nil {
			sealed = append([]byte(nil), v...)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if sealed != nil {
		if priv, err := keys.Open(sealed, keyAD); err == nil && len(priv) == 32 {
			copy(k.priv[:], priv)
			pub, err := publicOf(&k.priv)
			if err == nil {
				k.pub = *pub
				return k, nil
			}
		}
	}
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate provisioning key: %w", err)
	}
	k.pub, k.priv = *pub, *priv
	if err := db.Update(func(tx *store.Tx) error { return tx.Bucket(store.Meta).Put(metaKey, keys.Seal(k.priv[:], keyAD)) }); err != nil {
		return nil, fmt.Errorf("store provisioning key: %w", err)
	}
	return k, nil
}

func publicOf(priv *[32]byte) (*[32]byte, error) {
	// box keys are X25519: the public key is the base point times priv.
	var pub [32]byte
	p, err := curve25519Base(priv[:])
	if err != nil {
		return nil, err
	}
	copy(pub[:], p)
	return &pub, nil
}

// Public returns the public key, standard base64 (as published).
func (k *Key) Public() string { return base64.StdEncoding.EncodeToString(k.pub[:]) }

// Sealed is the plaintext inside a sealed box.
type Sealed struct {
	StoreID     string            `json:"store_id"`
	Credentials map[string]string `json:"credentials"`
}

// ErrSealed is wrapped by Open's failures.
var ErrSealed = errors.New("sealed credentials")

// Open unseals credentials sealed to this store (standard base64).
func (k *Key) Open(sealedB64 string) (map[string]string, error) {
	raw, err := base64.StdEncoding.DecodeString(sealedB64)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64: %v", ErrSealed, err)
	}
	msg, ok := box.OpenAnonymous(nil, raw, &k.pub, &k.priv)
	if !ok {
		return nil, fmt.Errorf("%w: they were not sealed to this store's provisioning key %s (read it again from the store's status)", ErrSealed, k.Public())
	}
	var s Sealed
	if err := json.Unmarshal(msg, &s); err != nil {
		return nil, fmt.Errorf("%w: the sealed content is not {\"store_id\", \"credentials\"}", ErrSealed)
	}
	if s.StoreID != k.storeID {
		return nil, fmt.Errorf("%w: sealed for store %q, this is %q", ErrSealed, s.StoreID, k.storeID)
	}
	if len(s.Credentials) == 0 {
		return nil, fmt.Errorf("%w: no credentials inside", ErrSealed)
	}
	return s.Credentials, nil
}

// Seal seals credentials for the store whose published key is pubB64 (what
// the cloud does; tests and tools use it too).
func Seal(pubB64, storeID string, creds map[string]string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(pubB64)
	if err != nil || len(raw) != 32 {
		return "", fmt.Errorf("provisioning key %q: want 32 bytes of standard base64", pubB64)
	}
	var pub [32]byte
	copy(pub[:], raw)
	msg, err := json.Marshal(Sealed{StoreID: storeID, Credentials: creds})
	if err != nil {
		return "", err
	}
	out, err := box.SealAnonymous(nil, msg, &pub, rand.Reader)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// The private key is re-sealed when the credential key rotates
// (aura-edge keys rotate), like every other sealed value.
func init() {
	secrets.RegisterReencrypter("provisioning_key", func(tx *store.Tx, reseal secrets.Reseal) error {
		b := tx.Bucket(store.Meta)
		v := b.Get(metaKey)
		if v == nil {
			return nil
		}
		nv, err := reseal(append([]byte(nil), v...), keyAD)
		if err != nil {
			return fmt.Errorf("meta/provisioning_key: %w", err)
		}
		if bytes.Equal(nv, v) {
			return nil
		}
		return b.Put(metaKey, nv)
	})
}
