package custom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxManifestBytes bounds a manifest file.
const MaxManifestBytes = 1 << 20

// Manifest declares how to talk to one vendor. Its YAML form is documented
// in README.md; every string marked "template" is a Go text/template, every
// string marked "jq" a gojq program.
type Manifest struct {
	// Vendor names the vendor; it becomes model.Source.Vendor of every
	// pulled record. Lowercase letters, digits, '-' and '_'.
	Vendor string `yaml:"vendor"`
	// Title is a human name ("Acme POS").
	Title string `yaml:"title"`
	// Currency is the default currency (for $currency and the one-argument
	// money helpers). Settings.currency overrides it; default USD.
	Currency string `yaml:"currency"`
	// Requester says how to reach the vendor.
	Requester RequesterSpec `yaml:"requester"`
	// TestConnection is the cheap authenticated call of TestConnection;
	// without it the first page of pull_orders is read.
	TestConnection *RequestSpec `yaml:"test_connection"`
	// PullOrders pages through orders changed since the cursor (required).
	PullOrders *StreamSpec `yaml:"pull_orders"`
	// PullPayments pages through payments, when the vendor lists them
	// separately from orders.
	PullPayments *StreamSpec `yaml:"pull_payments"`
	// FetchOrder reads one order by vendor id (after a webhook).
	FetchOrder *FetchSpec `yaml:"fetch_order"`
	// PushItem writes one Aura item or variation to the vendor.
	PushItem *PushSpec `yaml:"push_item"`
	// PushUnsupported, when the vendor has no menu API, is the reason every
	// menu object is reported unsupported (instead of "manifest has no
	// push_item"). Not together with push_item.
	PushUnsupported string `yaml:"push_unsupported"`
	// Webhook verifies deliveries and names the orders they concern.
	Webhook *WebhookSpec `yaml:"webhook"`
	// OrderCreate creates an Aura order (order.inject) at the vendor.
	OrderCreate *OrderCreateSpec `yaml:"order_create"`
	// OrderCreateUnsupported, when the vendor's API cannot create orders,
	// is the reason order.inject reports unsupported. Not together with
	// order_create.
	OrderCreateUnsupported string `yaml:"order_create_unsupported"`
	// RefundCreate refunds (part of) an order's payment (order.refund).
	RefundCreate *RefundCreateSpec `yaml:"refund_create"`
	// RefundUnsupported, when the vendor's API cannot refund, is the reason
	// order.refund reports unsupported. Not together with refund_create.
	RefundUnsupported string `yaml:"refund_unsupported"`
	// Docs names the vendor document (and its version) the manifest
	// follows; informative.
	Docs string `yaml:"docs"`
}

// RequesterSpec is the HTTP side of the vendor.
type RequesterSpec struct {
	// BaseURL is the API root; settings.base_url overrides it.
	BaseURL string `yaml:"base_url"`
	// Auth is how requests are authenticated.
	Auth AuthSpec `yaml:"auth"`
	// Headers are sent with every request (templates over .settings).
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds each request, e.g. "30s" (default 30s).
	Timeout string `yaml:"timeout"`
	// Error extracts a code and message from error bodies (jq).
	Error *ErrorSpec `yaml:"error"`
	// RateLimit reads the vendor's rate-limit headers, so that the adapter
	// stops before the vendor answers 429.
	RateLimit *RateLimitSpec `yaml:"rate_limit"`
	// Sign signs every request with an HMAC over a template of it.
	Sign *SignSpec `yaml:"sign"`
}

// RateLimitSpec names the rate-limit headers of a vendor.
type RateLimitSpec struct {
	// Remaining is the header with the requests left in the window.
	Remaining string `yaml:"remaining"`
	// Reset is the header saying when the window resets.
	Reset string `yaml:"reset"`
	// ResetType is seconds (from now, the default), unix, unix_ms or
	// rfc3339.
	ResetType string `yaml:"reset_type"`
}

// SignSpec signs outgoing requests (APIs that want an HMAC over the method,
// path, a timestamp and the body).
type SignSpec struct {
	// Header receives the signature (with Prefix before it).
	Header string `yaml:"header"`
	Prefix string `yaml:"prefix"`
	// Alg is hmac-sha256 (default), hmac-sha512 or hmac-sha1.
	Alg string `yaml:"alg"`
	// Encoding is hex (default) or base64.
	Encoding string `yaml:"encoding"`
	// Secret names the credential holding the key.
	Secret string `yaml:"secret"`
	// Headers are set before signing (templates over the same data), e.g.
	// a timestamp header the signature covers.
	Headers map[string]string `yaml:"headers"`
	// Signed is a template over .method, .path, .query, .body, .header,
	// .timestamp (Unix seconds), .timestamp_ms and .settings: the signed
	// text.
	Signed string `yaml:"signed"`
}

// AuthSpec selects and configures authentication. Credential fields name
// keys of the integration's credentials, not the secrets themselves.
type AuthSpec struct {
	// Type is none, bearer, api_key, basic or oauth2_client_credentials.
	Type string `yaml:"type"`
	// Token names the credential holding a bearer token (default
	// access_token).
	Token string `yaml:"token"`
	// Key names the credential holding an API key (default api_key).
	Key string `yaml:"key"`
	// Header is the API key header (default X-Api-Key), unless Query is set.
	Header string `yaml:"header"`
	// Query sends the API key as this query parameter instead.
	Query string `yaml:"query"`
	// Prefix is put before the API key in the header ("Token ").
	Prefix string `yaml:"prefix"`
	// Username and Password name the basic-auth credentials (default
	// username and password).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// TokenURL is the OAuth2 token endpoint, absolute or relative to the
	// base URL.
	TokenURL string `yaml:"token_url"`
	// ClientID and ClientSecret name the OAuth2 client credentials (default
	// client_id and client_secret).
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// Scopes are requested with the token.
	Scopes []string `yaml:"scopes"`
	// ClientAuth is basic (HTTP Basic, the default) or body (client_id and
	// client_secret as form fields).
	ClientAuth string `yaml:"client_auth"`
	// RefreshBefore renews a token this long before it expires (default 1m).
	RefreshBefore string `yaml:"refresh_before"`
}

// ErrorSpec reads vendor error bodies.
type ErrorSpec struct {
	Code    string `yaml:"code"`    // jq over the error body
	Message string `yaml:"message"` // jq over the error body
	// When (jq over a 2xx body) is true when the call failed although the
	// HTTP status says success (JSON-RPC's {"error": ...} with 200).
	When string `yaml:"when"`
	// Kind (jq over the error body) classifies the failure: auth,
	// retryable, conflict, invalid or not_found; empty or null keeps the
	// classification by HTTP status (invalid for a failed 2xx).
	Kind string `yaml:"kind"`
}

// RequestSpec is one HTTP request.
type RequestSpec struct {
	// Method is GET, POST, PUT, PATCH or DELETE (default GET).
	Method string `yaml:"method"`
	// Path is a template, appended to the base URL.
	Path string `yaml:"path"`
	// Query values are templates; a value that renders empty is left out.
	Query map[string]string `yaml:"query"`
	// Headers are templates added to this request.
	Headers map[string]string `yaml:"headers"`
	// Body is a jq program over the request's template data; its value is
	// sent as JSON. No body when empty.
	Body string `yaml:"body"`
}

// StreamSpec pages through one kind of record.
type StreamSpec struct {
	Request RequestSpec `yaml:"request"`
	// Records (jq over the response) selects the records: an array or a
	// stream of objects.
	Records string `yaml:"records"`
	// Next (jq over the response) is the next page token; null or "" ends
	// the round. Without it every round is one page.
	Next string `yaml:"next"`
	// CursorField (jq over one record) is the record's position, e.g.
	// .updated_at.
	CursorField string `yaml:"cursor_field"`
	// CursorType is rfc3339 (default), unix, unix_ms or integer.
	CursorType string `yaml:"cursor_type"`
	// CursorFormat is the Go time layout .cursor is rendered in for
	// rfc3339 cursors (default RFC 3339 with fractional seconds, UTC).
	CursorFormat string `yaml:"cursor_format"`
	// Lookback is re-read at each round (a duration such as "10m", or a
	// count for integer cursors).
	Lookback string `yaml:"lookback"`
	// Start is where the first round starts: a duration back from now for
	// time cursors (default 24h), a value for integer cursors (default 0).
	Start string `yaml:"start"`
	// Map (jq over one record) produces one Aura record (model.Order for
	// pull_orders, model.Payment for pull_payments).
	Map string `yaml:"map"`
	// Payments (jq over one vendor order, pull_orders only) produces Aura
	// payments: an array or a stream of objects.
	Payments string `yaml:"payments"`
	// Expand reads related records for a whole page with one request each
	// (order lines, payments) and adds them to every record before Map.
	Expand []ExpandSpec `yaml:"expand"`
}

// ExpandSpec is one page-level sub-request of a stream: its templates and
// body see .keys (the page's record keys) besides the stream's data; the
// records it returns are grouped by Match and set as field Into of the
// record whose Key equals it.
type ExpandSpec struct {
	// Into is the field added to each record (an array, [] when none).
	Into    string      `yaml:"into"`
	Request RequestSpec `yaml:"request"`
	// Records (jq over the response) selects the related records.
	Records string `yaml:"records"`
	// Key (jq over a page record) is the value related records refer to
	// (default .id).
	Key string `yaml:"key"`
	// Match (jq over a related record) is the key of its page record.
	Match string `yaml:"match"`
}

// FetchSpec reads one order by id.
type FetchSpec struct {
	// Request templates see .id, the vendor order id.
	Request RequestSpec `yaml:"request"`
	// Record (jq over the response) selects the order (default ".").
	Record string `yaml:"record"`
}

// PushSpec writes one Aura item or variation per request.
type PushSpec struct {
	// Per is variation (default: one request per variation) or item.
	Per string `yaml:"per"`
	// Request is the write; its templates see .aura_id, .vendor_id and
	// .external_id, and its body (jq) the object (README.md).
	Request RequestSpec `yaml:"request"`
	// Create, when set, is used instead of Request for objects never pushed.
	Create *RequestSpec `yaml:"create"`
	// ID (jq over the response) is the vendor id of a created object;
	// default the external id.
	ID string `yaml:"id"`
	// VariationIDs (jq over the response, per: item only) are the vendor
	// ids of the item's variations, an array in the order of the Aura
	// item's variations; they are recorded so that orders naming those
	// variations can be created (order_create).
	VariationIDs string `yaml:"variation_ids"`
	// Success are the statuses that mean done (default 200, 201, 204).
	Success []int `yaml:"success"`
	// Retryable are the statuses that stop the push for a later retry
	// (default 408, 429, 500, 502, 503, 504).
	Retryable []int `yaml:"retryable"`
}

// OrderCreateSpec creates one Aura order at the vendor. Its templates see
// .key (the job key, stable across retries), .idempotency_key (derived from
// it, for the vendor's idempotency header), .order_id (the Aura order id,
// the external reference), .since (72 h ago, for lookups) and .settings;
// its body (jq) sees {order, lines, payment, key, idempotency_key,
// order_id} (README.md). Every program of the block sees $job: {key,
// idempotency_key, order_id}.
type OrderCreateSpec struct {
	Request RequestSpec `yaml:"request"`
	// ID (jq over the response) is the vendor's id of the created order
	// (required).
	ID string `yaml:"id"`
	// PaymentID (jq over the response) is the vendor's id of the recorded
	// payment; optional.
	PaymentID string `yaml:"payment_id"`
	// Lookup finds an earlier attempt by external reference before each
	// create, for vendors without idempotency keys.
	Lookup *LookupSpec `yaml:"lookup"`
	// Success are the statuses that mean created (default 200, 201).
	Success []int `yaml:"success"`
	// Retryable are the statuses to retry later with backoff (default 408,
	// 429, 500, 502, 503, 504); other failures are final.
	Retryable []int `yaml:"retryable"`
	// Settings are the integration settings creating an order needs: an
	// order.inject is refused up front naming each one missing.
	Settings []InjectSettingSpec `yaml:"settings"`
}

// InjectSettingSpec is a setting order_create needs.
type InjectSettingSpec struct {
	Name string `yaml:"name"` // the settings key
	Hint string `yaml:"hint"` // what to put there, in the installer's words
	// OrForCash is another setting that does instead for a cash payment.
	OrForCash string `yaml:"or_for_cash"`
}

// RefundCreateSpec refunds an order's payment. Its templates see .key,
// .idempotency_key, .vendor_order_id, .vendor_payment_id, .amount (the
// requested amount in major units as a decimal string, "" for the whole
// payment), .since and .settings; its body (jq) sees {vendor_order_id,
// vendor_payment_id, amount (money or null), reason, key,
// idempotency_key}. $job is {key, idempotency_key, vendor_order_id,
// vendor_payment_id}.
type RefundCreateSpec struct {
	Request RequestSpec `yaml:"request"`
	// ID (jq over the response) is the vendor's refund id (required).
	ID string `yaml:"id"`
	// Amount (jq over the response) is the refunded money (money());
	// default the requested amount.
	Amount string `yaml:"amount"`
	// Status (jq over the response) is the refund's status; default
	// completed.
	Status string `yaml:"status"`
	// Lookup finds an earlier attempt before each refund.
	Lookup    *LookupSpec `yaml:"lookup"`
	Success   []int       `yaml:"success"`
	Retryable []int       `yaml:"retryable"`
}

// LookupSpec is a request that finds what an earlier attempt created.
// A 404 answer means none.
type LookupSpec struct {
	Request RequestSpec `yaml:"request"`
	// ID (jq over the response, with $job) is the vendor id the earlier
	// attempt created; null, "" or no output when there was none.
	ID string `yaml:"id"`
	// PaymentID (jq over the response, with $job) is its payment id;
	// optional.
	PaymentID string `yaml:"payment_id"`
}

// WebhookSpec verifies webhook deliveries.
type WebhookSpec struct {
	Signature SignatureSpec `yaml:"signature"`
	// EventID (jq over the body) de-duplicates redeliveries; default a hash
	// of the body.
	EventID string `yaml:"event_id"`
	// OrderIDs and PaymentIDs (jq over the body) name vendor ids to fetch:
	// strings or arrays of strings.
	OrderIDs   string `yaml:"order_ids"`
	PaymentIDs string `yaml:"payment_ids"`
}

// SignatureSpec is an HMAC signature over a template of the delivery.
type SignatureSpec struct {
	// Header carries the signature.
	Header string `yaml:"header"`
	// Prefix is stripped from the header value ("sha256=").
	Prefix string `yaml:"prefix"`
	// Alg is hmac-sha256 (default), hmac-sha512 or hmac-sha1.
	Alg string `yaml:"alg"`
	// Encoding is hex (default) or base64.
	Encoding string `yaml:"encoding"`
	// Signed is a template over .body (string), .header (http.Header) and
	// .url giving the signed text (default "{{.body}}").
	Signed string `yaml:"signed"`
	// Timestamp is a template giving the signed timestamp (Unix seconds,
	// milliseconds or RFC 3339); deliveries further than Tolerance from now
	// are refused. Optional.
	Timestamp string `yaml:"timestamp"`
	// Tolerance is the accepted clock distance (default 5m).
	Tolerance string `yaml:"tolerance"`
	// Secret names the credential holding the key (default webhook_secret).
	Secret string `yaml:"secret"`
}

// ParseManifest decodes a manifest strictly (unknown fields are errors).
// It checks the shape only; New compiles and validates the rest.
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > MaxManifestBytes {
		return nil, fmt.Errorf("%w: %d bytes is more than %d", ErrManifest, len(data), MaxManifestBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty document", ErrManifest)
		}
		return nil, fmt.Errorf("%w: %s", ErrManifest, strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n ", ""))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrManifest)
	}
	return &m, nil
}

var vendorRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

var methods = map[string]bool{
	http.MethodGet: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true,
}
