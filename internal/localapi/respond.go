package localapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

// MaxBody is the largest request body the API reads (1 MiB).
const MaxBody = 1 << 20

// ProblemContentType is the media type of every error body (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is the one error shape of the API: an RFC 9457 problem details
// object. Detail is a sentence for a person; Code is stable for programs;
// Field is the JSON path of the offending input, and Errors lists every
// problem with its path when there are several.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// Instance is the request path the problem occurred on.
	Instance string          `json:"instance,omitempty"`
	Code     string          `json:"code"`
	Field    string          `json:"field,omitempty"`
	Errors   []model.Problem `json:"errors,omitempty"`
}

// ProblemType is the type URI of a problem code.
func ProblemType(code string) string { return "urn:aura-edge:problem:" + code }

// NewProblem builds a problem for status and code.
func NewProblem(status int, code, detail, field string) Problem {
	return Problem{Type: ProblemType(code), Title: http.StatusText(status), Status: status, Detail: detail, Code: code, Field: field}
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", ProblemContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}

// WriteError writes a problem with one message.
func WriteError(w http.ResponseWriter, status int, code, message, field string) {
	WriteProblem(w, NewProblem(status, code, message, field))
}

// writeProblems writes validation problems as a 400; prefix is put before
// every path ("order." for an order inside a print request).
func writeProblems(w http.ResponseWriter, ps model.Problems, prefix string) {
	ps = prefixed(ps, prefix)
	detail := ps[0].String()
	if len(ps) > 1 {
		detail = strconv.Itoa(len(ps)) + " problems; the first: " + detail
	}
	p := NewProblem(http.StatusBadRequest, "invalid", detail, ps[0].Path)
	p.Errors = ps
	WriteProblem(w, p)
}

func prefixed(ps model.Problems, prefix string) model.Problems {
	out := make(model.Problems, len(ps))
	for i, p := range ps {
		if prefix != "" {
			if strings.HasPrefix(p.Path, "[") {
				p.Path = strings.TrimSuffix(prefix, ".") + p.Path
			} else {
				p.Path = prefix + p.Path
			}
		}
		out[i] = p
	}
	return out
}

// internalError answers 500 without the cause, which goes to the log: a
// client cannot act on it and it may name internals.
func internalError(w http.ResponseWriter, what string) {
	WriteError(w, http.StatusInternalServerError, "internal", what+" failed on this device; the details are in its log", "")
}

// decodeError is a request body problem, mapped to 400, 413 or 415.
type decodeError struct {
	status int
	code   string
	msg    string
	field  string
}

func (e *decodeError) Error() string { return e.msg }

func (e *decodeError) write(w http.ResponseWriter) { WriteError(w, e.status, e.code, e.msg, e.field) }

// errContentType is the 415 for a body that is not JSON.
func errContentType(got string) *decodeError {
	if got == "" {
		return &decodeError{http.StatusUnsupportedMediaType, "unsupported_media_type",
			"the body was sent without a Content-Type; send it as JSON with the header \"Content-Type: application/json\"", ""}
	}
	return &decodeError{http.StatusUnsupportedMediaType, "unsupported_media_type",
		fmt.Sprintf("the body was sent as %q; send it as JSON with the header \"Content-Type: application/json\"", got), ""}
}

// jsonContentType reports whether ct is a JSON media type. A body without
// a Content-Type is refused like one with the wrong type, so a till that
// forgets the header learns it at once, not from lost data.
func jsonContentType(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// DecodeJSON reads one JSON value from r's body into v strictly: unknown
// fields, trailing data, wrong types and bodies over limit bytes are errors
// naming the field.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); !jsonContentType(ct) {
		return errContentType(ct)
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	data, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &decodeError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the request body is over %d bytes; send less", limit), ""}
		}
		return &decodeError{http.StatusBadRequest, "bad_body", "the request body could not be read to the end; send it again", ""}
	}
	return decodeBytes(data, v)
}

func decodeBytes(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &decodeError{http.StatusBadRequest, "bad_json", "there is more data after the JSON value; send exactly one JSON value", ""}
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &pe):
		return &decodeError{http.StatusBadRequest, "bad_time", fmt.Sprintf("a time must be in RFC 3339 form, e.g. \"2026-12-03T10:00:00Z\", not %q", pe.Value), ""}
	case errors.As(err, &se):
		return &decodeError{http.StatusBadRequest, "bad_json", fmt.Sprintf("the body is not valid JSON (at byte %d: %s)", se.Offset, plainSyntax(se.Error())), ""}
	case errors.As(err, &te):
		field := te.Field
		want := kindOf(te.Type)
		got := jsonKind(te.Value)
		if field == "" {
			return &decodeError{http.StatusBadRequest, "bad_type", fmt.Sprintf("the body must be %s, not %s", want, got), ""}
		}
		return &decodeError{http.StatusBadRequest, "bad_type", fmt.Sprintf("%s: must be %s, not %s", field, want, got), field}
	case errors.Is(err, io.EOF):
		return &decodeError{http.StatusBadRequest, "bad_json", "the body is empty; send a JSON object", ""}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &decodeError{http.StatusBadRequest, "bad_json", "the JSON body ends too early; send the whole document", ""}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return &decodeError{http.StatusBadRequest, "unknown_field", fmt.Sprintf("%s: is not a field of this request; check the spelling against /v1/openapi.json", f), f}
	}
	// A value's own decoder (quantities, times) said no.
	return &decodeError{http.StatusBadRequest, "bad_value", "a value is not in the expected form: " + plain(strings.TrimPrefix(msg, "json: ")), ""}
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
	return plain(v)
}

// goName matches what only Go code says: package-qualified type names,
// map and slice types and the decoder's "Go value" wording.
var goName = regexp.MustCompile(`\b[a-z][a-z0-9]*\.[A-Z]\w*|map\[|\[\]\w|Go (value|struct)|\binterface \{|\bstruct \{|\bu?int(8|16|32|64)\b|\bfloat(32|64)\b`)

// plain drops Go wording from a message meant for people.
func plain(msg string) string {
	if goName.MatchString(msg) {
		return "the value has the wrong form"
	}
	return msg
}

func plainSyntax(msg string) string { return plain(strings.TrimPrefix(msg, "json: ")) }

// WriteDecodeError writes err from DecodeJSON as a problem.
func WriteDecodeError(w http.ResponseWriter, err error) {
	var de *decodeError
	if errors.As(err, &de) {
		de.write(w)
		return
	}
	WriteError(w, http.StatusBadRequest, "bad_request", plain(err.Error()), "")
}
