// Package ingest is the capture path: it validates Aura orders and payments
// from any source (LAN terminals, POS pulls), gives them stable ids, and
// writes each record together with its outbox row in one fsync'd
// transaction, so that whatever is acknowledged reaches the cloud.
//
// A revision (vendor + external id + version) is written once: resubmitting
// it returns the first result with Status "duplicate" and creates no event.
package ingest
