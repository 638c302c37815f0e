package cloud

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxCommandSize is the largest command payload accepted (1 MiB).
const MaxCommandSize = 1 << 20

// SigningContext starts the bytes a command signature covers.
const SigningContext = "aura-cmd-v1"

// Result statuses.
const (
	StatusOK       = "ok"
	StatusError    = "error"
	StatusRejected = "rejected"
)

// Result and audit codes.
const (
	CodeOK           = "ok"
	CodeMalformed    = "malformed"
	CodeTooLarge     = "too_large"
	CodeUnknownType  = "unknown_type"
	CodeUnsigned     = "unsigned"
	CodeBadSignature = "bad_signature"
	CodeUnknownKey   = "unknown_key"
	CodeExpired      = "expired"
	CodeReplayed     = "replayed"
	CodeHandler      = "handler_error"
	CodeInterrupted  = "interrupted"
	CodeTimeout      = "timeout"
)

// CommandEnvelope is a command as the cloud sends it: a CloudEvents 1.0
// structured JSON envelope plus the signature members expires, keyid and
// signature. See SIGNING.md.
type CommandEnvelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source,omitempty"`
	Type            string          `json:"type"`
	Time            string          `json:"time,omitempty"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"`
	Expires         string          `json:"expires,omitempty"`
	KeyID           string          `json:"keyid,omitempty"`
	Signature       string          `json:"signature,omitempty"`
}

// CommandError is why a command was not executed, or what a handler wants
// its error result to say. Handlers may return one (wrapped or not) to
// choose the result's code.
type CommandError struct {
	Status  string // StatusError or StatusRejected; empty means StatusError
	Code    string
	Message string
}

func (e *CommandError) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Is makes errors.Is(err, ErrBadCommand) true for the link's own refusals.
func (e *CommandError) Is(target error) bool { return target == ErrBadCommand }

func malformed(format string, args ...any) *CommandError {
	return &CommandError{Status: StatusError, Code: CodeMalformed, Message: fmt.Sprintf(format, args...)}
}

func rejected(code, format string, args ...any) *CommandError {
	return &CommandError{Status: StatusRejected, Code: code, Message: fmt.Sprintf(format, args...)}
}

// DecodeCommand parses a command payload. It refuses payloads over
// MaxCommandSize, anything but one JSON object, duplicate members, known
// members of the wrong JSON type, and ids, types and times that are empty,
// too long or contain control characters (they are joined by newlines in
// the signed bytes). The data member keeps its exact bytes. The error is a
// *CommandError.
func DecodeCommand(payload []byte) (*CommandEnvelope, error) {
	if len(payload) > MaxCommandSize {
		return nil, &CommandError{Status: StatusError, Code: CodeTooLarge, Message: fmt.Sprintf("command is %d bytes, the limit is %d", len(payload), MaxCommandSize)}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed("not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, malformed("not a JSON object")
	}
	var env CommandEnvelope
	seen := map[string]bool{}
	strField := map[string]*string{
		"specversion": &env.SpecVersion, "id": &env.ID, "source": &env.Source, "type": &env.Type,
		"time": &env.Time, "datacontenttype": &env.DataContentType, "expires": &env.Expires,
		"keyid": &env.KeyID, "signature": &env.Signature,
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed("bad JSON: %v", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, malformed("bad JSON member name")
		}
		if seen[key] {
			return nil, malformed("duplicate member %q", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformed("bad JSON in %q: %v", key, err)
		}
		if key == "data" {
			env.Data = raw
			continue
		}
		dst, known := strField[key]
		if !known {
			continue // CloudEvents extension: ignored
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return nil, malformed("member %q must be a string", key)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, malformed("bad JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("trailing data after the JSON object")
	}
	if env.SpecVersion != "1.0" {
		return nil, malformed("specversion must be \"1.0\"")
	}
	for _, f := range []struct{ name, v string }{{"id", env.ID}, {"type", env.Type}} {
		if f.v == "" {
			return &env, malformed("%s is required", f.name)
		}
	}
	for _, f := range []struct{ name, v string }{{"id", env.ID}, {"type", env.Type}, {"time", env.Time}, {"expires", env.Expires}, {"keyid", env.KeyID}} {
		if len(f.v) > 200 || !utf8.ValidString(f.v) || strings.IndexFunc(f.v, isControl) >= 0 {
			return &env, malformed("%s must be at most 200 bytes of UTF-8 without control characters", f.name)
		}
	}
	if env.Time != "" {
		if _, err := time.Parse(time.RFC3339Nano, env.Time); err != nil {
			return &env, malformed("time is not RFC 3339: %q", env.Time)
		}
	}
	if env.Expires != "" {
		if _, err := time.Parse(time.RFC3339Nano, env.Expires); err != nil {
			return &env, malformed("expires is not RFC 3339: %q", env.Expires)
		}
	}
	return &env, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// SignedBytes returns the bytes a command signature covers:
//
//	"aura-cmd-v1\n" + id + "\n" + type + "\n" + store_id + "\n" + time + "\n" +
//	expires + "\n" + lowercase hex SHA-256 of the data member's exact bytes
//
// where data is "null" when the member is absent.
func SignedBytes(id, typ, storeID, t, expires string, data []byte) []byte {
	if len(data) == 0 {
		data = []byte("null")
	}
	sum := sha256.Sum256(data)
	var b bytes.Buffer
	for _, s := range []string{SigningContext, id, typ, storeID, t, expires} {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.Bytes()
}

// KeyID names a public key: the lowercase hex of the first 8 bytes of the
// SHA-256 of the 32 raw key bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// ParsePublicKey decodes a configured command key: standard base64 of the
// 32-byte Ed25519 key or of its DER SubjectPublicKeyInfo.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("not standard base64: %w", err)
	}
	if len(raw) == ed25519.PublicKeySize {
		return ed25519.PublicKey(raw), nil
	}
	pub, err := x509.ParsePKIXPublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("an Ed25519 public key is 32 bytes (or a DER SubjectPublicKeyInfo), got %d bytes", len(raw))
	}
	k, ok := pub.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, not Ed25519", pub)
	}
	return k, nil
}

// Sign sets env.Signature (and env.KeyID) for storeID with key. It signs
// env.Data as it is; Marshal writes those bytes unchanged. For the cloud
// side, tests and the demo.
func (env *CommandEnvelope) Sign(storeID string, key ed25519.PrivateKey) {
	pub := key.Public().(ed25519.PublicKey)
	env.KeyID = KeyID(pub)
	sig := ed25519.Sign(key, SignedBytes(env.ID, env.Type, storeID, env.Time, env.Expires, env.Data))
	env.Signature = base64.StdEncoding.EncodeToString(sig)
}

// Marshal encodes the envelope with env.Data copied byte for byte (unlike
// encoding/json, which compacts and escapes raw messages and so would
// change what the signature covers). Data must be valid JSON or empty.
func (env *CommandEnvelope) Marshal() ([]byte, error) {
	if len(env.Data) > 0 && !json.Valid(env.Data) {
		return nil, errors.New("command data is not valid JSON")
	}
	b := []byte{'{'}
	first := true
	add := func(k, v string, always bool) {
		if v == "" && !always {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, v)
	}
	add("specversion", env.SpecVersion, true)
	add("id", env.ID, true)
	add("source", env.Source, false)
	add("type", env.Type, true)
	add("time", env.Time, false)
	add("datacontenttype", env.DataContentType, false)
	add("expires", env.Expires, false)
	add("keyid", env.KeyID, false)
	add("signature", env.Signature, false)
	if len(env.Data) > 0 {
		b = append(b, `,"data":`...)
		b = append(b, env.Data...)
	}
	return append(b, '}'), nil
}

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
func (v *verifier) verify(env *CommandEnvelope) (signed bool, keyID string, cerr *CommandError) {
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
func checkExpiry(env *CommandEnvelope, signed bool, now time.Time) (time.Time, *CommandError) {
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
	if exp.Sub(now) > MaxCommandLifetime {
		// A long-lived signed command could be replayed after its id was
		// forgotten (commands_seen keeps ids for command_ttl).
		return exp, rejected(CodeExpired, "expires %s is more than %s ahead: commands must be short-lived", env.Expires, MaxCommandLifetime)
	}
	return exp, nil
}

// MaxCommandLifetime is how far ahead a command's expires may be (with a
// little clock skew), well inside the default command_ttl of 7 days.
const MaxCommandLifetime = 24*time.Hour + 5*time.Minute

// appendJSONString appends s as a JSON string (invalid UTF-8 becomes
// U+FFFD, as encoding/json does).
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
