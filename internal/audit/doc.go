// Package audit records every sync attempt and its outcome (the seed's
// pos_sync_logs): menu pushes, order pulls, webhooks, commands, prints and
// integration changes. Each record is written to bbolt (kept for a bounded
// time) and, in the same transaction, queued for the cloud as an
// events/sync-logs event.
package audit
