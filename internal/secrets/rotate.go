package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/auraconnect/aura-edge/internal/store"
)

// Reseal opens a sealed value under whichever key sealed it and seals it
// again under the current key, with the same additional data. A value
// already under the current key comes back unchanged.
type Reseal func(sealed, additionalData []byte) ([]byte, error)

// Reencrypter re-seals every sealed value one package keeps: it finds them
// in tx, passes each to reseal with the additional data it was sealed with,
// and puts the result back. It runs inside Rotate's one transaction and
// must not keep tx or the values after it returns.
type Reencrypter func(tx *store.Tx, reseal Reseal) error

var (
	reencMu sync.RWMutex
	reencs  = map[string]Reencrypter{}
)

// RegisterReencrypter adds the re-encrypter of the values a package owns
// (name it after them: "pos_integrations", "vendor_state"). Owners call it
// from init. It panics on an empty name, a nil r or a duplicate name.
func RegisterReencrypter(name string, r Reencrypter) {
	if name == "" {
		panic("secrets: RegisterReencrypter with empty name")
	}
	if r == nil {
		panic("secrets: RegisterReencrypter with nil func for " + name)
	}
	reencMu.Lock()
	defer reencMu.Unlock()
	if _, dup := reencs[name]; dup {
		panic("secrets: RegisterReencrypter called twice for " + name)
	}
	reencs[name] = r
}

// RegisterReencrypterForTest registers r under name for the duration of a
// test (pass a *testing.T) and removes it with t.Cleanup.
func RegisterReencrypterForTest(t interface{ Cleanup(func()) }, name string, r Reencrypter) {
	RegisterReencrypter(name, r)
	t.Cleanup(func() {
		reencMu.Lock()
		defer reencMu.Unlock()
		delete(reencs, name)
	})
}

// Reencrypters returns the registered names, sorted.
func Reencrypters() []string {
	reencMu.RLock()
	defer reencMu.RUnlock()
	names := make([]string, 0, len(reencs))
	for n := range reencs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// SealedValues returns a Reencrypter for the bucket at path and all its
// nested buckets: every value that IsSealed is resealed with the
// additional data ad returns for it (bucketPath is the full path of the
// bucket holding the value); other values are left alone. For vendor state
// kept as vendor_state/<integration id>/...:
//
//	secrets.SealedValues(func(p []string, _ []byte) []byte { return []byte(p[1]) }, store.Vendor)
func SealedValues(ad func(bucketPath []string, key []byte) []byte, path ...string) Reencrypter {
	if len(path) == 0 || ad == nil {
		panic("secrets: SealedValues needs a bucket path and an ad func")
	}
	return func(tx *store.Tx, reseal Reseal) error {
		return resealBucket(tx.Bucket(path...), slices.Clone(path), ad, reseal)
	}
}

func resealBucket(b *store.Bucket, path []string, ad func([]string, []byte) []byte, reseal Reseal) error {
	type kv struct{ k, v []byte }
	var todo []kv
	// Collect first: bbolt forbids writes while a cursor walks the bucket.
	err := b.ForEach(func(k, v []byte) error {
		if IsSealed(v) {
			todo = append(todo, kv{bytes.Clone(k), bytes.Clone(v)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range todo {
		nv, err := reseal(e.v, ad(path, e.k))
		if err != nil {
			return fmt.Errorf("%s/%q: %w", strings.Join(path, "/"), e.k, err)
		}
		if !bytes.Equal(nv, e.v) {
			if err := b.Put(e.k, nv); err != nil {
				return fmt.Errorf("%s/%q: %w", strings.Join(path, "/"), e.k, err)
			}
		}
	}
	for _, name := range b.Buckets() {
		if err := resealBucket(b.Sub(name), append(slices.Clone(path), name), ad, reseal); err != nil {
			return err
		}
	}
	return nil
}

// Rotation reports what Rotate did.
type Rotation struct {
	From     []string // ids of the keys replaced
	To       string   // id of the new key
	Resealed int      // values re-encrypted under the new key
	Current  int      // values that were already under the new key
}

// crashHook lets tests kill the process between the steps of Rotate.
var crashHook = func(step string) {}

// Rotate generates a new key and re-encrypts every value the registered
// Reencrypters find, in one store transaction:
//
//  1. the key file is copied to <path>.old;
//  2. the key file is replaced (temp, fsync, rename) by one holding the new
//     key first and all current keys after it, and the keyring switches to
//     it, so new values are sealed under the new key;
//  3. one db.Update reseals every value;
//  4. after the commit the store is scanned for values still under an old
//     key; if there are none the key file is replaced by one holding only
//     the new key and <path>.old is removed.
//
// A crash or error at any step leaves a key file holding every key that a
// committed value needs. If step 4 finds leftovers the old keys are kept and
// the error wraps ErrRotationIncomplete. A key from a systemd credential
// cannot be rewritten, so Rotate refuses it (ErrKeyNotWritable).
//
// Rotate holds the store's write lock only during step 3; readers go on.
func (k *Keyring) Rotate(db *store.DB) (Rotation, error) {
	k.rotateMu.Lock()
	defer k.rotateMu.Unlock()
	if !k.writable {
		return Rotation{}, fmt.Errorf("key %s comes from the systemd credential %s; aura-edge cannot rewrite it: %w",
			k.ID(), k.path, ErrKeyNotWritable)
	}
	old := k.state.Load()
	rot := Rotation{From: old.ids()}

	next := newKey()
	for slices.ContainsFunc(old.keys, func(o key) bool { return o.id == next.id }) {
		next = newKey()
	}
	rot.To = formatID(next.id)
	both, err := newRing(append([]key{next}, old.keys...))
	if err != nil {
		return rot, err
	}
	only, err := newRing([]key{next})
	if err != nil {
		return rot, err
	}

	// 1. Backup, then 2. the file with both keys.
	backup := k.path + ".old"
	if err := replaceFile(backup, encodeKeyFile(old.keys)); err != nil {
		return rot, fmt.Errorf("back up key file: %w", err)
	}
	if err := replaceFile(k.path, encodeKeyFile(both.keys)); err != nil {
		return rot, err
	}
	k.state.Store(both)
	crashHook("keyfile")

	// 3. Re-encrypt in one transaction.
	names := Reencrypters()
	err = db.Update(func(tx *store.Tx) error {
		rot.Resealed, rot.Current = 0, 0
		reseal := func(sealed, ad []byte) ([]byte, error) {
			id, err := sealedKeyID(sealed)
			if err != nil {
				return nil, err
			}
			if id == next.id {
				rot.Current++
				return sealed, nil
			}
			pt, err := both.open(k.path, sealed, ad)
			if err != nil {
				return nil, err
			}
			defer clear(pt)
			rot.Resealed++
			return both.seal(pt, ad), nil
		}
		for _, name := range names {
			reencMu.RLock()
			r := reencs[name]
			reencMu.RUnlock()
			if r == nil {
				continue
			}
			if err := r(tx, reseal); err != nil {
				return fmt.Errorf("re-encrypt %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return rot, fmt.Errorf("rotate key %s to %s: %w (the key file keeps both keys; every value stays readable)",
			strings.Join(rot.From, ","), rot.To, err)
	}
	crashHook("commit")

	// 4. Drop the old keys unless something still needs them.
	var left []string
	if err := db.View(func(tx *store.Tx) error {
		left = stillSealedUnder(tx, old.keys)
		return nil
	}); err != nil {
		return rot, fmt.Errorf("check rotation: %w", err)
	}
	if len(left) > 0 {
		return rot, fmt.Errorf("rotate key: %d values still use the old keys (first: %s) and no re-encrypter handled them; "+
			"the key file keeps the old keys (registered re-encrypters: %s): %w",
			len(left), left[0], strings.Join(names, ", "), ErrRotationIncomplete)
	}
	if err := replaceFile(k.path, encodeKeyFile(only.keys)); err != nil {
		return rot, fmt.Errorf("drop old keys after rotation (the key file keeps them, which is safe): %w", err)
	}
	k.state.Store(only)
	crashHook("keyfile-final")
	if err := os.Remove(backup); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rot, fmt.Errorf("remove key backup: %w", err)
	}
	return rot, nil
}

// stillSealedUnder returns the locations of values that contain a value
// sealed under one of keys, raw or base64-encoded (as []byte fields are in
// JSON). A sealed value's 6-byte header base64-encodes to exactly 8
// characters, so an embedded value is found wherever it starts on a
// 3-byte boundary of the encoding, which a JSON field always does.
func stillSealedUnder(tx *store.Tx, keys []key) []string {
	var needles [][]byte
	for _, k := range keys {
		h := make([]byte, headerSize)
		h[0], h[1] = magic, formatV1
		binary.BigEndian.PutUint32(h[2:], k.id)
		needles = append(needles, h,
			[]byte(base64.StdEncoding.EncodeToString(h)),
			[]byte(base64.URLEncoding.EncodeToString(h)))
	}
	var found []string
	var walk func(b *store.Bucket, path []string)
	walk = func(b *store.Bucket, path []string) {
		b.ForEach(func(k, v []byte) error {
			for _, n := range needles {
				if bytes.Contains(v, n) {
					found = append(found, fmt.Sprintf("%s/%q", strings.Join(path, "/"), k))
					break
				}
			}
			return nil
		})
		for _, name := range b.Buckets() {
			walk(b.Sub(name), append(slices.Clone(path), name))
		}
	}
	for _, name := range tx.Buckets() {
		walk(tx.Bucket(name), []string{name})
	}
	return found
}
