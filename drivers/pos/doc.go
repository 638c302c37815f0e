// Package pos is the plug-in point for POS vendor adapters: the Adapter
// interface, the registry of vendors by name, and the pieces every adapter
// shares (vendor errors, id mappings, webhook hints).
//
// Adapters register from init, the way database/sql drivers do:
//
//	func init() { pos.Register(pos.Driver{Name: "square", New: New, ...}) }
//
// and the daemon blank-imports drivers/pos/all. The host (internal/bridge)
// owns the flows: it decides when to push and pull, persists cursors and
// results, and writes the audit log; an adapter only speaks its vendor's
// API and translates to and from the Aura model.
//
// Lifecycle: New validates the config and allocates, with no network I/O;
// every other method takes a context and may call the vendor. A package's
// constructor returns its concrete *Adapter and is registered through
// Adapt (pos.Adapt(New)), so tests use the concrete type and the registry
// never sees a typed nil.
//
// The toolkit every adapter uses instead of its own copy: Requester (JSON
// requests, VendorError classification), TokenCache (the OAuth/login token
// in State, one renewal at a time), Config.Read (typed settings with bounds
// and human errors), UnsupportedAll (a vendor that cannot take a menu), and
// PullResult.Reject (a record that cannot be represented goes back to the
// host, which audits it and sets it aside; never drop one).
package pos

// State and secrets: the host encrypts State values at rest, so adapters
// keep rotated refresh tokens and cached access tokens there (under
// "token/..."), written with one Put so a crash never leaves a half-rotated
// pair, and prefer them over the initial Credentials.
