// Package customtest runs a stand-in for the fictitious Acme POS API that
// the custom adapter's example manifest (drivers/pos/custom/testdata/
// acme.yaml) describes, for the adapter's tests, other packages'
// end-to-end tests and `aura-edge demo`.
//
// It is a real net/http server with state: OAuth2 client-credentials
// tokens (POST /oauth/token) that expire on the server's clock, locations,
// orders with decimal-string money listed by updated_at with keyset page
// tokens (GET /v1/locations/{id}/orders), single orders (GET
// /v1/orders/{id}), payments listed with offset paging (GET /v1/payments),
// and items written by id (PUT /v1/locations/{id}/items/{item}) or created
// under a new id (POST /v1/locations/{id}/items). Every
// /v1 request needs a bearer token and the Acme-Version header. It records
// every request, injects faults (FailNext: 429 with Retry-After, 500, any
// status), computes order totals independently of the adapter (math/big),
// and builds signed webhook deliveries.
//
//	srv := customtest.Start(t)
//	cfg := pos.Config{Credentials: srv.Credentials(), Settings: srv.Settings()}
//	srv.SeedOrder(customtest.Order{Lines: []customtest.Line{{Name: "Latte", Quantity: "1", UnitPrice: "4.50"}}})
package customtest
