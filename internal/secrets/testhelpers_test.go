package secrets

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/auraconnect/aura-edge/internal/store"
)

// integration is the shape of a pos_integrations record in these tests:
// the credentials field holds a sealed value inside JSON (base64).
type integration struct {
	ID          string `json:"id"`
	Vendor      string `json:"vendor"`
	Credentials []byte `json:"credentials"`
}

// registerTestReencrypters registers re-encrypters for the two places the
// daemon keeps secrets, the way their owners would.
func registerTestReencrypters(t *testing.T) {
	RegisterReencrypterForTest(t, "test_integrations", func(tx *store.Tx, reseal Reseal) error {
		b := tx.Bucket(store.Integrations)
		var recs []integration
		if err := b.ForEach(func(k, v []byte) error {
			var r integration
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("record %q: %w", k, err)
			}
			recs = append(recs, r)
			return nil
		}); err != nil {
			return err
		}
		for _, r := range recs {
			ct, err := reseal(r.Credentials, []byte(r.ID))
			if err != nil {
				return fmt.Errorf("integration %s: %w", r.ID, err)
			}
			r.Credentials = ct
			v, _ := json.Marshal(r)
			if err := b.Put([]byte(r.ID), v); err != nil {
				return err
			}
		}
		return nil
	})
	RegisterReencrypterForTest(t, "test_vendor_state",
		SealedValues(func(p []string, _ []byte) []byte { return []byte(p[1]) }, store.Vendor))
}

type fixture struct {
	creds  map[string]string            // integration id -> access token
	vendor map[string]map[string]string // integration id -> key -> value
}

func newFixture(n int) fixture {
	f := fixture{creds: map[string]string{}, vendor: map[string]map[string]string{}}
	for i := range n {
		id := fmt.Sprintf("int_%d", i)
		f.creds[id] = fmt.Sprintf("EAAAl-access-token-%04d-very-secret", i)
		f.vendor[id] = map[string]string{
			"token/refresh": fmt.Sprintf("refresh-token-%04d-very-secret", i),
			"token/access":  fmt.Sprintf("cached-access-%04d-very-secret", i),
		}
	}
	return f
}

// write stores the fixture, sealing inside the transaction.
func (f fixture) write(t testing.TB, db *store.DB, kr *Keyring) {
	t.Helper()
	err := db.Update(func(tx *store.Tx) error {
		for id, tok := range f.creds {
			ct, err := kr.SealMap(map[string]Secret{"access_token": Secret(tok)}, []byte(id))
			if err != nil {
				return err
			}
			v, _ := json.Marshal(integration{ID: id, Vendor: "square", Credentials: ct})
			if err := tx.Bucket(store.Integrations).Put([]byte(id), v); err != nil {
				return err
			}
			vb := tx.Bucket(store.Vendor, id)
			for k, val := range f.vendor[id] {
				if err := vb.Put([]byte(k), kr.Seal([]byte(val), []byte(id))); err != nil {
					return err
				}
			}
			// Plain vendor state (an id mapping) stays as it is.
			if err := vb.Sub("mappings").Put([]byte("item/1"), []byte(`{"vendor_id":"SQ1"}`)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// check reads every secret back through kr.
func (f fixture) check(t testing.TB, db *store.DB, kr *Keyring) {
	t.Helper()
	err := db.View(func(tx *store.Tx) error {
		for id, tok := range f.creds {
			var r integration
			if err := json.Unmarshal(tx.Bucket(store.Integrations).Get([]byte(id)), &r); err != nil {
				return fmt.Errorf("integration %s: %w", id, err)
			}
			m, err := kr.OpenMap(r.Credentials, []byte(id))
			if err != nil {
				return fmt.Errorf("integration %s credentials: %w", id, err)
			}
			if got := m["access_token"].Reveal(); got != tok {
				return fmt.Errorf("integration %s: access_token %q, want %q", id, got, tok)
			}
			vb := tx.Bucket(store.Vendor, id)
			for k, want := range f.vendor[id] {
				pt, err := kr.Open(vb.Get([]byte(k)), []byte(id))
				if err != nil {
					return fmt.Errorf("vendor state %s/%s: %w", id, k, err)
				}
				if string(pt) != want {
					return fmt.Errorf("vendor state %s/%s = %q, want %q", id, k, pt, want)
				}
			}
			if got := vb.Sub("mappings").Get([]byte("item/1")); string(got) != `{"vendor_id":"SQ1"}` {
				return fmt.Errorf("plain mapping changed: %q", got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func openStore(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func keyPath(dir string) string { return filepath.Join(dir, DefaultFileName) }
