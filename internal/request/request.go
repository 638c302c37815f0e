// Package request is the one request layer of aura-edge's two front-ends,
// the local HTTP API and the cloud's MQTT commands: a request is decoded
// (Decode: strict JSON with errors in people's words) and validated by its
// type's Validate once, with the same types and the same messages whichever
// way it came.
package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// Error is what is wrong with a request: a short machine code (bad_json,
// bad_type, unknown_field, bad_time, bad_value, invalid, ...), a sentence
// saying what to do, and the JSON path of the field when one is at fault.
type Error struct {
	Code    string
	Message string
	Field   string
}

func (e *Error) Error() string { return e.Message }

// Invalid is a validation error of field.
func Invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &Error{Code: "invalid", Message: msg, Field: field}
}

// Decode reads exactly one JSON value from data into v strictly: unknown
// fields, trailing data and wrong types are an *Error naming the field in
// words a person can act on (never Go type names).
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &Error{"bad_json", "there is more data after the JSON value; send exactly one JSON value", ""}
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &pe):
		return &Error{"bad_time", fmt.Sprintf("a time must be in RFC 3339 form, e.g. \"2026-12-03T10:00:00Z\", not %q", pe.Value), ""}
	case errors.As(err, &se):
		return &Error{"bad_json", fmt.Sprintf("the body is not valid JSON (at byte %d: %s)", se.Offset, plainSyntax(se.Error())), ""}
	case errors.As(err, &te):
		field := te.Field
		want := kindOf(te.Type)
		got := jsonKind(te.Value)
		if field == "" {
			return &Error{"bad_type", fmt.Sprintf("the body must be %s, not %s", want, got), ""}
		}
		return &Error{"bad_type", fmt.Sprintf("%s: must be %s, not %s", field, want, got), field}
	case errors.Is(err, io.EOF):
		return &Error{"bad_json", "the body is empty; send a JSON object", ""}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{"bad_json", "the JSON body ends too early; send the whole document", ""}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return &Error{"unknown_field", fmt.Sprintf("%s: is not a field of this request; check the spelling against /v1/openapi.json", f), f}
	}
	// A value's own decoder (quantities, times) said no.
	return &Error{"bad_value", "a value is not in the expected form: " + Plain(strings.TrimPrefix(msg, "json: ")), ""}
}

// kindOf names a Go type in JSON words.
func kindOf(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[time.Time]() {
		return "a time in RFC 3339 form (text such as \"2026-12-03T10:00:00Z\")"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number of at least 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a different kind of value"
}

// jsonKind names what encoding/json found ("string", "number 1.5", ...).
func jsonKind(v string) string {
	switch {
	case v == "string":
		return "text"
	case v == "bool":
		return "true or false"
	case v == "array":
		return "a list"
	case v == "object":
		return "an object"
	case strings.HasPrefix(v, "number"):
		return "a number"
	}
	return Plain(v)
}

// goName matches what only Go code says: package-qualified type names,
// map and slice types and the decoder's "Go value" wording.
var goName = regexp.MustCompile(`\b[a-z][a-z0-9]*\.[A-Z]\w*|map\[|\[\]\w|Go (value|struct)|\binterface \{|\bstruct \{|\bu?int(8|16|32|64)\b|\bfloat(32|64)\b`)

// Plain drops Go wording from a message meant for people.
func Plain(msg string) string {
	if goName.MatchString(msg) {
		return "the value has the wrong form"
	}
	return msg
}

func plainSyntax(msg string) string { return Plain(strings.TrimPrefix(msg, "json: ")) }
