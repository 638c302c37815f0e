package custom

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// rateLimit is a compiled RateLimitSpec: after an answer says no request
// is left in the window, requests are refused (kind retryable, with
// RetryAfter) until the window resets, without reaching the vendor.
type rateLimit struct {
	remaining, reset, resetType string

	mu    sync.Mutex
	until time.Time
}

func (a *Adapter) buildRateLimit(ps *problems, r *RateLimitSpec) *rateLimit {
	rl := &rateLimit{remaining: r.Remaining, reset: r.Reset, resetType: orDefault(r.ResetType, "seconds")}
	if r.Remaining == "" {
		ps.add("requester.rate_limit.remaining", "is required (the header with the requests left)")
	}
	if r.Reset == "" {
		ps.add("requester.rate_limit.reset", "is required (the header saying when the window resets)")
	}
	switch rl.resetType {
	case "seconds", "unix", "unix_ms", "rfc3339":
	default:
		ps.add("requester.rate_limit.reset_type", "must be seconds, unix, unix_ms or rfc3339 (got %q)", r.ResetType)
	}
	return rl
}

// resetAt reads the reset header of h.
func (rl *rateLimit) resetAt(h http.Header, now time.Time) (time.Time, bool) {
	v := strings.TrimSpace(h.Get(rl.reset))
	if v == "" {
		return time.Time{}, false
	}
	if rl.resetType == "rfc3339" {
		t, err := time.Parse(time.RFC3339Nano, v)
		return t, err == nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 || n > 1e15 {
		return time.Time{}, false
	}
	switch rl.resetType {
	case "unix":
		return time.Unix(int64(n), 0), true
	case "unix_ms":
		return time.UnixMilli(int64(n)), true
	}
	return now.Add(time.Duration(n * float64(time.Second))), true
}

// observe records the headers of an answer.
func (rl *rateLimit) observe(resp *http.Response, now time.Time) {
	if rl == nil || resp == nil {
		return
	}
	left := strings.TrimSpace(resp.Header.Get(rl.remaining))
	n, err := strconv.ParseFloat(left, 64)
	if left == "" || err != nil || n > 0 {
		return
	}
	if t, ok := rl.resetAt(resp.Header, now); ok && t.After(now) {
		rl.mu.Lock()
		if t.After(rl.until) {
			rl.until = t
		}
		rl.mu.Unlock()
	}
}

// wait is how long requests must still wait (0: go ahead).
func (rl *rateLimit) wait(now time.Time) time.Duration {
	if rl == nil {
		return 0
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if now.Before(rl.until) {
		return rl.until.Sub(now)
	}
	return 0
}

// signer is a compiled SignSpec.
type signer struct {
	header, prefix, encoding string
	mac                      func() hash.Hash
	secret                   string
	headers                  []namedTemplate
	signed                   *template.Template
}

func (a *Adapter) buildSign(ps *problems, s *SignSpec) *signer {
	f := "requester.sign"
	sg := &signer{header: s.Header, prefix: s.Prefix, encoding: orDefault(s.Encoding, "hex")}
	if s.Header == "" {
		ps.add(f+".header", "is required")
	}
	var ok bool
	if sg.mac, ok = hmacs[orDefault(s.Alg, "hmac-sha256")]; !ok {
		ps.add(f+".alg", "must be hmac-sha256, hmac-sha512 or hmac-sha1 (got %q)", s.Alg)
	}
	if sg.encoding != "hex" && sg.encoding != "base64" {
		ps.add(f+".encoding", "must be hex or base64 (got %q)", s.Encoding)
	}
	if s.Secret == "" {
		ps.add(f+".secret", "is required (the credential holding the signing key)")
	} else {
		sg.secret = a.needCredential(ps, f+".secret", s.Secret)
	}
	sample := a.signData(&http.Request{Method: http.MethodGet, Header: http.Header{}, URL: mustURL("https://example.invalid/p?q=1")}, nil, a.now())
	for _, k := range sortedKeys(s.Headers) {
		t, err := parseTemplate(f+".headers."+k, s.Headers[k])
		if err == nil {
			_, err = render(t, f+".headers."+k, sample)
		}
		if err != nil {
			ps.err(err)
			continue
		}
		sg.headers = append(sg.headers, namedTemplate{k, t})
	}
	if s.Signed == "" {
		ps.add(f+".signed", "is required (a template giving the signed text)")
	} else if t, err := parseTemplate(f+".signed", s.Signed); err != nil {
		ps.err(err)
	} else if _, err := render(t, f+".signed", sample); err != nil {
		ps.err(err)
	} else {
		sg.signed = t
	}
	return sg
}

func (a *Adapter) signData(req *http.Request, body []byte, now time.Time) map[string]any {
	return map[string]any{"method": req.Method, "path": req.URL.Path, "query": req.URL.RawQuery, "body": string(body),
		"header": req.Header, "timestamp": strconv.FormatInt(now.Unix(), 10),
		"timestamp_ms": strconv.FormatInt(now.UnixMilli(), 10), "settings": a.settings}
}

// sign sets the signature headers of req.
func (a *Adapter) sign(req *http.Request) error {
	sg := a.signer
	if sg == nil || sg.signed == nil {
		return nil
	}
	var body []byte
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return fmt.Errorf("%s: sign request: %w", a.m.Vendor, err)
		}
		body, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: sign request: %w", a.m.Vendor, err)
		}
	}
	data := a.signData(req, body, a.now())
	for _, h := range sg.headers {
		v, err := render(h.t, "requester.sign.headers."+h.name, data)
		if err != nil {
			return &pos.VendorError{Vendor: a.m.Vendor, Op: "sign", Kind: pos.Invalid, Err: err}
		}
		req.Header.Set(h.name, v)
	}
	text, err := render(sg.signed, "requester.sign.signed", data)
	if err != nil {
		return &pos.VendorError{Vendor: a.m.Vendor, Op: "sign", Kind: pos.Invalid, Err: err}
	}
	m := hmac.New(sg.mac, []byte(sg.secret))
	m.Write([]byte(text))
	sum := m.Sum(nil)
	enc := hex.EncodeToString(sum)
	if sg.encoding == "base64" {
		enc = base64.StdEncoding.EncodeToString(sum)
	}
	req.Header.Set(sg.header, sg.prefix+enc)
	return nil
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
