package pos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxResponseBytes bounds a vendor response body (Toast orders can exceed
// 600 KB; pages of 100 orders are larger).
const MaxResponseBytes = 64 << 20

// Requester sends JSON requests to one vendor and turns failures into
// *VendorError. Adapters embed or hold one; it is safe for concurrent use.
type Requester struct {
	Vendor  string
	BaseURL string
	Client  *http.Client
	// Authorize sets auth headers on each request (bearer, vendor headers).
	Authorize func(ctx context.Context, req *http.Request) error
	// DecodeError extracts a vendor code and message from an error body.
	DecodeError func(status int, body []byte) (code, message string)
	// Now is the clock for Retry-After dates.
	Now func() time.Time
}

// Do sends method path?query with in (JSON-encoded when not nil; an
// io.Reader or url.Values is sent as is) and decodes a 2xx JSON response into
// out (when not nil). It returns the response (body already read) so callers
// can read headers.
func (r *Requester) Do(ctx context.Context, op, method, path string, query url.Values, in, out any) (*http.Response, error) {
	u := strings.TrimRight(r.BaseURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	ctype := ""
	switch v := in.(type) {
	case nil:
	case url.Values:
		body, ctype = strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"
	case io.Reader:
		body = v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", r.Vendor, op, err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Vendor, op, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "aura-edge")
	if r.Authorize != nil {
		if err := r.Authorize(ctx, req); err != nil {
			return nil, err
		}
	}
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &VendorError{Vendor: r.Vendor, Op: op, Kind: Retryable, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if err != nil {
		return resp, &VendorError{Vendor: r.Vendor, Op: op, Status: resp.StatusCode, Kind: Retryable, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		code, msg := "", strings.TrimSpace(string(data))
		if r.DecodeError != nil {
			code, msg = r.DecodeError(resp.StatusCode, data)
		}
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		now := time.Now()
		if r.Now != nil {
			now = r.Now()
		}
		return resp, HTTPError(r.Vendor, op, resp, code, msg, now)
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp, &VendorError{Vendor: r.Vendor, Op: op, Status: resp.StatusCode, Kind: Invalid,
				Message: "decode response", Err: err}
		}
	}
	return resp, nil
}

// IsStatus reports whether err is a VendorError with the given HTTP status.
func IsStatus(err error, status int) bool {
	var ve *VendorError
	return errors.As(err, &ve) && ve.Status == status
}
