package secrets

import (
	"fmt"
	"log/slog"
)

// Secret is a string that never shows itself: String, GoString, every fmt
// verb, JSON, text (YAML) and slog all give "[redacted]". Decoding from
// JSON or YAML fills it normally, so config fields can be Secrets. Call
// Reveal where the value is really needed.
type Secret string

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]".
func (s Secret) String() string { return redactedStr }

// GoString returns "[redacted]" (for %#v).
func (s Secret) GoString() string { return redactedStr }

// Format prints "[redacted]" for every verb.
func (s Secret) Format(f fmt.State, _ rune) { f.Write([]byte(redactedStr)) }

// MarshalJSON returns "[redacted]" as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redactedStr + `"`), nil }

// MarshalText returns "[redacted]" (YAML and other text encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redactedStr), nil }

// LogValue returns "[redacted]" for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redactedStr) }

var (
	_ fmt.Stringer   = Secret("")
	_ fmt.GoStringer = Secret("")
	_ fmt.Formatter  = Secret("")
	_ slog.LogValuer = Secret("")
)
