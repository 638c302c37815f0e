// Package cloud is aura-edge's MQTT link to the Aura cloud: it delivers the
// outbox to the broker and runs the cloud's commands.
//
// # Lifecycle
//
// New validates the Config and the Deps and builds a *Client; it starts no
// goroutine and reads no file. The host registers command handlers with
// Handle, then calls Run(ctx), which connects, reconnects with jittered
// exponential backoff (reconnect_min doubling up to reconnect_max) after any
// failure, and returns nil when ctx is cancelled. Connected, State and Status
// report health; PublishStatus asks for the retained status to be refreshed.
// Certificates, keys and the password file are read at every connection
// attempt, so renewed files need no restart.
//
// # Topics
//
// Under the prefix (default "aura/v1/stores/{store_id}"):
//
//	events/orders, events/payments,     up    one CloudEvents envelope per outbox row, QoS 1
//	events/sync-logs, events/telemetry
//	cmd-results                         up    one result per command delivery, QoS 1
//	status                              up    retained JSON status; the Last Will sets it offline
//	cmd/<type>                          down  commands, QoS 1 (subscribed as cmd/#)
//
// # Events
//
// Each outbox row is sent as a CloudEvents 1.0 structured JSON envelope:
// specversion "1.0", id (the row's UUIDv7, fixed at append, so a resent row
// carries the same id), source "aura-edge://<store_id>", type, subject,
// time (append time, RFC 3339 UTC), datacontenttype "application/json",
// the extension "sequence" (the row's per-subject sequence, a JSON integer,
// omitted when the row has no subject) and data (the row's JSON, byte for
// byte). A row whose data is not valid JSON is sent as data_base64 with
// datacontenttype "application/octet-stream" instead of being dropped.
//
// # Delivery
//
// The outbox in bbolt is the only store of undelivered messages; paho is a
// transport only. Two traps in paho were reproduced on this project: after
// an automatic reconnect, tokens of messages sent during the outage complete
// before the broker acknowledges them, and with ConnectRetry and a clean
// session a QoS 1 message published before the first connect is silently
// lost. So each connection is a fresh paho client with CleanSession=true,
// AutoReconnect=false, ConnectRetry=false and OrderMatters=false, numbered
// by a generation counter, and:
//
//   - One sender per connection publishes every stream in Seq order (FIFO
//     per stream; orders, payments and command results are served first
//     each round) with at most inflight publishes awaiting their PUBACK.
//   - Tokens are awaited in a select on token.Done(), the connection's loss
//     and shutdown, never with a bare Wait(). A token counts as delivered
//     only if it completed without error while the connection it was
//     published on is still the live, current generation.
//   - Delivered rows are deleted with outbox Ack in groups (up to 2048 rows
//     or 20ms per commit), never before their PUBACK.
//   - Any error (a failed token, a timeout, a lost connection, a store
//     error) fails the whole connection: nothing more counts as delivered,
//     the rows stay (an attempt is recorded for those published), the
//     socket is dropped, and the next connection rescans every stream from
//     its head.
//
// Delivery is therefore at least once, in order per stream, with
// duplicates only across reconnects (and, after a crash, rows acknowledged
// within the last grouping window). The cloud drops duplicates by id.
//
// # Commands
//
// A command is a CloudEvents envelope published to cmd/<type> whose type is
// the command type, with the members expires (RFC 3339), keyid (optional)
// and signature (standard base64 of an Ed25519 signature). The signature
// covers these bytes (UTF-8, "\n" is one line feed, no trailing newline):
//
//	"aura-cmd-v1\n" + id + "\n" + type + "\n" + store_id + "\n" + time + "\n" +
//	expires + "\n" + lowercase hex SHA-256 of the exact bytes of the data
//	member as they appear in the payload ("null" when absent)
//
// where id, type, time and expires are the decoded JSON string values
// ("" when absent) and keyid is the hex of the first 8 bytes of the SHA-256
// of the 32-byte public key. command/SIGNING.md, written for the cloud team, has
// the details, a Go and an OpenSSL example and a test vector.
//
// Every delivery gets exactly one result in the cmd-results stream
// (subject = command id; data {command_id, type, status ok|error|rejected,
// code, message, details}) and one call of the Deps.Audit callback. Payloads
// over 1 MiB, malformed envelopes, unknown types, and unsigned (unless the
// type is in allow_unsigned), wrongly signed or expired commands are
// refused without running anything or storing anything. A command id that
// was already executed is not executed again: its stored result is sent
// again (audit code "replayed"). Otherwise the id is recorded as running in
// the commands_seen bucket (committed) before the handler runs, and the
// result is stored with it in the same transaction that appends the result
// row, so a redelivery after a crash gets the same stored result, and a
// command interrupted by a crash is answered "interrupted", never run
// twice. A copy that arrives while the original still runs waits for it and
// then gets the stored result. Records are kept for command_ttl (default 7 days) and at least
// until the command expires; they are pruned hourly.
//
// The pipeline a command goes through (decode, verify, claim, run, record,
// answer) is package command; this package receives deliveries, stores
// them in the inbox before their PUBACK and feeds its workers.
//
// Handlers run on a pool of command_workers goroutines fed by a bounded
// queue, never on paho's goroutines; a full queue only delays the PUBACK of
// the waiting command. "ping" (answers pong and the time) and
// "status.request" (republishes the status and returns it) are built in.
//
// # Status
//
// On every connection the link publishes a retained JSON status (online,
// store_id, version, time, started_at, uptime_seconds, connected_at and
// queues: depth, bytes and oldest age per outbox stream, plus the store's
// facts from Deps.Status, health.Facts in the daemon: printers, sync, dead
// letters, menu drift, terminals, provisioning key), refreshes it
// every status_interval and on PublishStatus or status.request. The Last
// Will publishes {"online":false,"reason":"connection lost",...} retained if
// the link vanishes; a clean shutdown publishes reason "shutdown".
//
// # TLS
//
// ssl://, tls:// and mqtts:// brokers use TLS 1.2+ with tls.ca_file (or the
// system roots) and, for mutual TLS, tls.cert_file and tls.key_file. There
// is no way to skip verification. Failures are logged at Error level as
// "cloud TLS failure" with a reason (unknown authority, expired, hostname
// mismatch, broker rejected our client certificate...) and a hint, then
// retried with backoff.
//
// Package cloudtest has real brokers (embedded mochi, a mosquitto process),
// a cloud-side subscriber, a PUBACK-withholding proxy and a test PKI for
// this package's tests and for end-to-end tests and the demo.
package cloud
