package pos

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ErrBadSignature is wrapped by VerifyWebhook when a signature is missing or
// does not match.
var ErrBadSignature = errors.New("webhook signature invalid")

// ErrUnsupported is returned when a vendor cannot do what was asked at all
// (Toast has no menu write API).
var ErrUnsupported = errors.New("not supported by this vendor")

// ErrorKind classifies a vendor failure so the scheduler knows what to do.
type ErrorKind string

// Error kinds (see VENDOR-APIS.md section 6).
const (
	Retryable   ErrorKind = "retryable"   // 429, 5xx, timeouts: back off and retry
	Auth        ErrorKind = "auth"        // 401 / expired token after one refresh: operator must act
	Conflict    ErrorKind = "conflict"    // version mismatch, 409: re-read and re-apply
	Invalid     ErrorKind = "invalid"     // other 4xx: permanent for this payload
	Unsupported ErrorKind = "unsupported" // the vendor cannot do this
)

// VendorError is a failed vendor call.
type VendorError struct {
	Vendor     string
	Op         string // "catalog batch-upsert", "search orders"
	Status     int    // HTTP status, 0 for transport errors
	Code       string // vendor error code, e.g. VERSION_MISMATCH
	Message    string
	Kind       ErrorKind
	RetryAfter time.Duration // from Retry-After, when given
	Err        error         // underlying transport error, if any
}

func (e *VendorError) Error() string {
	s := e.Vendor + " " + e.Op + ": "
	if e.Status != 0 {
		s += "http " + strconv.Itoa(e.Status) + " "
	}
	if e.Code != "" {
		s += e.Code + " "
	}
	if e.Message != "" {
		s += e.Message
	}
	if e.Err != nil {
		s += e.Err.Error()
	}
	return s + " (" + string(e.Kind) + ")"
}

func (e *VendorError) Unwrap() error { return e.Err }

// Temporary reports whether retrying later may succeed.
func (e *VendorError) Temporary() bool { return e.Kind == Retryable || e.Kind == Conflict }

// KindOf returns the kind of err: a VendorError's kind, Retryable for other
// errors (network trouble), "" for nil.
func KindOf(err error) ErrorKind {
	if err == nil {
		return ""
	}
	var ve *VendorError
	if errors.As(err, &ve) {
		return ve.Kind
	}
	if errors.Is(err, ErrUnsupported) {
		return Unsupported
	}
	return Retryable
}

// RetryAfterOf returns the vendor's requested delay, if any.
func RetryAfterOf(err error) time.Duration {
	var ve *VendorError
	if errors.As(err, &ve) {
		return ve.RetryAfter
	}
	return 0
}

// ClassifyStatus maps an HTTP status to an error kind.
func ClassifyStatus(status int) ErrorKind {
	switch {
	case status == http.StatusTooManyRequests || status >= 500 || status == http.StatusRequestTimeout:
		return Retryable
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return Auth
	case status == http.StatusConflict:
		return Conflict
	default:
		return Invalid
	}
}

// ParseRetryAfter reads a Retry-After header (seconds or HTTP date).
func ParseRetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// HTTPError builds a VendorError from a response status and message.
func HTTPError(vendor, op string, resp *http.Response, code, msg string, now time.Time) *VendorError {
	return &VendorError{
		Vendor: vendor, Op: op, Status: resp.StatusCode, Code: code, Message: msg,
		Kind:       ClassifyStatus(resp.StatusCode),
		RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), now),
	}
}

// Errorf is a convenience for adapters: a VendorError of kind k.
func Errorf(vendor, op string, k ErrorKind, format string, args ...any) *VendorError {
	return &VendorError{Vendor: vendor, Op: op, Kind: k, Message: fmt.Sprintf(format, args...)}
}
