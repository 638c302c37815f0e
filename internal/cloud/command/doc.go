// Package command runs the Aura cloud's signed commands for the MQTT link
// (package cloud), which keeps the connection and delivery only.
//
// One delivery's trip is Pipeline.Process and reads top to bottom:
//
//	decode  → Decode: one JSON object of at most 1 MiB, CloudEvents members,
//	          the topic's type, a registered handler
//	verify  → the Ed25519 signature over SignedBytes (SIGNING.md), a known key
//	claim   → one worker per id in this process; commands_seen: a command
//	          already executed gets its stored result again, one found
//	          running after a restart is answered "interrupted"; expiry;
//	          the id recorded as running (committed) before the handler runs
//	run     → the Handler, bounded by the command timeout, panics caught
//	record  → audited; the result stored with the seen record in the same
//	          bbolt transaction as its cmd-results outbox row
//	answer  → the sender woken to publish the result
//
// Every delivery gets exactly one result and one audit event. The inbox
// (Receive, Done, Pending) keeps each delivery durably from before its
// PUBACK until it has its result, so a crash in between replays it at the
// next start, where the claim step makes the replay harmless.
package command
