// Package spool keeps print jobs in bbolt and delivers each to its printer at most once.
//
// A Spool is built from the config's printers and receipt section (New
// validates names, profiles and connection URLs without network I/O, and
// reads and decodes each printer's logo file) and runs
// one worker goroutine per device (Run): printers configured on the same
// connection URL share a worker, a FIFO order and a state. Jobs are
// rendered when they are submitted, so a job holds the exact ESC/POS bytes
// it will send plus a text preview, and needs nothing else to print, even
// after a restart.
//
// # Jobs and their states
//
//	queued      waiting in its printer's FIFO (by submission sequence)
//	printing    being sent; persisted before the first byte leaves
//	printed     sent, and confirmed by the printer's status reply when the
//	            printer answers status queries (a printer that answered
//	            once in this process must answer after every job: one that
//	            accepts the connection but has gone silent may be hung)
//	unconfirmed the connection failed after bytes had left (or the printer
//	            stopped answering after the job), or aura-edge stopped while
//	            the job was being sent: it may or may not be on paper
//	failed      cannot be printed (its printer was removed from the config)
//
// A job id comes from the request (a command id, an API job_id); submitting
// an id that exists returns the existing job and prints nothing. Auto-print
// ids are derived from the order id and revision, so one revision prints
// once.
//
// # Delivery rules
//
// The rule is transport's: a job is sent again only when it certainly
// never reached the printer. Before each job the worker asks the printer
// for its status (DLE EOT 1, 2 and 4, with a timeout). Connection refused,
// a missing device, offline, paper out or cover open keep the job queued
// and the worker retries with exponential backoff (MinBackoff to
// MaxBackoff, with jitter), holding later jobs behind it so receipts come
// out in order. A printer that does not answer status queries is printed to
// anyway, with its state "unknown". After the job the worker asks for
// status once more: printers answer only after the bytes before the query,
// so the answer confirms delivery.
//
// When the connection fails mid-job the job becomes unconfirmed, is logged
// at Error and audited, and is NOT printed again by itself: a duplicate
// receipt is worse than an alert. A person decides, and Reprint makes a new
// job with a REPRINT banner on top (reprints never kick the cash drawer).
//
// # Restarts
//
// Queued jobs survive restarts and print in order when their printer is
// reachable. A job found in state printing when Run starts was being sent
// when the previous process died: it becomes unconfirmed, because there is
// no way to know whether it printed.
//
// # Backup printers
//
// A printer with a backup hands its queued jobs to the backup once it has
// been unreachable or not ready for failover_after (default 1m), unless the
// backup is known to be down too. Jobs that came from an order are laid out
// again for the backup's paper width; raw jobs move as they are. The
// printer takes jobs again as soon as it answers: idle workers ask their
// printer for status every StatusInterval, which also keeps the status page
// live (printers whose transport is passive, transport.PollsWhenIdle false,
// are not polled: each file:// open creates a job file). A transport that
// keeps a readable copy of what it prints (transport.PreviewWriter) is
// handed each printed job's text preview.
//
// # Logos
//
// A printer's logo (config key logo: a PNG, JPEG or GIF file) prints at
// the top of its customer receipts and self-test pages, centred, no wider
// than the paper, dithered; kitchen tickets never carry it. It is part of
// the job's bytes, so a job moved to a backup printer is laid out with the
// backup's logo, and changing the file takes effect on restart.
//
// # Auto print and the cash drawer
//
// OnOrder, hooked into ingest, queues a customer receipt (for completed
// orders) and/or a kitchen ticket (for orders not canceled) on every printer
// whose auto_print says so; receipt.kitchen_copy adds kitchen tickets to
// printers that print customer receipts. A customer receipt with a
// completed cash payment ends with a drawer kick on printers with a drawer.
// A job for a printer whose worker is idle is handed to it in memory and
// sent while its record (already printing) is committed: the caller's
// durable marker (ingest.DurableOnOrder) is the job's record until then,
// and OnOrderReplayed, given the orders whose marker outlived a crash,
// records their missing jobs unconfirmed instead of printing them again
// (direct.go).
//
// # Retention
//
// Printed, unconfirmed and failed jobs are pruned after MaxAge (default 7
// days) or beyond MaxRows (default 10,000); after that their ids can be
// used again.
//
// # Storage
//
// Bucket print_jobs holds jobs/<id> (metadata JSON), data/<id> (the
// ESC/POS bytes), preview/<id>, source/<id> (the order, to lay the job out
// again for a backup or a reprint), log/<seq> (every job in submission
// order) and queue/<printer>/<seq> (each printer's FIFO of queued jobs).
package spool
