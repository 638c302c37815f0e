// Package daemon assembles aura-edge from its parts and runs them: it opens
// the store, builds the subsystems in a fixed order, runs each loop in one
// errgroup, and on shutdown stops intake (local API, POS bridge) before the
// sinks (outbox, cloud link) and closes the store last.
//
// Only cmd/aura-edge and end-to-end tests import this package.
package daemon
