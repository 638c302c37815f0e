// Package clovertest runs a stand-in for the Clover platform REST API, for
// the clover adapter's tests, other packages' end-to-end tests and
// `aura-edge demo`.
//
// It is a real net/http server that follows the request and response shapes
// documented in VENDOR-APIS.md section 3: OAuth v2 refresh with single-use
// refresh tokens, inventory items, modifier groups, modifiers, tax rates and
// their links (all updated with POST), and orders listed with modifiedTime
// filters, expand, orderBy and limit/offset paging, wrapped in
// {"elements": [...]}. It keeps state, records every request, computes order
// totals with Clover's documented rules (ComputeTotals), injects faults
// (FailNext, ExpireAccessTokens, rate and concurrency limits, ignoring
// orderBy) and builds webhook deliveries with the X-Clover-Auth code.
//
//	srv := clovertest.Start(t)
//	cfg := pos.Config{Credentials: srv.Credentials(), Settings: srv.Settings()}
//	srv.SeedOrder(clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Latte", Price: 450}}})
//
// Menu endpoints beyond those (catalog_menu.go) follow docs.clover.com
// (Platform v3 REST, "Manage categories" and the Inventory reference, read
// 2026-12): categories and category_items, and the DELETE routes of items,
// modifier groups, modifiers, categories and tax rates.
package clovertest
