// Package lightspeed speaks the Lightspeed Retail X-Series (formerly Vend)
// API for aura-edge: it pushes Aura menus as products, pulls sales as Aura
// orders and verifies sale webhooks.
//
// It registers itself as vendor "lightspeed" (alias "vend"). Settings:
// domain_prefix and currency (required), base_url (default
// https://{domain_prefix}.retail.lightspeed.app/api/2026-07), token_url
// (default <origin of base_url>/api/1.0/token), page_size (default 200),
// overlap_versions (default 500) and variant_attribute (default "Size").
// Credentials: client_id, client_secret and refresh_token (required),
// access_token (optional) and webhook_secret (optional, defaults to
// client_secret).
//
// X-Series rotates refresh tokens: every refresh revokes the old one, so the
// adapter persists the new pair with one State Put before it uses it, and
// serialises refreshes with a mutex. X-Series has no modifier groups; see
// README.md for how the menu is mapped and for every assumption marked
// (verify) in the vendor notes.
package lightspeed
