// Package squaretest is a stand-in for Square's Connect API that follows
// Square's documented request and response shapes (api.json, Square-Version
// 2025-08-20), for the Square adapter's tests, other packages' end-to-end
// tests and `aura-edge demo`.
//
// It keeps state (catalog objects with versions, seeded orders and
// payments, OAuth tokens), pages results with cursors bound to their query,
// records every request, and injects faults:
//
//	srv := squaretest.Start(t)                      // listening, closed at test end
//	srv.SeedOrder(squaretest.OrderSpec{...})        // amounts computed Square-style
//	srv.FailNext(2, squaretest.RateLimited("1"))    // 429 with Retry-After
//	srv.ExpireAccessTokens()                        // 401 ACCESS_TOKEN_EXPIRED until refreshed
//	srv.TouchObject(id)                             // a Dashboard edit: the next update is stale
//	body, _ := srv.OrderEvent("order.updated", id)  // webhook body
//	req := squaretest.SignedDelivery(key, url, body)
//
// Outside tests, New returns an http.Handler that starts nothing; serve it
// and call SetURL. With WithValidator (see package squarespec) every
// request is checked against the OpenAPI description and answered 400 in
// Square's error shape when invalid, and every response is checked too.
//
// Supported: POST /oauth2/token (refresh_token grant), GET /v2/locations,
// GET /v2/locations/{id}, POST /v2/catalog/batch-upsert,
// POST /v2/catalog/batch-retrieve, GET /v2/catalog/object/{id},
// GET /v2/catalog/list, POST /v2/orders/search, POST /v2/orders/batch-retrieve,
// GET /v2/orders/{id}, GET /v2/payments, GET /v2/payments/{id}, and for order
// injection (inject.go, same document and version) POST /v2/orders
// (CreateOrder), POST /v2/payments (CreatePayment, source_id EXTERNAL only)
// and POST /v2/refunds (RefundPayment), with Square's idempotency-key rules.
package squaretest
