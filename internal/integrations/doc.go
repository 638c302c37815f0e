// Package integrations keeps the store's POS integrations (the seed's
// pos_integrations table): which vendor, its settings, and its credentials,
// sealed with the credential key and bound to the integration id so a
// ciphertext cannot be moved to another integration.
//
// It also gives each integration an encrypted pos.State for what adapters
// persist (rotated refresh tokens, id mappings).
//
// Layout: pos_integrations/<id>/record (JSON, no secrets) and
// pos_integrations/<id>/credentials (sealed, AD "pos_integrations/<id>");
// vendor_state/<id>/<key> (sealed, AD "vendor_state/<id>/<key>").
package integrations
