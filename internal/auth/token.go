package auth

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/internal/store"
)

// Role is what a token may do.
type Role string

// The roles. Admin may call everything.
const (
	Admin    Role = "admin"
	Staff    Role = "staff"
	Terminal Role = "terminal"
	// Metrics may only read GET /metrics: a Prometheus scraper's token.
	Metrics Role = "metrics"
)

// Roles lists the valid roles.
func Roles() []Role { return []Role{Admin, Staff, Terminal, Metrics} }

// ParseRole checks a role name from the CLI or a request.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles(), r) {
		return "", fmt.Errorf("role %q (want admin, staff, terminal or metrics): %w", s, ErrBadRole)
	}
	return r, nil
}

// Token describes an issued token; it never holds the token itself.
type Token struct {
	ID        string    `json:"id"` // "tok_" + 16 hex digits
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used,omitzero"`  // at most a minute stale
	RevokedAt time.Time `json:"revoked_at,omitzero"` // zero while active
}

// Revoked reports whether the token was revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// Actor names the caller in audit records: "token:<name>".
func (t Token) Actor() string { return "token:" + t.Name }

// LogValue logs a token as its id, name and role.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", t.ID), slog.String("name", t.Name), slog.String("role", string(t.Role)))
}

// record is a token as stored: the Token plus the hash of its secret.
type record struct {
	Token
	Hash string `json:"sha256"` // hex
	Seq  uint64 `json:"seq"`    // creation order
}

const (
	tokenPrefix  = "ae_"
	tokenRawSize = 32
	tokenLen     = len(tokenPrefix) + 43 // base64url of 32 bytes, unpadded
	idPrefix     = "tok_"
	maxNameLen   = 64
)

func hashToken(tok string) [sha256.Size]byte { return sha256.Sum256([]byte(tok)) }

// checkTokenForm reports whether tok has the form Create produces.
func checkTokenForm(tok string) error {
	if len(tok) != tokenLen || !strings.HasPrefix(tok, tokenPrefix) {
		return fmt.Errorf("%w: not an aura-edge token (want %s followed by 43 characters)", ErrMalformedToken, tokenPrefix)
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(tok[len(tokenPrefix):]); err != nil {
		return fmt.Errorf("%w: not an aura-edge token", ErrMalformedToken)
	}
	return nil
}

func checkName(name string) error {
	if name == "" || len(name) > maxNameLen || strings.HasPrefix(name, idPrefix) {
		return fmt.Errorf("token name %q: %w (1-%d letters, digits, '.', '_' or '-', not starting with %q)", name, ErrBadName, maxNameLen, idPrefix)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("token name %q: %w (1-%d letters, digits, '.', '_' or '-')", name, ErrBadName, maxNameLen)
		}
	}
	return nil
}

// Create issues a token with role and a name unique among active tokens
// ("kiosk-1", "ops-laptop"). It returns the token, which is shown once and
// never stored, and its description.
func Create(db *store.DB, role Role, name string) (string, Token, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", Token{}, err
	}
	if err := checkName(name); err != nil {
		return "", Token{}, err
	}
	var raw [tokenRawSize]byte
	rand.Read(raw[:]) // never fails (crypto/rand since Go 1.24)
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	var idb [8]byte
	rand.Read(idb[:])
	h := hashToken(secret)
	rec := record{
		Token: Token{ID: idPrefix + hex.EncodeToString(idb[:]), Name: name, Role: role, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)},
		Hash:  hex.EncodeToString(h[:]),
	}
	err := db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(store.Tokens)
		recs, err := readAll(b)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.Name == name && !r.Revoked() {
				return fmt.Errorf("token name %q (%s): %w", name, r.ID, ErrNameTaken)
			}
		}
		// The sequence orders tokens and tells Authenticators to reload.
		if rec.Seq, err = b.NextSequence(); err != nil {
			return err
		}
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b.Put([]byte(rec.ID), v)
	})
	changed(db)
	if err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	return secret, rec.Token, nil
}

// List returns all tokens, revoked ones included, oldest first.
func List(db *store.DB) ([]Token, error) {
	var recs []record
	err := db.View(func(tx *store.Tx) error {
		var err error
		recs, err = readAll(tx.Bucket(store.Tokens))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	slices.SortFunc(recs, func(a, b record) int { return cmp.Compare(a.Seq, b.Seq) })
	out := make([]Token, len(recs))
	for i, r := range recs {
		out[i] = r.Token
	}
	return out, nil
}

// Revoke revokes the token with id idOrName, or else the active token named
// idOrName, and returns it. Revoking a revoked token by id is a no-op.
func Revoke(db *store.DB, idOrName string) (Token, error) {
	var tok Token
	err := db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(store.Tokens)
		recs, err := readAll(b)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(recs, func(r record) bool { return r.ID == idOrName })
		if i < 0 {
			i = slices.IndexFunc(recs, func(r record) bool { return r.Name == idOrName && !r.Revoked() })
		}
		if i < 0 {
			return fmt.Errorf("token %q: %w", idOrName, ErrNotFound)
		}
		rec := recs[i]
		if rec.Revoked() {
			tok = rec.Token
			return nil
		}
		rec.RevokedAt = time.Now().UTC().Truncate(time.Millisecond)
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(rec.ID), v); err != nil {
			return err
		}
		tok = rec.Token
		_, err = b.NextSequence()
		return err
	})
	changed(db)
	if err != nil {
		return Token{}, fmt.Errorf("revoke token: %w", err)
	}
	return tok, nil
}

func readAll(b *store.Bucket) ([]record, error) {
	var recs []record
	err := b.ForEach(func(k, v []byte) error {
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("token record %q: %w", k, err)
		}
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

func decodeHash(s string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return h, errors.New("bad token hash")
	}
	copy(h[:], b)
	return h, nil
}
