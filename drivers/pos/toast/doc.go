// Package toast speaks the Toast POS API for aura-edge: it pulls orders
// (with their checks and payments) as Aura orders, verifies order_updated
// webhooks, creates orders taken in the Aura cloud (POST /orders/v2/orders,
// idempotent by externalId), and reports menu pushes as unsupported because
// Toast's menus API is read-only.
//
// It registers itself as vendor "toast". Credentials: client_id and
// client_secret (required), webhook_secret (optional). Settings:
// restaurant_guid and currency (required), base_url (default
// https://ws-api.toasttab.com), overlap (default 10m), initial_lookback
// (default 24h), max_window (default 24h), request_timeout (default 45s,
// above the 30 s Toast's orders API may take); for order creation
// dining_option_guid, other_payment_guid, price_mismatch (accept or
// refuse) and external_id_authority (default AURA).
//
// Toast has no refresh flow and rate-limits logins: the access token is
// cached in State until shortly before it expires, and the adapter never
// logs in more than twice an hour, failing with pos.Auth instead. See
// README.md for the money derivation and every (verify) assumption.
package toast
