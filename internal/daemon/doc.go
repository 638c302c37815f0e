// Package daemon assembles aura-edge from its parts and runs them: it opens
// the store, builds the subsystems in a fixed order and runs their loops.
//
// A stop is staged (daemon.go Run, stop.go): intake (local API, POS bridge
// and scheduler, terminal capture, device watch) stops first; then the
// sinks (cloud link, print spool, printer events, outbox maintenance) drain
// what they can deliver now within shutdown.drain_timeout and stop; the
// store closes last. A failing loop in either stage stops the daemon the
// same way.
//
// Only cmd/aura-edge and end-to-end tests import this package.
package daemon
