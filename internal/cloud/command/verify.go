package command

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"time"
)

// verifier checks command signatures against the configured keys.
type verifier struct {
	storeID       string
	keys          map[string]ed25519.PublicKey // by KeyID
	order         []string                     // key ids in config order
	allowUnsigned map[string]bool
}

func newVerifier(storeID string, keys []string, allowUnsigned []string) (*verifier, error) {
	v := &verifier{storeID: storeID, keys: map[string]ed25519.PublicKey{}, allowUnsigned: map[string]bool{}}
	for i, k := range keys {
		pub, err := ParsePublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("command_keys[%d]: %w", i, err)
		}
		id := KeyID(pub)
		if _, dup := v.keys[id]; !dup {
			v.order = append(v.order, id)
		}
		v.keys[id] = pub
	}
	for _, name := range allowUnsigned {
		v.allowUnsigned[name] = true
	}
	return v, nil
}

// verify checks authenticity (not freshness). It returns whether the
// command was signed and by which key.
func (v *verifier) verify(env *Envelope) (signed bool, keyID string, cerr *Error) {
	if env.Signature == "" {
		if v.allowUnsigned[env.Type] {
			return false, "", nil
		}
		return false, "", rejected(CodeUnsigned, "command type %q must be signed", env.Type)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false, "", rejected(CodeBadSignature, "signature is not base64 of 64 bytes")
	}
	msg := SignedBytes(env.ID, env.Type, v.storeID, env.Time, env.Expires, env.Data)
	if env.KeyID != "" {
		pub, ok := v.keys[env.KeyID]
		if !ok {
			return false, "", rejected(CodeUnknownKey, "key %q is not one of this store's command keys", env.KeyID)
		}
		if !ed25519.Verify(pub, msg, sig) {
			return false, "", rejected(CodeBadSignature, "signature does not verify with key %q", env.KeyID)
		}
		return true, env.KeyID, nil
	}
	for _, id := range v.order {
		if ed25519.Verify(v.keys[id], msg, sig) {
			return true, id, nil
		}
	}
	if len(v.order) == 0 {
		return false, "", rejected(CodeUnknownKey, "no command keys are configured")
	}
	return false, "", rejected(CodeBadSignature, "signature does not verify with any command key")
}

// checkExpiry enforces expires: required for signed commands, and in the
// future for any command that carries it.
func checkExpiry(env *Envelope, signed bool, now time.Time) (time.Time, *Error) {
	if env.Expires == "" {
		if signed {
			return time.Time{}, rejected(CodeExpired, "signed command has no expires")
		}
		return time.Time{}, nil
	}
	exp, err := time.Parse(time.RFC3339Nano, env.Expires)
	if err != nil {
		return time.Time{}, malformed("expires is not RFC 3339")
	}
	if !now.Before(exp) {
		return exp, rejected(CodeExpired, "command expired at %s", env.Expires)
	}
	if exp.Sub(now) > MaxLifetime {
		// A long-lived signed command could be replayed after its id was
		// forgotten (commands_seen keeps ids for command_ttl).
		return exp, rejected(CodeExpired, "expires %s is more than %s ahead: commands must be short-lived", env.Expires, MaxLifetime)
	}
	return exp, nil
}

// MaxLifetime is how far ahead a command's expires may be (with a
// little clock skew), well inside the default command_ttl of 7 days.
const MaxLifetime = 24*time.Hour + 5*time.Minute
