package custom

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// SchemaID is the $id of the manifest JSON Schema.
const SchemaID = "https://auraconnect.example/schemas/aura-edge/custom-manifest.schema.json"

// fieldDocs describe manifest fields for editors ("Type.field").
var fieldDocs = map[string]string{
	"Manifest.vendor":                   "Vendor name: Source.Vendor of every pulled record. Lowercase letters, digits, '-' and '_'.",
	"Manifest.title":                    "Human name of the vendor, e.g. \"Loyverse POS\".",
	"Manifest.docs":                     "The vendor document (and its version) this manifest follows; informative.",
	"Manifest.currency":                 "Default ISO 4217 currency ($currency, one-argument money helpers); settings.currency overrides it. Default USD.",
	"Manifest.requester":                "How to reach the vendor: base URL, auth, headers, timeout, error bodies.",
	"Manifest.test_connection":          "A cheap authenticated request for connection tests; without it the first page of pull_orders is read.",
	"Manifest.pull_orders":              "Pages through orders changed since the cursor and maps each to an Aura order (required).",
	"Manifest.pull_payments":            "Pages through payments when the vendor lists them apart from orders.",
	"Manifest.fetch_order":              "Reads one order by vendor id (after a webhook); templates see .id.",
	"Manifest.push_item":                "Writes one Aura item or variation per request (menu push).",
	"Manifest.push_unsupported":         "When the vendor has no menu API: the reason every menu object is reported unsupported.",
	"Manifest.webhook":                  "Verifies webhook deliveries (HMAC) and names the orders they concern.",
	"Manifest.order_create":             "Creates an Aura order (order.inject) at the vendor: request, id selector, optional lookup of an earlier attempt.",
	"Manifest.order_create_unsupported": "When the vendor's API cannot create orders: the reason order.inject reports unsupported.",
	"Manifest.refund_create":            "Refunds (part of) an order's payment (order.refund): request, id selector, optional lookup.",
	"Manifest.refund_unsupported":       "When the vendor's API cannot refund: the reason order.refund reports unsupported.",

	"OrderCreateSpec.request":       "The create request (default POST). Templates see .key, .idempotency_key, .order_id, .since, .settings; the body (jq) sees {order, lines, payment, key, idempotency_key, order_id}.",
	"OrderCreateSpec.id":            "jq over the response: the vendor's order id (required).",
	"OrderCreateSpec.payment_id":    "jq over the response: the vendor's payment id (optional).",
	"OrderCreateSpec.lookup":        "Finds an earlier attempt by the external reference ($job.order_id) before each create, for vendors without idempotency keys.",
	"OrderCreateSpec.success":       "Statuses that mean created (default 200, 201).",
	"OrderCreateSpec.retryable":     "Statuses retried later with backoff (default 408, 429, 500, 502, 503, 504); other refusals are final.",
	"OrderCreateSpec.settings":      "Integration settings creating an order needs: order.inject is refused up front (nothing stored) naming each one missing.",
	"InjectSettingSpec.name":        "The settings key.",
	"InjectSettingSpec.hint":        "What to put there, in the installer's words.",
	"InjectSettingSpec.or_for_cash": "Another setting that does instead for a cash payment.",

	"RefundCreateSpec.request":   "The refund request (default POST). Templates see .key, .idempotency_key, .vendor_order_id, .vendor_payment_id, .amount (major units, \"\" for all), .since, .settings; the body (jq) sees {vendor_order_id, vendor_payment_id, amount, reason, key, idempotency_key}.",
	"RefundCreateSpec.id":        "jq over the response: the vendor's refund id (required).",
	"RefundCreateSpec.amount":    "jq over the response: the refunded money (money()); default the requested amount.",
	"RefundCreateSpec.status":    "jq over the response: the refund's status (default completed).",
	"RefundCreateSpec.lookup":    "Finds an earlier attempt ($job.key, $job.vendor_order_id) before each refund.",
	"RefundCreateSpec.success":   "Statuses that mean refunded (default 200, 201).",
	"RefundCreateSpec.retryable": "Statuses retried later with backoff (default 408, 429, 500, 502, 503, 504).",

	"LookupSpec.request":    "The search request; same template data as the block. A 404 answer means no earlier attempt.",
	"LookupSpec.id":         "jq over the response (with $job): the vendor id the earlier attempt created; null, \"\" or no output when none.",
	"LookupSpec.payment_id": "jq over the response (with $job): the earlier attempt's payment id (optional).",

	"RequesterSpec.base_url":   "API root, e.g. https://api.example.com; settings.base_url overrides it.",
	"RequesterSpec.auth":       "How requests are authenticated. Credential fields name keys of the integration's credentials, not secrets.",
	"RequesterSpec.headers":    "Headers sent with every request (templates over .settings and .now).",
	"RequesterSpec.timeout":    "Per-request timeout, a Go duration such as 30s (default 30s).",
	"RequesterSpec.error":      "jq programs that read error bodies (and failures inside 2xx answers).",
	"RequesterSpec.rate_limit": "The vendor's rate-limit headers: when an answer says none are left, requests wait (kind retryable) until the window resets.",
	"RequesterSpec.sign":       "Signs every request with an HMAC over a template of it (method, path, query, body, headers, timestamp).",

	"RateLimitSpec.remaining":  "Header with the requests left in the window, e.g. X-RateLimit-Remaining.",
	"RateLimitSpec.reset":      "Header saying when the window resets, e.g. X-RateLimit-Reset.",
	"RateLimitSpec.reset_type": "How reset is written: seconds from now (default), unix, unix_ms or rfc3339.",

	"SignSpec.header":   "Header that receives the signature.",
	"SignSpec.prefix":   "Text put before the signature, e.g. \"HMAC \".",
	"SignSpec.alg":      "hmac-sha256 (default), hmac-sha512 or hmac-sha1.",
	"SignSpec.encoding": "hex (default) or base64.",
	"SignSpec.secret":   "The credential holding the signing key.",
	"SignSpec.headers":  "Headers set before signing (templates), e.g. X-Timestamp: \"{{.timestamp}}\".",
	"SignSpec.signed":   "Template over .method, .path, .query, .body, .header, .timestamp, .timestamp_ms and .settings: the signed text.",

	"AuthSpec.type":           "none, bearer, api_key, basic or oauth2_client_credentials.",
	"AuthSpec.token":          "bearer: the credential holding the token (default access_token).",
	"AuthSpec.key":            "api_key: the credential holding the key (default api_key).",
	"AuthSpec.header":         "api_key: header name (default X-Api-Key).",
	"AuthSpec.query":          "api_key: send the key as this query parameter instead of a header.",
	"AuthSpec.prefix":         "api_key: text put before the key in the header, e.g. \"Token \".",
	"AuthSpec.username":       "basic: the credential holding the user name (default username).",
	"AuthSpec.password":       "basic: the credential holding the password (default password).",
	"AuthSpec.token_url":      "oauth2_client_credentials: token endpoint, absolute or a path on the base URL.",
	"AuthSpec.client_id":      "oauth2_client_credentials: the credential holding the client id (default client_id).",
	"AuthSpec.client_secret":  "oauth2_client_credentials: the credential holding the client secret (default client_secret).",
	"AuthSpec.scopes":         "oauth2_client_credentials: scopes to request.",
	"AuthSpec.client_auth":    "oauth2_client_credentials: basic (HTTP Basic, default) or body (form fields).",
	"AuthSpec.refresh_before": "oauth2_client_credentials: renew the token this long before it expires (default 1m).",

	"ErrorSpec.code":    "jq over an error body: the vendor's error code.",
	"ErrorSpec.message": "jq over an error body: the vendor's message.",
	"ErrorSpec.when":    "jq over a 2xx body: true when the call failed anyway (JSON-RPC's {\"error\": ...}).",
	"ErrorSpec.kind":    "jq over a failed body: auth, retryable, conflict, invalid or not_found.",

	"RequestSpec.method":  "GET (default), POST, PUT, PATCH or DELETE.",
	"RequestSpec.path":    "Template appended to the base URL; must start with /.",
	"RequestSpec.query":   "Query parameters (templates); a value that renders empty is left out.",
	"RequestSpec.headers": "Headers of this request (templates).",
	"RequestSpec.body":    "jq program over the template data (.settings, .now, .cursor, .next, .id, .keys, or the push input); its value is sent as JSON.",

	"StreamSpec.request":       "The list request; templates see .cursor (rendered per cursor_type/format) and .next (page token).",
	"StreamSpec.records":       "jq over the response: the records (an array or a stream).",
	"StreamSpec.next":          "jq over the response: the next page token; null or \"\" ends the round.",
	"StreamSpec.cursor_field":  "jq over one record: its position (e.g. .updated_at).",
	"StreamSpec.cursor_type":   "rfc3339 (default), unix, unix_ms or integer.",
	"StreamSpec.cursor_format": "Go time layout .cursor is rendered in (rfc3339 cursors), e.g. \"2006-01-02 15:04:05\".",
	"StreamSpec.lookback":      "Overlap re-read each round: a duration (or a count for integer cursors).",
	"StreamSpec.start":         "Where the first round starts: a duration back from now (default 24h), or a value for integer cursors.",
	"StreamSpec.map":           "jq over one record: one Aura record (model.Order for pull_orders, model.Payment for pull_payments).",
	"StreamSpec.payments":      "jq over one vendor order (pull_orders only): its Aura payments.",
	"StreamSpec.expand":        "Page-level sub-requests that add related records (lines, payments) to every record before map.",

	"ExpandSpec.into":    "Field added to each record: an array of its related records.",
	"ExpandSpec.request": "The request; its templates and body see .keys, the page's record keys.",
	"ExpandSpec.records": "jq over the response: the related records.",
	"ExpandSpec.key":     "jq over a page record: the key related records refer to (default .id).",
	"ExpandSpec.match":   "jq over a related record: the key of its page record.",

	"FetchSpec.request": "Reads one order; templates see .id.",
	"FetchSpec.record":  "jq over the response: the order (default .).",

	"PushSpec.per":           "variation (default: one request per variation) or item.",
	"PushSpec.request":       "The write (update, or upsert without create); templates see .aura_id, .vendor_id, .external_id.",
	"PushSpec.create":        "Used instead of request for objects never pushed (body defaults to request.body).",
	"PushSpec.id":            "jq over the response: the vendor id of a created object.",
	"PushSpec.variation_ids": "per: item only. jq over the response: the vendor ids of the item's variations (an array, in the Aura item's order), recorded for order_create.",
	"PushSpec.success":       "HTTP statuses that mean done (default 200, 201, 204).",
	"PushSpec.retryable":     "HTTP statuses that stop the push for a later retry (default 408, 429, 500, 502, 503, 504).",

	"WebhookSpec.signature":   "The HMAC signature of deliveries.",
	"WebhookSpec.event_id":    "jq over the body: the event id that de-duplicates redeliveries (default a hash of the body).",
	"WebhookSpec.order_ids":   "jq over the body: vendor order ids to fetch.",
	"WebhookSpec.payment_ids": "jq over the body: vendor payment ids.",

	"SignatureSpec.header":    "Header carrying the signature.",
	"SignatureSpec.prefix":    "Stripped from the header value, e.g. sha256=.",
	"SignatureSpec.alg":       "hmac-sha256 (default), hmac-sha512 or hmac-sha1.",
	"SignatureSpec.encoding":  "hex (default) or base64.",
	"SignatureSpec.signed":    "Template over .body, .header and .url: the signed text (default {{.body}}).",
	"SignatureSpec.timestamp": "Template giving the signed timestamp (Unix s, ms or RFC 3339).",
	"SignatureSpec.tolerance": "Accepted clock distance of the timestamp (default 5m).",
	"SignatureSpec.secret":    "The credential holding the signing key (default webhook_secret).",
}

// fieldEnums are the values a field may take.
var fieldEnums = map[string][]string{
	"AuthSpec.type":            {AuthNone, AuthBearer, AuthAPIKey, AuthBasic, AuthOAuth2},
	"AuthSpec.client_auth":     {"basic", "body"},
	"RequestSpec.method":       {"GET", "POST", "PUT", "PATCH", "DELETE"},
	"StreamSpec.cursor_type":   {CursorRFC3339, CursorUnix, CursorUnixMS, CursorInteger},
	"PushSpec.per":             {PerVariation, PerItem},
	"SignatureSpec.alg":        {"hmac-sha256", "hmac-sha512", "hmac-sha1"},
	"SignatureSpec.encoding":   {"hex", "base64"},
	"SignSpec.alg":             {"hmac-sha256", "hmac-sha512", "hmac-sha1"},
	"SignSpec.encoding":        {"hex", "base64"},
	"RateLimitSpec.reset_type": {"seconds", "unix", "unix_ms", "rfc3339"},
}

// required fields per type.
var fieldRequired = map[string][]string{
	"Manifest":      {"vendor", "pull_orders"},
	"StreamSpec":    {"request", "records", "map"},
	"RequestSpec":   {"path"},
	"ExpandSpec":    {"into", "request", "records", "match"},
	"FetchSpec":     {"request"},
	"PushSpec":      {"request"},
	"WebhookSpec":   {"signature"},
	"SignatureSpec": {"header"},
	"RateLimitSpec": {"remaining", "reset"},
	"SignSpec":      {"header", "secret", "signed"},
}

// Schema returns the JSON Schema (draft 2020-12) of the manifest format,
// built from the Manifest type, so that editors can complete and check
// manifests (configs/adapters/manifest.schema.json is this, written out).
func Schema() []byte {
	defs := map[string]any{}
	root := schemaOf(reflect.TypeOf(Manifest{}), defs)
	out := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaID,
		"title":       "aura-edge custom vendor manifest",
		"description": "Describes a POS vendor API for aura-edge's custom adapter (drivers/pos/custom/README.md).",
		"$defs":       defs,
	}
	for k, v := range root {
		out[k] = v
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		panic(err) // only maps, slices and strings
	}
	return append(b, '\n')
}

func schemaOf(t reflect.Type, defs map[string]any) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int:
		return map[string]any{"type": "integer", "minimum": 100, "maximum": 599}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), defs)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), defs)}
	case reflect.Struct:
		name := t.Name()
		if name != "Manifest" {
			if _, ok := defs[name]; !ok {
				defs[name] = true // placeholder against recursion
				defs[name] = structSchema(t, defs)
			}
			return map[string]any{"$ref": "#/$defs/" + name}
		}
		return structSchema(t, defs)
	}
	panic(fmt.Sprintf("manifest schema: unhandled kind %s", t.Kind()))
}

func structSchema(t reflect.Type, defs map[string]any) map[string]any {
	props := map[string]any{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		s := schemaOf(f.Type, defs)
		key := t.Name() + "." + tag
		if ref, ok := s["$ref"]; ok && (fieldDocs[key] != "") {
			s = map[string]any{"allOf": []any{map[string]any{"$ref": ref}}}
		}
		if d := fieldDocs[key]; d != "" {
			s["description"] = d
		}
		if e := fieldEnums[key]; e != nil {
			s["enum"] = e
		}
		if key == "Manifest.vendor" {
			s["pattern"] = vendorRe.String()
		}
		props[tag] = s
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if r := fieldRequired[t.Name()]; r != nil {
		out["required"] = r
	}
	return out
}
