package custom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// tmplFuncs are the functions request templates may call besides the
// text/template built-ins.
var tmplFuncs = template.FuncMap{
	"pathescape":  url.PathEscape,
	"queryescape": url.QueryEscape,
	"join":        strings.Join,
	"printf":      boundedPrintf,
}

// maxRendered bounds what one template may render.
const maxRendered = 64 << 10

// hugeVerbRe finds printf verbs with a width or precision of 4 digits or
// more, which would make fmt allocate that much before any limit applies.
var hugeVerbRe = regexp.MustCompile(`%[-+# 0]*(\d{4,}|\d*\.\d{4,}|\*)`)

// boundedPrintf is text/template's printf without huge widths.
func boundedPrintf(format string, args ...any) (string, error) {
	if hugeVerbRe.MatchString(format) {
		return "", fmt.Errorf("printf: width or precision too large in %q", truncate(format, 40))
	}
	return fmt.Sprintf(format, args...), nil
}

// limitWriter fails once more than n bytes were written.
type limitWriter struct {
	sb *strings.Builder
	n  int
}

var errTooLong = errors.New("rendered text is longer than 64 KiB")

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.sb.Len()+len(p) > w.n {
		return 0, errTooLong
	}
	return w.sb.Write(p)
}

// parseTemplate parses a manifest template. Missing map keys are errors,
// so a misspelt setting fails loudly.
func parseTemplate(field, src string) (*template.Template, error) {
	return template.New(field).Option("missingkey=error").Funcs(tmplFuncs).Parse(src)
}

func render(t *template.Template, field string, data any) (string, error) {
	var sb strings.Builder
	if err := t.Execute(&limitWriter{sb: &sb, n: maxRendered}, data); err != nil {
		if errors.Is(err, errTooLong) {
			return "", fmt.Errorf("%s: %w", field, errTooLong)
		}
		return "", err
	}
	return sb.String(), nil
}

// namedTemplate is a query parameter or header template.
type namedTemplate struct {
	name string
	t    *template.Template
}

// request is a compiled RequestSpec.
type request struct {
	field   string
	method  string
	path    *template.Template
	query   []namedTemplate
	headers []namedTemplate
	body    *program
}

// buildRequest compiles spec and renders it once with sample data.
func (a *Adapter) buildRequest(ps *problems, field string, spec *RequestSpec, sample map[string]any) *request {
	r := &request{field: field, method: strings.ToUpper(spec.Method)}
	if r.method == "" {
		r.method = http.MethodGet
	}
	if !methods[r.method] {
		ps.add(field+".method", "must be GET, POST, PUT, PATCH or DELETE (got %q)", spec.Method)
	}
	ok := true
	if spec.Path == "" {
		ps.add(field+".path", "is required")
		ok = false
	} else if t, err := parseTemplate(field+".path", spec.Path); err != nil {
		ps.err(err)
		ok = false
	} else {
		r.path = t
	}
	for _, k := range sortedKeys(spec.Query) {
		t, err := parseTemplate(field+".query."+k, spec.Query[k])
		if err != nil {
			ps.err(err)
			ok = false
			continue
		}
		r.query = append(r.query, namedTemplate{k, t})
	}
	for _, k := range sortedKeys(spec.Headers) {
		t, err := parseTemplate(field+".headers."+k, spec.Headers[k])
		if err != nil {
			ps.err(err)
			ok = false
			continue
		}
		r.headers = append(r.headers, namedTemplate{k, t})
	}
	if strings.TrimSpace(spec.Body) != "" {
		r.body = a.compile(ps, field+".body", spec.Body)
	}
	if ok {
		if _, path, _, _, err := r.render(sample); err != nil {
			ps.err(err)
		} else if !strings.HasPrefix(path, "/") {
			ps.add(field+".path", "must start with / (got %q)", path)
		}
	}
	return r
}

// render renders the request's templates.
func (r *request) render(data map[string]any) (method, path string, query url.Values, header map[string]string, err error) {
	if path, err = render(r.path, r.field+".path", data); err != nil {
		return
	}
	query = url.Values{}
	for _, q := range r.query {
		var v string
		if v, err = render(q.t, r.field+".query."+q.name, data); err != nil {
			return
		}
		if v != "" {
			query.Set(q.name, v)
		}
	}
	header = map[string]string{}
	for _, h := range r.headers {
		var v string
		if v, err = render(h.t, r.field+".headers."+h.name, data); err != nil {
			return
		}
		header[h.name] = v
	}
	return r.method, path, query, header, nil
}

// prepared is a rendered request, ready to send.
type prepared struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Query  string            `json:"query,omitempty"`
	Header map[string]string `json:"header,omitempty"`
	Body   json.RawMessage   `json:"body,omitempty"`
}

// prepare renders r with data and runs its body program on bodyIn.
func (a *Adapter) prepare(ctx context.Context, r *request, data map[string]any, bodyIn any, vars runVars) (*prepared, error) {
	method, path, query, header, err := r.render(data)
	if err != nil {
		return nil, err
	}
	p := &prepared{Method: method, Path: path, Query: query.Encode(), Header: header}
	if r.body != nil {
		v, err := r.body.one(ctx, a.env, bodyIn, vars)
		if err != nil {
			return nil, err
		}
		p.Body = fromJQ(v)
	}
	return p, nil
}

// call prepares r and sends it, returning the decoded JSON response
// (numbers as json.Number).
func (a *Adapter) call(ctx context.Context, op string, r *request, data map[string]any, bodyIn any, vars runVars) (*http.Response, any, error) {
	p, err := a.prepare(ctx, r, data, bodyIn, vars)
	if err != nil {
		return nil, nil, &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid, Message: "build request", Err: err}
	}
	return a.sendPrepared(ctx, op, p)
}

func (a *Adapter) sendPrepared(ctx context.Context, op string, p *prepared) (*http.Response, any, error) {
	query, _ := url.ParseQuery(p.Query)
	var in any
	if p.Body != nil {
		in = p.Body
	}
	return a.send(ctx, op, p.Method, p.Path, query, p.Header, in)
}

// send sends one request with the manifest's headers and auth. With OAuth2,
// a 401 drops the cached token and the request is sent once more with a new
// one; a second 401 is returned (kind auth).
func (a *Adapter) send(ctx context.Context, op, method, path string, query url.Values, header map[string]string, in any) (*http.Response, any, error) {
	for attempt := 0; ; attempt++ {
		if w := a.rate.wait(a.now()); w > 0 {
			return nil, nil, &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Retryable, RetryAfter: w,
				Message: "the vendor's rate limit is used up; its window resets in " + w.Round(time.Second).String()}
		}
		used := ""
		r := a.req
		r.Authorize = func(ctx context.Context, req *http.Request) error {
			for k, v := range a.headers {
				req.Header.Set(k, v)
			}
			for k, v := range header {
				req.Header.Set(k, v)
			}
			tok, err := a.auth.apply(ctx, req)
			used = tok
			if err != nil {
				return err
			}
			return a.sign(req)
		}
		cctx, cancel := context.WithTimeout(ctx, a.timeout)
		var raw json.RawMessage
		resp, err := r.Do(cctx, op, method, path, query, in, &raw)
		cancel()
		if a.rate != nil && resp != nil {
			now := a.now()
			a.rate.observe(resp, now)
			var ve *pos.VendorError
			if errors.As(err, &ve) && ve.Status == http.StatusTooManyRequests && ve.RetryAfter == 0 {
				if t, ok := a.rate.resetAt(resp.Header, now); ok && t.After(now) {
					ve.RetryAfter = t.Sub(now)
				}
			}
		}
		a.auth.redact(err)
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Retryable,
				Message: "no answer within " + a.timeout.String(), Err: err}
		}
		var body any
		if err == nil {
			if body, err = decodeJSON(raw); err != nil {
				return resp, nil, &pos.VendorError{Vendor: a.m.Vendor, Op: op, Status: resp.StatusCode, Kind: pos.Invalid,
					Message: "decode response", Err: err}
			}
			err = a.bodyError(ctx, op, resp, raw, body)
		}
		refused := pos.IsStatus(err, http.StatusUnauthorized) || (err != nil && pos.KindOf(err) == pos.Auth && resp != nil && resp.StatusCode < 300)
		if attempt == 0 && used != "" && a.auth.refreshable() && refused {
			a.log.Info("access token refused, fetching a new one", "op", op)
			a.auth.drop(used)
			continue
		}
		if err != nil {
			return resp, nil, err
		}
		return resp, body, nil
	}
}

// errorKinds are the values requester.error.kind may give.
var errorKinds = map[string]pos.ErrorKind{
	"auth": pos.Auth, "retryable": pos.Retryable, "conflict": pos.Conflict, "invalid": pos.Invalid,
	"not_found": pos.Invalid, "unsupported": pos.Unsupported,
}

// bodyError applies requester.error.when to a 2xx body: a failure reported
// inside a successful HTTP answer (JSON-RPC) becomes a *pos.VendorError
// with the code, message and kind the manifest reads from the body. A
// not_found kind is reported with status 404, so fetches skip it.
func (a *Adapter) bodyError(ctx context.Context, op string, resp *http.Response, raw []byte, body any) error {
	if a.errWhen == nil {
		return nil
	}
	v, err := a.errWhen.optional(ctx, a.env, body, runVars{})
	if err != nil {
		return &pos.VendorError{Vendor: a.m.Vendor, Op: op, Status: resp.StatusCode, Kind: pos.Invalid,
			Message: "requester.error.when failed", Err: err}
	}
	if v == nil || v == false {
		return nil
	}
	code, msg := a.decodeError(resp.StatusCode, raw)
	ve := &pos.VendorError{Vendor: a.m.Vendor, Op: op, Status: resp.StatusCode, Code: code, Message: msg, Kind: pos.Invalid}
	if a.errKind != nil {
		if k, err := a.errKind.optional(ctx, a.env, body, runVars{}); err == nil {
			s, _ := k.(string)
			if kind, ok := errorKinds[s]; ok {
				ve.Kind = kind
				if s == "not_found" {
					ve.Status = http.StatusNotFound
				}
			}
		}
	}
	return ve
}

// decodeError reads a code and message from an error body: with the
// manifest's requester.error programs, else from the common shapes
// {"error":{"code","message"}}, {"error","error_description"},
// {"code","message"}.
func (a *Adapter) decodeError(status int, body []byte) (code, message string) {
	v, err := decodeJSON(body)
	if err != nil {
		return "", strings.TrimSpace(string(body))
	}
	ctx := context.Background()
	if a.errCode != nil || a.errMsg != nil {
		if a.errCode != nil {
			if x, err := a.errCode.optional(ctx, a.env, v, runVars{}); err == nil {
				code, _ = scalarString("code", x)
			}
		}
		if a.errMsg != nil {
			if x, err := a.errMsg.optional(ctx, a.env, v, runVars{}); err == nil {
				message, _ = scalarString("message", x)
			}
		}
	} else if m, ok := v.(map[string]any); ok {
		str := func(x any) string { s, _ := scalarString("", x); return s }
		switch e := m["error"].(type) {
		case map[string]any:
			code, message = str(e["code"]), str(e["message"])
		case string:
			code, message = e, str(m["error_description"])
		}
		if code == "" {
			code = str(m["code"])
		}
		if message == "" {
			message = str(m["message"])
		}
	}
	if message == "" && code == "" {
		message = strings.TrimSpace(string(body))
	}
	if message == "" {
		message = http.StatusText(status)
	}
	return code, message
}
