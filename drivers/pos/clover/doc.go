// Package clover is the aura-edge adapter for the Clover platform REST API:
// it pushes Aura menus to a Clover merchant's inventory and pulls the
// merchant's orders and payments into the Aura model.
//
// The adapter registers itself as vendor "clover" from init; blank-import
// the package (the daemon does so through drivers/pos/all). Required
// credentials: access_token. Optional credentials: refresh_token and
// client_id (expiring OAuth v2 tokens are refreshed with them; the rotated
// pair is kept in the integration's State), webhook_auth_code (the
// X-Clover-Auth code shown in the Developer Dashboard). Required setting:
// merchant_id. See README.md for every mapping decision and assumption, and
// sample.yaml for an example integration.
//
// Package clovertest holds a stand-in Clover server for tests and the demo.
package clover
