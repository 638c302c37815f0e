// Package square is the POS adapter for Square: it pushes Aura menus into the
// Square Catalog, pulls orders and payments, and verifies Square webhooks.
//
// It registers itself as vendor "square" from init; the daemon selects it
// with `vendor: square`. Everything it sends and reads follows Square's
// OpenAPI description (api.json, Square-Version 2025-08-20), a copy of which
// lives in testdata/openapi and is the test oracle for every request and
// response (see squaretest and squaretest/squarespec).
//
// Menu push: POST /v2/catalog/batch-upsert with CATEGORY, TAX,
// MODIFIER_LIST (nested MODIFIER) and ITEM (nested ITEM_VARIATION) objects.
// New objects use "#<aura id>" client ids; updates send the full object with
// its current version; a VERSION_MISMATCH re-reads the objects with
// batch-retrieve and retries once. Unchanged objects (same hash as the last
// successful push, kept in pos.Mappings) are not sent.
//
// Order pull: POST /v2/orders/search on an updated_at window sorted by
// UPDATED_AT ascending, plus GET /v2/payments on the same window, page by
// page; the cursor is this package's own JSON. Routine windows start
// "overlap" before the last one ended; every "deep_rescan" (and on the first
// pull) the window reaches "offline_lag" (72h) back, because orders taken
// offline can reach Square that late.
//
// See README.md for the field-by-field mapping and every assumption marked
// (verify).
package square
