package clover

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// call sends one authenticated request through the rate limiter. When Clover
// answers 401 it refreshes the token once (if it can) and retries once; a
// second 401 is returned as a VendorError of kind Auth.
func (a *Adapter) call(ctx context.Context, op, method, path string, query url.Values, in, out any) (*http.Response, error) {
	tok, err := a.accessToken(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		resp, err := a.send(ctx, tok, op, method, path, query, in, out)
		if attempt > 0 || !pos.IsStatus(err, http.StatusUnauthorized) {
			return resp, err
		}
		a.log.Info("access token refused, refreshing", "op", op)
		tok, err = a.refresh(ctx, tok)
		if err != nil {
			return resp, err
		}
	}
}

// send is one rate-limited request with the given access token ("" sends
// no Authorization header).
func (a *Adapter) send(ctx context.Context, tok, op, method, path string, query url.Values, in, out any) (*http.Response, error) {
	release, err := a.lim.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	r := a.req
	if tok != "" {
		r.Authorize = func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+tok)
			return nil
		}
	}
	return r.Do(ctx, op, method, path, query, in, out)
}

// decodeError reads Clover's loose error bodies: {"message":"..."} on the
// platform API, {"error":{"code","message"}} on the ecommerce API (verify).
func decodeError(status int, body []byte) (code, message string) {
	var e struct {
		Message string          `json:"message"`
		Code    json.RawMessage `json:"code"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", strings.TrimSpace(string(body))
	}
	code = rawString(e.Code)
	message = e.Message
	if len(e.Error) > 0 {
		var inner struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(e.Error, &inner) == nil {
			if code == "" {
				code = inner.Code
			}
			if message == "" {
				message = inner.Message
			}
		} else if message == "" {
			message = rawString(e.Error)
		}
	}
	if message == "" {
		message = http.StatusText(status)
	}
	return code, message
}

// rawString returns a JSON string's value or the raw token (numbers).
func rawString(b json.RawMessage) string {
	if len(b) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(b))
}

// isAbort reports whether err should stop a menu push: rate limits, server
// trouble and auth failures affect every later call too, and so do context
// cancellation and State failures. Invalid and Conflict errors concern one
// object only.
func isAbort(err error) bool {
	var ve *pos.VendorError
	if errors.As(err, &ve) {
		return ve.Kind == pos.Retryable || ve.Kind == pos.Auth
	}
	return err != nil // context canceled, state failures: stop the push
}
