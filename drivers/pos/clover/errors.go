package clover

import "errors"

// ErrNoRefresh is wrapped (inside a *pos.VendorError of kind Auth) when the
// access token was refused or has expired and no refresh_token and client_id
// are configured to obtain a new one.
var ErrNoRefresh = errors.New("access token expired and no refresh_token/client_id to refresh it")

// ErrNoAuthCode is wrapped together with pos.ErrBadSignature by VerifyWebhook
// when a delivery arrives but no webhook_auth_code is configured.
var ErrNoAuthCode = errors.New("no webhook_auth_code configured")

// ErrBadCursor is returned by PullOrders when the cursor is not one this
// adapter wrote.
var ErrBadCursor = errors.New("clover: unreadable cursor")

// errEmptyOrder marks an order with no line items and no total (an order a
// register opened but never used); such orders are skipped.
var errEmptyOrder = errors.New("order has no line items and no total")
