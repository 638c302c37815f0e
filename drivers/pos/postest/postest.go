package postest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Request is one recorded request.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// NewRequest copies what a stand-in records of r; body is r's body, already
// read.
func NewRequest(r *http.Request, body []byte) Request {
	return Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
}

// IsWrite reports whether r changes state (every method but GET and HEAD).
func (r Request) IsWrite() bool { return r.Method != http.MethodGet && r.Method != http.MethodHead }

// Recorder keeps the requests a stand-in received. The zero value is ready
// to use, and it is safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	reqs []Request
}

// Record appends req.
func (rec *Recorder) Record(req Request) {
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, req)
	rec.mu.Unlock()
}

// Requests returns every request received so far.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Request(nil), rec.reqs...)
}

// Writes returns the recorded requests that change state.
func (rec *Recorder) Writes() []Request {
	var out []Request
	for _, r := range rec.Requests() {
		if r.IsWrite() {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (rec *Recorder) ResetRequests() {
	rec.mu.Lock()
	rec.reqs = nil
	rec.mu.Unlock()
}

// Faults is a queue of injected failures of a stand-in's own fault type F.
// The zero value is ready to use, and it is safe for concurrent use.
type Faults[F any] struct {
	mu      sync.Mutex
	pending []pendingFault[F]
}

type pendingFault[F any] struct {
	f F
	n int
}

// FailNext makes the next n matching requests fail with f.
func (q *Faults[F]) FailNext(n int, f F) {
	q.mu.Lock()
	q.pending = append(q.pending, pendingFault[F]{f: f, n: n})
	q.mu.Unlock()
}

// TakeFault returns the oldest pending fault that match accepts and uses up
// one of its n; ok is false when none is left.
func (q *Faults[F]) TakeFault(match func(F) bool) (f F, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.pending {
		pf := &q.pending[i]
		if pf.n > 0 && match(pf.f) {
			pf.n--
			return pf.f, true
		}
	}
	return f, false
}

// Matches reports whether a fault scoped by method and pathContains hits
// r: an empty method hits every method, and an empty pathContains every path
// that starts with defaultPrefix.
func Matches(r *http.Request, method, pathContains, defaultPrefix string) bool {
	if method != "" && method != r.Method {
		return false
	}
	if pathContains != "" {
		return strings.Contains(r.URL.Path, pathContains)
	}
	return strings.HasPrefix(r.URL.Path, defaultPrefix)
}

// WriteFault answers an injected fault: the Retry-After header when
// retryAfter is set, Content-Type application/json and status, then body:
// a []byte as it is, anything else encoded as JSON (with a newline, as
// json.Encoder writes it).
func WriteFault(w http.ResponseWriter, status int, retryAfter string, body any) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if b, ok := body.([]byte); ok {
		_, _ = w.Write(b)
		return
	}
	_ = json.NewEncoder(w).Encode(body)
}
