package localapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/request"
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
	buf, err := readBody(w, r, limit)
	defer releaseBody(buf)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &decodeError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the request body is over %d bytes; send less", limit), ""}
		}
		return &decodeError{http.StatusBadRequest, "bad_body", "the request body could not be read to the end; send it again", ""}
	}
	return decodeBytes(*buf, v)
}

// bodies recycles request body buffers: the decoders copy what they keep
// (strings, raw JSON), so a buffer is free again once its body is decoded.
var bodies = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody is the largest buffer put back into bodies; a rare big
// body is not kept alive by the pool.
const maxPooledBody = 64 << 10

// readBody reads r's body, at most limit bytes (a longer one is an
// *http.MaxBytesError, as from io.ReadAll over http.MaxBytesReader), into
// a pooled buffer sized from Content-Length when the client sent one. The
// caller must not keep the bytes after releaseBody.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) (*[]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	bp := bodies.Get().(*[]byte)
	buf := (*bp)[:0]
	if n := r.ContentLength; n > 0 && n <= limit && int64(cap(buf)) <= n {
		buf = make([]byte, 0, n+1) // +1: room to read io.EOF without growing
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			*bp = buf
			if err == io.EOF {
				err = nil
			}
			return bp, err
		}
	}
}

// releaseBody gives a buffer from readBody back.
func releaseBody(bp *[]byte) {
	if cap(*bp) > maxPooledBody {
		*bp = nil
	}
	*bp = (*bp)[:0]
	bodies.Put(bp)
}

// decodeBytes decodes data into v with the request layer's strict
// decoder (the MQTT commands use the same one, so both front-ends say the
// same thing about the same mistake).
func decodeBytes(data []byte, v any) error { return requestError(request.Decode(data, v)) }

// decodeRecords is decodeBytes for the capture routes' bodies, with the
// request layer's faster decoder for them (request.DecodeRecords: the same
// answers).
func decodeRecords[T request.Records](data []byte, v *T) error {
	return requestError(request.DecodeRecords(data, v))
}

// requestError maps the request layer's *request.Error to a 400.
func requestError(err error) error {
	var re *request.Error
	if errors.As(err, &re) {
		return &decodeError{http.StatusBadRequest, re.Code, re.Message, re.Field}
	}
	return err
}

// plain drops Go wording from a message meant for people.
func plain(msg string) string { return request.Plain(msg) }

// WriteDecodeError writes err from DecodeJSON as a problem.
func WriteDecodeError(w http.ResponseWriter, err error) {
	var de *decodeError
	if errors.As(err, &de) {
		de.write(w)
		return
	}
	WriteError(w, http.StatusBadRequest, "bad_request", plain(err.Error()), "")
}
