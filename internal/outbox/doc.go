// Package outbox keeps cloud-bound events in bbolt, one durable FIFO queue
// per stream, until the cloud link acknowledges them.
//
// # Guarantees
//
// Append returns only after the rows are fsync'd (store.DB.Batch: concurrent
// callers share one commit). AppendTx writes inside the caller's own
// transaction, so a record and its outbox row commit or roll back together.
// Each row gets, at append time, a per-stream sequence number (Seq, strictly
// increasing, never reused), a UUIDv7 (the CloudEvents id, stored, so a
// redelivery carries the same id) and, when it has a Subject, a per-subject
// sequence number (SubjectSeq: 1, 2, 3... for the events of one order,
// counted across all streams). Rows leave the queue only through Ack, or,
// for telemetry alone, by being dropped to make room.
//
// # Layout (under the store.Outbox bucket)
//
//	<stream>/rows       store.U64(seq) -> row (see row.go); the bucket's sequence is the last Seq
//	<stream>            "depth", "bytes", "dropped" counters, updated in the same transaction as the rows
//	keys                DedupeKey -> stream, seq, subject seq, id, time (keys without a DedupeScope)
//	keyorder            store.U64(n) -> DedupeKey, or NUL + the scoped key, in the order keys were added (for pruning)
//	subjects            Subject -> last SubjectSeq, last use[, the caller's ref (SetSubjectRef)]
//	                    DedupeScope NUL sha256(DedupeKey)[:12] -> as in keys, beside the scope's counter
//	subjects_log        store.U64(n) -> a change of subjects not merged yet (subjects.go)
//	state               "layout", "dedupe_count", "subject_sweep"
//
// Open reads only the counters and the first row of each stream, and the
// subjects log (about Config.SubjectLogMerge changes at most while merges
// succeed, none after a clean stop),
// so start-up costs the same with ten rows or a million.
//
// # Capacity
//
// Every stream has a row and a byte limit (Config.Streams). Orders, payments,
// sync-logs and cmd-results are never dropped: at the limit, Append refuses
// with a *FullError (errors.Is ErrFull) whose Reason an operator can act on,
// nothing already queued is touched, and Stats reports Full until the queue
// drains below 95% of its limit. The alarm is logged at Error once per
// transition, not per refused request. Telemetry instead drops its oldest
// rows to make room and counts them in StreamStats.Dropped.
//
// Free disk space is checked against per-stream floors: telemetry is refused
// first (below 2 x Config.MinFreeBytes), then sync-logs (below MinFreeBytes),
// and orders, payments and cmd-results only below the second, lower floor,
// Config.CriticalFreeBytes. Refusals carry *DiskLowError (errors.Is
// ErrDiskLow). A refused Append writes nothing and is safe to retry.
//
// # Bounds of the indexes
//
// The dedupe index remembers a DedupeKey for Config.DedupeMaxAge (default 30
// days) after it was appended, and at most Config.DedupeMaxKeys keys (default
// 1,000,000). A key whose row is still queued is never forgotten: pruning
// walks keys oldest first and stops at the first one whose row is still
// waiting, so while the cloud link is down the index may exceed the count
// bound by the rows queued. Pruning runs inside appends that add keys (at most
// two old keys per new key), so no goroutine is needed.
//
// A subject's counter is forgotten when the subject has had no event for
// Config.SubjectMaxAge (default 400 days); a later event for it would start
// again at SubjectSeq 1. The sweep runs inside appends that create subjects.
//
// Writes to subjects are deferred: each goes to subjects_log in the
// appending transaction and is kept in memory once committed; a merge in a
// goroutine of its own applies the log to subjects when it holds
// Config.SubjectLogMerge changes or every 10 minutes, and MergeSubjects
// empties it (the daemon calls it when it stops). Open reads the log.
// That merge is the only goroutine the package starts. The sender waits on
// Ready, reads with Peek, records tries with MarkAttempt and deletes
// delivered rows with Ack.
package outbox
