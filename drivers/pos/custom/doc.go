// Package custom is the aura-edge adapter for vendor APIs described by a
// declarative manifest instead of Go code.
//
// An integration of vendor "custom" names a manifest (settings.manifest, a
// file path, or settings.manifest_yaml, the YAML itself) that says how to
// reach the vendor (base URL, auth, headers), how to page through its
// orders (request templates, a gojq record selector, next-page token and
// cursor field with an overlap window), how to map one vendor order to an
// Aura order (a gojq program with money helpers such as minor("4.50";
// "USD")), and optionally how to push menu items and verify webhooks. New
// parses and compiles everything, with no network I/O, and reports problems
// by manifest field. README.md documents the manifest format and the jq
// helper functions; testdata/acme.yaml is a complete example.
//
// Package customtest holds a stand-in for the fictitious Acme POS API that
// the example manifest talks to; loyversetest, sumuptest and odootest are
// stand-ins for the real APIs of the manifests shipped in configs/adapters.
// Check validates a manifest without an integration (aura-edge adapter
// check), and Schema is the JSON Schema of the format.
package custom
