package secrets

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/chacha20poly1305"
)

// Sealed value layout: magic, format version, key id, nonce, then the
// AEAD output (ciphertext and tag).
const (
	magic       = 0xAE
	formatV1    = 0x01
	headerSize  = 2 + 4
	nonceSize   = chacha20poly1305.NonceSizeX
	prefixSize  = headerSize + nonceSize
	tagSize     = chacha20poly1305.Overhead
	minSealed   = prefixSize + tagSize
	redactedStr = "[redacted]"
)

// Overhead is how many bytes Seal adds to a plaintext.
const Overhead = minSealed

// Keyring holds the current key and any previous keys of one key file. It
// is safe for concurrent use; Rotate swaps its keys in place, so everyone
// holding the *Keyring follows a rotation.
type Keyring struct {
	path     string // file the keys were read from
	writable bool   // false for a systemd credential
	state    atomic.Pointer[ring]
	rotateMu sync.Mutex
}

// ring is an immutable set of keys, the current one first.
type ring struct {
	keys  []key
	aeads map[uint32]cipher.AEAD
}

func newRing(keys []key) (*ring, error) {
	r := &ring{keys: keys, aeads: make(map[uint32]cipher.AEAD, len(keys))}
	for _, k := range keys {
		a, err := chacha20poly1305.NewX(k.raw[:])
		if err != nil {
			return nil, fmt.Errorf("init cipher: %w", err)
		}
		r.aeads[k.id] = a
	}
	return r, nil
}

func (r *ring) ids() []string {
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = formatID(k.id)
	}
	return ids
}

// LoadOrCreateKey returns the keyring of the key file at path, creating the
// file with a new random key (mode 0600) when it does not exist. When
// $CREDENTIALS_DIRECTORY/aura-edge.key exists (a systemd credential), that
// file is loaded instead and path is ignored. Two processes calling it at
// once on a missing file get the same key.
func LoadOrCreateKey(path string) (*Keyring, error) {
	if cred, ok := credentialPath(); ok {
		return load(cred, false)
	}
	if path == "" {
		return nil, errors.New("key file path is empty")
	}
	kr, err := load(path, true)
	if !errors.Is(err, ErrNoKeyFile) {
		return kr, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create key file dir: %w", err)
	}
	if _, err := createKeyFile(path, encodeKeyFile([]key{newKey()})); err != nil {
		return nil, err
	}
	// Read back what is on disk, ours or a racing process's.
	return load(path, true)
}

// Load is LoadOrCreateKey without the creation: a missing file is an
// ErrNoKeyFile error. Use it where a new key would be wrong (config checks,
// tools reading an existing data dir).
func Load(path string) (*Keyring, error) {
	if cred, ok := credentialPath(); ok {
		return load(cred, false)
	}
	return load(path, true)
}

func credentialPath() (string, bool) {
	dir := os.Getenv("CREDENTIALS_DIRECTORY")
	if dir == "" {
		return "", false
	}
	p := filepath.Join(dir, CredentialName)
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

func load(path string, writable bool) (*Keyring, error) {
	keys, err := readKeyFile(path, !writable)
	if err != nil {
		return nil, err
	}
	r, err := newRing(keys)
	if err != nil {
		return nil, err
	}
	kr := &Keyring{path: path, writable: writable}
	kr.state.Store(r)
	return kr, nil
}

// Path returns the file the keys were loaded from (the systemd credential
// when one was used).
func (k *Keyring) Path() string { return k.path }

// ID returns the current key's id (8 hex digits), the one Seal uses.
func (k *Keyring) ID() string { return formatID(k.state.Load().keys[0].id) }

// IDs returns the ids of all keys, the current one first.
func (k *Keyring) IDs() []string { return k.state.Load().ids() }

// Seal encrypts plaintext under the current key with a fresh random
// nonce, authenticating additionalData (which is not stored). Seal inside
// the store transaction that writes the result; see the package doc.
func (k *Keyring) Seal(plaintext, additionalData []byte) []byte {
	return k.state.Load().seal(plaintext, additionalData)
}

func (r *ring) seal(plaintext, ad []byte) []byte {
	cur := r.keys[0]
	out := make([]byte, prefixSize, prefixSize+len(plaintext)+tagSize)
	out[0], out[1] = magic, formatV1
	binary.BigEndian.PutUint32(out[2:6], cur.id)
	rand.Read(out[headerSize:prefixSize]) // never fails (crypto/rand since Go 1.24)
	return r.aeads[cur.id].Seal(out, out[headerSize:prefixSize], plaintext, authData(out[:headerSize], ad))
}

// authData is what the AEAD authenticates besides the ciphertext: the
// value's header and the caller's additional data.
func authData(header, ad []byte) []byte {
	b := make([]byte, 0, len(header)+len(ad))
	return append(append(b, header...), ad...)
}

// Open decrypts a value made by Seal under any key of the keyring, with the
// same additionalData. Errors wrap ErrNotSealed, ErrUnknownKey or
// ErrDecrypt; Open never panics on bad input.
func (k *Keyring) Open(sealed, additionalData []byte) ([]byte, error) {
	return k.state.Load().open(k.path, sealed, additionalData)
}

func (r *ring) open(path string, sealed, ad []byte) ([]byte, error) {
	id, err := sealedKeyID(sealed)
	if err != nil {
		return nil, err
	}
	a, ok := r.aeads[id]
	if !ok {
		return nil, fmt.Errorf("credentials were encrypted with key %s, but the key file %s holds %s: %w",
			formatID(id), path, strings.Join(r.ids(), ", "), ErrUnknownKey)
	}
	pt, err := a.Open(nil, sealed[headerSize:prefixSize], sealed[prefixSize:], authData(sealed[:headerSize], ad))
	if err != nil {
		return nil, fmt.Errorf("decrypt with key %s: %w (the value was altered, or belongs to another record)", formatID(id), ErrDecrypt)
	}
	return pt, nil
}

// sealedKeyID checks the framing of a sealed value and returns its key id.
func sealedKeyID(b []byte) (uint32, error) {
	if len(b) < 2 || b[0] != magic {
		return 0, fmt.Errorf("%w (no aura-edge header)", ErrNotSealed)
	}
	if b[1] != formatV1 {
		return 0, fmt.Errorf("%w: format version %d, this binary reads %d", ErrNotSealed, b[1], formatV1)
	}
	if len(b) < minSealed {
		return 0, fmt.Errorf("%w: %d bytes, shorter than the minimum %d", ErrNotSealed, len(b), minSealed)
	}
	return binary.BigEndian.Uint32(b[2:6]), nil
}

// IsSealed reports whether b is framed like a value made by Seal (header
// and length; it does not check the key or the tag).
func IsSealed(b []byte) bool {
	_, err := sealedKeyID(b)
	return err == nil
}

// KeyIDOf returns the id of the key b was sealed under.
func KeyIDOf(b []byte) (string, error) {
	id, err := sealedKeyID(b)
	if err != nil {
		return "", err
	}
	return formatID(id), nil
}

// SealMap seals a credential map (JSON with the secrets revealed).
func (k *Keyring) SealMap(m map[string]Secret, additionalData []byte) ([]byte, error) {
	plain := make(map[string]string, len(m))
	for name, s := range m {
		plain[name] = s.Reveal()
	}
	b, err := json.Marshal(plain)
	if err != nil {
		return nil, fmt.Errorf("encode credentials: %w", err)
	}
	sealed := k.Seal(b, additionalData)
	clear(b)
	return sealed, nil
}

// OpenMap opens a value made by SealMap.
func (k *Keyring) OpenMap(sealed, additionalData []byte) (map[string]Secret, error) {
	b, err := k.Open(sealed, additionalData)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	var plain map[string]string
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&plain); err != nil {
		return nil, fmt.Errorf("decode credentials: %w", err)
	}
	m := make(map[string]Secret, len(plain))
	for name, v := range plain {
		m[name] = Secret(v)
	}
	return m, nil
}
