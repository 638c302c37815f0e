package custom

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// Name is the vendor name the adapter registers under.
const Name = "custom"

// Defaults for optional manifest fields.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultRefreshBefore = time.Minute
	DefaultStart         = 24 * time.Hour
	DefaultTolerance     = 5 * time.Minute
	DefaultCurrency      = "USD"
)

//go:embed sample.yaml
var sampleConfig string

// SampleConfig returns an example integration entry (sample.yaml) with the
// Acme POS manifest inline.
func SampleConfig() string { return sampleConfig }

func init() {
	pos.Register(pos.Driver{
		Name:  Name,
		Title: "Custom vendor (declarative manifest)",
		// Required credentials and settings depend on the manifest; New
		// checks them.
		New: New,
	})
}

// Adapter speaks a vendor API described by a manifest. It is safe for
// concurrent use.
type Adapter struct {
	cfg      pos.Config
	log      *slog.Logger
	now      func() time.Time
	m        *Manifest
	source   string // where the manifest came from, for errors
	env      *jqEnv
	settings map[string]string // cfg.Settings without the inline manifest
	maps     pos.Mappings

	req      pos.Requester
	timeout  time.Duration
	headers  map[string]string // rendered requester.headers
	auth     *authenticator
	errCode  *program
	errMsg   *program
	errWhen  *program
	errKind  *program
	rate     *rateLimit
	signer   *signer
	testConn *request
	orders   *stream
	payments *stream
	fetch    *fetchOrder
	push     *pushItem
	hook     *webhook
	create   *writeSpec // order_create
	refund   *writeSpec // refund_create

	onRecord func(record any, o *model.Order, err error)
}

var (
	_ pos.Adapter      = (*Adapter)(nil)
	_ pos.OrderFetcher = (*Adapter)(nil)
)

// New builds an adapter from cfg: it reads the manifest named by
// settings.manifest (a file) or settings.manifest_yaml (inline), compiles
// every program and template, and checks that the credentials and settings
// the manifest uses are present. It does no network I/O. The adapter
// implements pos.OrderFetcher only when the manifest has fetch_order.
func New(cfg pos.Config) (pos.Adapter, error) {
	a, err := NewAdapter(cfg)
	if err != nil {
		return nil, err
	}
	if a.fetch == nil {
		// Hide FetchOrders; InjectOrder and RefundOrder stay (they answer
		// unsupported, with the manifest's reason, without their blocks).
		return struct {
			pos.Adapter
			pos.OrderInjector
			pos.Refunder
			pos.WriteSupport
		}{a, a, a, a}, nil
	}
	return a, nil
}

// NewAdapter is New with the concrete type.
func NewAdapter(cfg pos.Config) (*Adapter, error) {
	data, source, err := manifestBytes(cfg.Settings)
	if err != nil {
		return nil, fmt.Errorf("custom integration %s: %w", cfg.IntegrationID, err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("custom integration %s: manifest %s: %w", cfg.IntegrationID, source, err)
	}
	a, err := build(cfg, m, source)
	if err != nil {
		return nil, fmt.Errorf("custom integration %s: manifest %s: %w", cfg.IntegrationID, source, err)
	}
	return a, nil
}

// manifestBytes reads the manifest the settings name.
func manifestBytes(settings map[string]string) ([]byte, string, error) {
	path, inline := settings["manifest"], settings["manifest_yaml"]
	switch {
	case path != "" && inline != "":
		return nil, "", fmt.Errorf("%w: set settings.manifest or settings.manifest_yaml, not both", ErrManifest)
	case inline != "":
		return []byte(inline), "settings.manifest_yaml", nil
	case path == "":
		return nil, "", fmt.Errorf("%w: settings.manifest (a file) or settings.manifest_yaml is required", ErrManifest)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("%w: settings.manifest: %w", ErrManifest, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxManifestBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("%w: read %s: %w", ErrManifest, path, err)
	}
	return b, path, nil
}

// problems collects manifest problems so New reports all of them at once.
type problems []string

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

func (p *problems) err(err error) {
	if err != nil {
		*p = append(*p, err.Error())
	}
}

// build validates m and compiles it for cfg.
func build(cfg pos.Config, m *Manifest, source string) (*Adapter, error) {
	var ps problems
	if !vendorRe.MatchString(m.Vendor) {
		ps.add("vendor", "must be 1-40 lowercase letters, digits, '-' or '_' (got %q)", m.Vendor)
	}
	currency := cfg.Setting("currency", m.Currency)
	if currency == "" {
		currency = DefaultCurrency
	}
	if !model.ValidCurrency(currency) {
		ps.add("currency", "unknown currency %q", currency)
	}
	settings := make(map[string]string, len(cfg.Settings))
	jqSettings := make(map[string]any, len(cfg.Settings))
	for k, v := range cfg.Settings {
		if k != "manifest_yaml" {
			settings[k], jqSettings[k] = v, v
		}
	}
	if cfg.State == nil {
		cfg.State = pos.NewMemState()
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{
		cfg:      cfg,
		log:      logger,
		now:      cfg.Clock(),
		m:        m,
		source:   source,
		settings: settings,
		maps:     pos.Mappings{S: cfg.State},
		env: &jqEnv{vendor: m.Vendor, currency: currency, integration: cfg.IntegrationID, settings: jqSettings,
			creds: cfg.Credentials},
	}
	a.buildRequester(&ps)
	if m.TestConnection != nil {
		a.testConn = a.buildRequest(&ps, "test_connection", m.TestConnection, a.sampleData(nil))
	}
	if m.PullOrders == nil {
		ps.add("pull_orders", "is required")
	} else {
		a.orders = a.buildStream(&ps, "pull_orders", m.PullOrders, true)
	}
	if m.PullPayments != nil {
		a.payments = a.buildStream(&ps, "pull_payments", m.PullPayments, false)
	}
	if m.FetchOrder != nil {
		a.fetch = a.buildFetch(&ps, m.FetchOrder)
	}
	if m.PushItem != nil {
		a.push = a.buildPush(&ps, m.PushItem)
		if m.PushUnsupported != "" {
			ps.add("push_unsupported", "cannot be set together with push_item")
		}
	}
	if m.Webhook != nil {
		a.hook = a.buildWebhook(&ps, m.Webhook)
	}
	a.buildOrderCreate(&ps)
	a.buildRefundCreate(&ps)
	if len(ps) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrManifest, strings.Join(ps, "; "))
	}
	return a, nil
}

// needCredential checks that the credential named key is set.
func (a *Adapter) needCredential(ps *problems, field, key string) string {
	v := a.cfg.Credentials[key]
	if v == "" {
		ps.add(field, "needs credentials.%s, which the integration does not have", key)
	}
	return v
}

// duration parses an optional duration field.
func duration(ps *problems, field, s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		ps.add(field, "must be a non-negative duration such as 10m (got %q)", s)
		return def
	}
	return d
}

// buildRequester sets up the base URL, headers, timeout, auth and error
// decoding.
func (a *Adapter) buildRequester(ps *problems) {
	r := a.m.Requester
	base := strings.TrimRight(a.cfg.Setting("base_url", r.BaseURL), "/")
	if u, err := url.Parse(base); base == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		ps.add("requester.base_url", "must be an http(s) URL (settings.base_url overrides it; got %q)", base)
	}
	a.timeout = duration(ps, "requester.timeout", r.Timeout, DefaultTimeout)
	if a.timeout == 0 {
		a.timeout = DefaultTimeout
	}
	a.headers = map[string]string{}
	for _, k := range sortedKeys(r.Headers) {
		field := "requester.headers." + k
		t, err := parseTemplate(field, r.Headers[k])
		if err != nil {
			ps.err(err)
			continue
		}
		v, err := render(t, field, a.sampleData(nil))
		if err != nil {
			ps.err(err)
			continue
		}
		a.headers[k] = v
	}
	if r.Error != nil {
		if r.Error.Code != "" {
			a.errCode = a.compile(ps, "requester.error.code", r.Error.Code)
		}
		if r.Error.Message != "" {
			a.errMsg = a.compile(ps, "requester.error.message", r.Error.Message)
		}
		if r.Error.When != "" {
			a.errWhen = a.compile(ps, "requester.error.when", r.Error.When)
		}
		if r.Error.Kind != "" {
			a.errKind = a.compile(ps, "requester.error.kind", r.Error.Kind)
		}
	}
	a.auth = a.buildAuth(ps, r.Auth, base)
	if r.RateLimit != nil {
		a.rate = a.buildRateLimit(ps, r.RateLimit)
	}
	if r.Sign != nil {
		a.signer = a.buildSign(ps, r.Sign)
	}
	a.req = pos.Requester{
		Vendor:      a.m.Vendor,
		BaseURL:     base,
		Client:      a.cfg.Client(),
		DecodeError: a.decodeError,
		Now:         a.now,
	}
}

// compile compiles an optional jq program, recording problems.
func (a *Adapter) compile(ps *problems, field, src string) *program {
	p, err := a.env.compile(field, src)
	if err != nil {
		ps.err(err)
		return nil
	}
	for _, m := range credentialRe.FindAllStringSubmatch(src, -1) {
		a.needCredential(ps, field, m[1])
	}
	return p
}

// required compiles a jq program that must be present.
func (a *Adapter) required(ps *problems, field, src string) *program {
	if strings.TrimSpace(src) == "" {
		ps.add(field, "is required")
		return nil
	}
	return a.compile(ps, field, src)
}

// sampleData is template data with every key a request template may use,
// to try templates in New (a typo or a missing setting fails there, not at
// the first pull).
func (a *Adapter) sampleData(extra map[string]any) map[string]any {
	d := a.data(a.now(), extra)
	for _, k := range []string{"cursor", "next"} {
		if _, ok := d[k]; !ok {
			d[k] = ""
		}
	}
	return d
}

// data is the template data of one request: settings, now and extra.
func (a *Adapter) data(now time.Time, extra map[string]any) map[string]any {
	d := map[string]any{"settings": a.settings, "now": now.UTC().Format(time.RFC3339)}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// jqData converts template data for a jq request body.
func jqData(d map[string]any) any {
	v, err := toJQ(d)
	if err != nil {
		return nil
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func statusList(ps *problems, field string, in, def []int) map[int]bool {
	if len(in) == 0 {
		in = def
	}
	out := map[int]bool{}
	for _, s := range in {
		if s < 100 || s > 599 {
			ps.add(field, "%d is not an HTTP status", s)
		}
		out[s] = true
	}
	return out
}

// TestConnection makes the manifest's test_connection request, or reads
// the first page of pull_orders without mapping it.
func (a *Adapter) TestConnection(ctx context.Context) error {
	if a.testConn != nil {
		data := a.data(a.now(), map[string]any{"cursor": "", "next": ""})
		_, _, err := a.call(ctx, "test connection", a.testConn, data, jqData(data), runVars{now: a.now()})
		return err
	}
	s := a.orders
	since := s.initial(a.now())
	data := a.data(a.now(), map[string]any{"cursor": s.render(since), "next": ""})
	_, _, err := a.call(ctx, "test connection", &s.req, data, jqData(data), runVars{now: a.now()})
	return err
}
