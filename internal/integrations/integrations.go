package integrations

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

// ErrNotFound is returned for an unknown integration id.
var ErrNotFound = errors.New("integration not found")

// ErrExists is returned when connecting an id that is already connected.
var ErrExists = errors.New("integration already exists")

// Integration is one connected POS account. It never holds credentials.
type Integration struct {
	ID          string            `json:"id"`
	Vendor      string            `json:"vendor"`
	Name        string            `json:"name,omitempty"`
	Settings    map[string]string `json:"settings,omitempty"`
	ConnectedOn time.Time         `json:"connected_on"`
	// CredentialFields lists which credentials are stored (names only).
	CredentialFields []string `json:"credential_fields"`
}

// Store reads and writes integrations.
type Store struct {
	db   *store.DB
	keys *secrets.Keyring
	now  func() time.Time
}

// New returns a Store.
func New(db *store.DB, keys *secrets.Keyring) *Store {
	return &Store{db: db, keys: keys, now: time.Now}
}

func init() {
	secrets.RegisterReencrypter(store.Integrations, secrets.SealedValues(func(p []string, _ []byte) []byte {
		return credAD(p[1])
	}, store.Integrations))
	secrets.RegisterReencrypter(store.Vendor, secrets.SealedValues(func(p []string, k []byte) []byte {
		return stateAD(p[1], string(k))
	}, store.Vendor))
}

func credAD(id string) []byte       { return []byte(store.Integrations + "/" + id) }
func stateAD(id, key string) []byte { return []byte(store.Vendor + "/" + id + "/" + key) }
func recordKey() []byte             { return []byte("record") }
func credKey() []byte               { return []byte("credentials") }
func newID(vendor string) string {
	var b [4]byte
	rand.Read(b[:])
	return vendor + "-" + hex.EncodeToString(b[:])
}

var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidID reports whether id is usable as an integration id.
func ValidID(id string) bool { return idRe.MatchString(id) }

// Connect stores a new integration. id may be empty (one is generated).
func (s *Store) Connect(id, vendor, name string, creds map[string]secrets.Secret, settings map[string]string) (Integration, error) {
	if id == "" {
		id = newID(vendor)
	}
	if !ValidID(id) {
		return Integration{}, fmt.Errorf("integration id %q: use lowercase letters, digits, '-' and '_'", id)
	}
	fields := make([]string, 0, len(creds))
	for k := range creds {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	in := Integration{ID: id, Vendor: vendor, Name: name, Settings: settings, ConnectedOn: s.now().UTC().Truncate(time.Second), CredentialFields: fields}
	rec, err := json.Marshal(in)
	if err != nil {
		return Integration{}, err
	}
	err = s.db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(store.Integrations, id)
		if b.Has(recordKey()) {
			return fmt.Errorf("%w: %s", ErrExists, id)
		}
		sealed, err := s.keys.SealMap(creds, credAD(id))
		if err != nil {
			return err
		}
		if err := b.Put(credKey(), sealed); err != nil {
			return err
		}
		return b.Put(recordKey(), rec)
	})
	if err != nil {
		return Integration{}, err
	}
	return in, nil
}

// Get returns one integration.
func (s *Store) Get(id string) (Integration, error) {
	var in Integration
	err := s.db.View(func(tx *store.Tx) error {
		raw := tx.Bucket(store.Integrations, id).Get(recordKey())
		if raw == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return json.Unmarshal(raw, &in)
	})
	return in, err
}

// List returns every integration, sorted by id.
func (s *Store) List() ([]Integration, error) {
	var out []Integration
	err := s.db.View(func(tx *store.Tx) error {
		top := tx.Bucket(store.Integrations)
		for _, id := range top.Buckets() {
			raw := top.Sub(id).Get(recordKey())
			if raw == nil {
				continue
			}
			var in Integration
			if err := json.Unmarshal(raw, &in); err != nil {
				return fmt.Errorf("integration %s: %w", id, err)
			}
			out = append(out, in)
		}
		return nil
	})
	return out, err
}

// Credentials opens an integration's credentials.
func (s *Store) Credentials(id string) (map[string]string, error) {
	var sealed []byte
	if err := s.db.View(func(tx *store.Tx) error {
		sealed = tx.Bucket(store.Integrations, id).Get(credKey())
		return nil
	}); err != nil {
		return nil, err
	}
	if sealed == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	m, err := s.keys.OpenMap(sealed, credAD(id))
	if err != nil {
		return nil, fmt.Errorf("credentials of integration %s: %w", id, err)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v.Reveal()
	}
	return out, nil
}

// Delete removes the integration, its credentials and all its vendor
// state, cursors and applied menus.
func (s *Store) Delete(id string) error {
	return s.db.Update(func(tx *store.Tx) error {
		if !tx.Bucket(store.Integrations, id).Has(recordKey()) {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		for _, p := range [][]string{{store.Integrations, id}, {store.Vendor, id}} {
			if err := tx.DeleteBucket(p...); err != nil {
				return err
			}
		}
		for _, b := range []string{store.Cursors, store.Menus} {
			if err := tx.Bucket(b).Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// State returns the encrypted vendor state of integration id.
func (s *Store) State(id string) pos.State { return &state{s: s, id: id} }

type state struct {
	s  *Store
	id string
}

var _ pos.State = (*state)(nil)

func (st *state) Get(key string) ([]byte, error) {
	var sealed []byte
	if err := st.s.db.View(func(tx *store.Tx) error {
		sealed = tx.Bucket(store.Vendor, st.id).Get([]byte(key))
		return nil
	}); err != nil || sealed == nil {
		return nil, err
	}
	return st.s.keys.Open(sealed, stateAD(st.id, key))
}

func (st *state) Put(key string, value []byte) error {
	return st.s.db.Update(func(tx *store.Tx) error {
		return tx.Bucket(store.Vendor, st.id).Put([]byte(key), st.s.keys.Seal(value, stateAD(st.id, key)))
	})
}

func (st *state) Delete(key string) error {
	return st.s.db.Update(func(tx *store.Tx) error {
		return tx.Bucket(store.Vendor, st.id).Delete([]byte(key))
	})
}

// DeleteKeys deletes keys in one transaction (missing keys are fine).
func (st *state) DeleteKeys(keys []string) error {
	return st.s.db.Update(func(tx *store.Tx) error {
		bk := tx.Bucket(store.Vendor, st.id)
		for _, k := range keys {
			if err := bk.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (st *state) List(prefix string) (map[string][]byte, error) {
	type kv struct {
		k string
		v []byte
	}
	var sealed []kv
	err := st.s.db.View(func(tx *store.Tx) error {
		return tx.Bucket(store.Vendor, st.id).Scan([]byte(prefix), func(k, v []byte) (bool, error) {
			if !strings.HasPrefix(string(k), prefix) {
				return false, nil
			}
			sealed = append(sealed, kv{string(k), append([]byte(nil), v...)})
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(sealed))
	for _, e := range sealed {
		v, err := st.s.keys.Open(e.v, stateAD(st.id, e.k))
		if err != nil {
			return nil, fmt.Errorf("vendor state %s/%s: %w", st.id, e.k, err)
		}
		out[e.k] = v
	}
	return out, nil
}
