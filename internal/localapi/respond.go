package localapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxBody is the largest request body the API reads (1 MiB).
const MaxBody = 1 << 20

// ErrorBody is the one error shape of the API.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes what went wrong; Field names the offending input
// (a JSON path) when there is one.
type ErrorDetail struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Field    string `json:"field,omitempty"`
	Problems any    `json:"problems,omitempty"`
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

// WriteError writes the API's error shape.
func WriteError(w http.ResponseWriter, status int, code, message, field string) {
	WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message, Field: field}})
}

// decodeError is a request body problem, mapped to 400 or 413.
type decodeError struct {
	status int
	code   string
	msg    string
	field  string
}

func (e *decodeError) Error() string { return e.msg }

func (e *decodeError) write(w http.ResponseWriter) { WriteError(w, e.status, e.code, e.msg, e.field) }

// DecodeJSON reads one JSON value from r's body into v strictly: unknown
// fields, trailing data, wrong types and bodies over limit bytes are errors
// naming the field.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if err := checkJSONType(r); err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	data, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &decodeError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body is over %d bytes", limit), ""}
		}
		return &decodeError{http.StatusBadRequest, "bad_body", "read body: " + err.Error(), ""}
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
		return &decodeError{http.StatusBadRequest, "bad_json", "unexpected data after the JSON value", ""}
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &decodeError{http.StatusBadRequest, "bad_json", fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se), ""}
	case errors.As(err, &te):
		return &decodeError{http.StatusBadRequest, "bad_type", fmt.Sprintf("%s must be %s, not %s", te.Field, te.Type, te.Value), te.Field}
	case errors.Is(err, io.EOF):
		return &decodeError{http.StatusBadRequest, "bad_json", "empty body", ""}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &decodeError{http.StatusBadRequest, "bad_json", "truncated JSON", ""}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return &decodeError{http.StatusBadRequest, "unknown_field", fmt.Sprintf("unknown field %q", f), f}
	}
	return &decodeError{http.StatusBadRequest, "bad_json", strings.TrimPrefix(msg, "json: "), ""}
}

// writeDecodeError writes err from DecodeJSON.
func writeDecodeError(w http.ResponseWriter, err error) {
	var de *decodeError
	if errors.As(err, &de) {
		de.write(w)
		return
	}
	WriteError(w, http.StatusBadRequest, "bad_request", err.Error(), "")
}

// checkJSONType refuses a body that is not declared as JSON, a missing
// Content-Type included: the same 415 for both, naming what to send.
func checkJSONType(r *http.Request) *decodeError {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return nil
	}
	had := "no Content-Type"
	if ct != "" {
		had = "Content-Type: " + ct
	}
	return &decodeError{http.StatusUnsupportedMediaType, "unsupported_media_type",
		"send Content-Type: application/json (this request had " + had + ")", ""}
}
