// Package clovertest runs a stand-in for the Clover platform REST API, for
// the clover adapter's tests, other packages' end-to-end tests and
// `aura-edge demo`.
//
// # Documents it follows
//
// Clover has no published OpenAPI file in a public repository with a
// licence that allows copying (searched: GitHub repositories "clover",
// "clover-android-sdk", api-evangelist/clover, whose scraped OAS has untyped
// fields; the ReadMe registry definition @clover-platform/v3 needs network
// access), so the stand-in follows the reference pages, read 2026-12-03:
//
//   - Clover REST API v3 reference (docs.clover.com/dev/reference): "Get all
//     orders" (GET /v3/merchants/{mId}/orders), "Get a single order"
//     (GET /orders/{orderId}), "Get all line items for an order"
//     (GET /orders/{orderId}/line_items), "Get all payments for an order"
//     (GET /orders/{orderId}/payments), "Get all tenders for a merchant"
//     (GET /tenders), the inventory item, modifier group, modifier and tax
//     rate operations, and OAuth v2 refresh (POST /oauth/v2/refresh).
//   - Guides: "Working with orders", "Calculate order totals", "Orders
//     FAQs" (line discounts come from /line_items?expand=discounts),
//     "Webhooks" (X-Clover-Auth, {"appId","merchants":{...}}), "Rate and
//     concurrency limits".
//
// Each operation honours only the expansions its reference page lists (see
// listOrderExpands and its siblings); others are ignored, as the real API
// may, and reported by Ignored. So a line's tax rates never come with an
// order (no orders operation documents lineItems.taxRates), "Get a single
// order" inlines lines without modifications or discounts, and a payment's
// tender is a bare {"id"} unless the list's payment.tender or the order
// payments' tender is expanded.
//
// It is a real net/http server: OAuth v2 refresh with single-use refresh
// tokens, inventory items, modifier groups, modifiers, tax rates and their
// links (all updated with POST), and orders listed with modifiedTime
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
