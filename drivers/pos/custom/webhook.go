package custom

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"text/template"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// decimalE12 separates Unix seconds from milliseconds in timestamps.
var decimalE12 = decimal.New(1, 12)

// maxWebhookBody bounds what VerifyWebhook reads.
const maxWebhookBody = 1 << 20

var hmacs = map[string]func() hash.Hash{
	"hmac-sha256": sha256.New,
	"hmac-sha512": sha512.New,
	"hmac-sha1":   sha1.New,
}

// webhook is a compiled WebhookSpec.
type webhook struct {
	header     string
	prefix     string
	mac        func() hash.Hash
	encoding   string
	signed     *template.Template
	timestamp  *template.Template
	tolerance  time.Duration
	secret     string
	eventID    *program
	orderIDs   *program
	paymentIDs *program
}

func (a *Adapter) buildWebhook(ps *problems, w *WebhookSpec) *webhook {
	s := w.Signature
	f := "webhook.signature"
	h := &webhook{header: s.Header, prefix: s.Prefix, encoding: orDefault(s.Encoding, "hex")}
	if s.Header == "" {
		ps.add(f+".header", "is required")
	}
	var ok bool
	if h.mac, ok = hmacs[orDefault(s.Alg, "hmac-sha256")]; !ok {
		ps.add(f+".alg", "must be hmac-sha256, hmac-sha512 or hmac-sha1 (got %q)", s.Alg)
	}
	if h.encoding != "hex" && h.encoding != "base64" {
		ps.add(f+".encoding", "must be hex or base64 (got %q)", s.Encoding)
	}
	sample := map[string]any{"body": "{}", "header": http.Header{}, "url": "https://example.invalid/webhook"}
	tmpl := func(field, src string) *template.Template {
		t, err := parseTemplate(field, src)
		if err == nil {
			_, err = render(t, field, sample)
		}
		if err != nil {
			ps.err(err)
			return nil
		}
		return t
	}
	h.signed = tmpl(f+".signed", orDefault(s.Signed, "{{.body}}"))
	if s.Timestamp != "" {
		h.timestamp = tmpl(f+".timestamp", s.Timestamp)
	} else if s.Tolerance != "" {
		ps.add(f+".tolerance", "needs timestamp")
	}
	h.tolerance = duration(ps, f+".tolerance", s.Tolerance, DefaultTolerance)
	h.secret = a.needCredential(ps, f+".secret", orDefault(s.Secret, "webhook_secret"))
	if w.EventID != "" {
		h.eventID = a.compile(ps, "webhook.event_id", w.EventID)
	}
	if w.OrderIDs != "" {
		h.orderIDs = a.compile(ps, "webhook.order_ids", w.OrderIDs)
	}
	if w.PaymentIDs != "" {
		h.paymentIDs = a.compile(ps, "webhook.payment_ids", w.PaymentIDs)
	}
	return h
}

// VerifyWebhook checks the manifest's HMAC signature in constant time,
// refuses deliveries whose signed timestamp is further than the tolerance
// from now (ErrStaleWebhook), and names the orders and payments the
// delivery concerns. The event ID comes from webhook.event_id, else a hash
// of the body, so a redelivery repeats it.
func (a *Adapter) VerifyWebhook(ctx context.Context, req pos.WebhookRequest) (*pos.WebhookEvent, error) {
	h := a.hook
	if h == nil {
		return nil, fmt.Errorf("%s webhook: %w", a.m.Vendor, ErrNoWebhook)
	}
	if len(req.Body) > maxWebhookBody {
		return nil, fmt.Errorf("%s webhook: body of %d bytes is too large", a.m.Vendor, len(req.Body))
	}
	header := req.Header
	if header == nil {
		header = http.Header{}
	}
	got := strings.TrimSpace(header.Get(h.header))
	if got == "" {
		return nil, fmt.Errorf("%s webhook: missing %s: %w", a.m.Vendor, h.header, pos.ErrBadSignature)
	}
	got = strings.TrimPrefix(got, h.prefix)
	data := map[string]any{"body": string(req.Body), "header": header, "url": req.URL}
	signed, err := render(h.signed, "webhook.signature.signed", data)
	if err != nil {
		return nil, fmt.Errorf("%s webhook: %w: %w", a.m.Vendor, pos.ErrBadSignature, err)
	}
	mac := hmac.New(h.mac, []byte(h.secret))
	mac.Write([]byte(signed))
	want := mac.Sum(nil)
	if !signatureMatches(got, h.encoding, want) {
		return nil, fmt.Errorf("%s webhook: %s does not match: %w", a.m.Vendor, h.header, pos.ErrBadSignature)
	}
	if h.timestamp != nil {
		ts, err := render(h.timestamp, "webhook.signature.timestamp", data)
		if err != nil {
			return nil, fmt.Errorf("%s webhook: %w", a.m.Vendor, err)
		}
		at, ok := parseStamp(ts)
		if !ok {
			return nil, fmt.Errorf("%s webhook: timestamp %q unreadable: %w", a.m.Vendor, ts, ErrStaleWebhook)
		}
		if d := a.now().Sub(at); d > h.tolerance || d < -h.tolerance {
			return nil, fmt.Errorf("%s webhook: timestamp %s is %s from now: %w", a.m.Vendor, ts, d.Round(time.Second), ErrStaleWebhook)
		}
	}
	body, err := decodeJSON(req.Body)
	if err != nil {
		return nil, &pos.VendorError{Vendor: a.m.Vendor, Op: "webhook", Kind: pos.Invalid, Message: "body is not JSON", Err: err}
	}
	vars := runVars{now: a.now(), header: jqHeader(header)}
	ev := &pos.WebhookEvent{}
	if h.eventID != nil {
		v, err := h.eventID.optional(ctx, a.env, body, vars)
		if err == nil {
			ev.ID, err = scalarString("webhook.event_id", v)
		}
		if err != nil {
			return nil, &pos.VendorError{Vendor: a.m.Vendor, Op: "webhook", Kind: pos.Invalid, Err: err}
		}
	}
	if ev.ID == "" {
		sum := sha256.Sum256(req.Body)
		ev.ID = "body:" + hex.EncodeToString(sum[:16])
	}
	if ev.OrderIDs, err = a.ids(ctx, h.orderIDs, body, vars); err != nil {
		return nil, err
	}
	if ev.PaymentIDs, err = a.ids(ctx, h.paymentIDs, body, vars); err != nil {
		return nil, err
	}
	return ev, nil
}

// signatureMatches compares got, in encoding, with want in constant time.
// Base64 is accepted padded or not, standard or URL-safe.
func signatureMatches(got, encoding string, want []byte) bool {
	var cands [][]byte
	if encoding == "hex" {
		if b, err := hex.DecodeString(strings.ToLower(got)); err == nil {
			cands = append(cands, b)
		}
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(got); err == nil {
				cands = append(cands, b)
			}
		}
	}
	ok := false
	for _, c := range cands {
		if hmac.Equal(c, want) {
			ok = true
		}
	}
	return ok
}

// ids runs an id program: strings, numbers and arrays of them; nulls and
// duplicates are dropped.
func (a *Adapter) ids(ctx context.Context, p *program, body any, vars runVars) ([]string, error) {
	if p == nil {
		return nil, nil
	}
	vals, err := records(ctx, a.env, p, body, vars)
	if err != nil {
		return nil, &pos.VendorError{Vendor: a.m.Vendor, Op: "webhook", Kind: pos.Invalid, Err: err}
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range vals {
		s, err := scalarString(p.field, v)
		if err != nil {
			return nil, &pos.VendorError{Vendor: a.m.Vendor, Op: "webhook", Kind: pos.Invalid, Err: err}
		}
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, nil
}

// jqHeader gives webhook programs the headers as $header: lower-case
// names, first values.
func jqHeader(h http.Header) map[string]any {
	out := make(map[string]any, len(h))
	for k, v := range h {
		if len(v) > 0 {
			out[strings.ToLower(k)] = v[0]
		}
	}
	return out
}

// parseStamp reads Unix seconds, Unix milliseconds or RFC 3339.
func parseStamp(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	d, err := parseDecimal(s)
	if err != nil || d.IsNegative() {
		return time.Time{}, false
	}
	layout := "unix"
	if d.GreaterThan(decimalE12) {
		layout = "unix_ms"
	}
	t, err := parseTime(s, layout)
	return t, err == nil
}
