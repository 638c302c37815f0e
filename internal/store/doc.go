// Package store keeps aura-edge's state in one bbolt file in the data
// directory and hides bbolt behind a few named operations.
//
// Everything that must survive a power cut lives here: integrations, sync
// logs, the outbox, print jobs, cursors, applied menus, tokens and the
// commands already seen. Update and Batch return only after bbolt has
// fsync'd the commit, so a caller that acknowledges after them never
// acknowledges something that a crash could lose.
//
// Byte slices handed to callbacks are valid only during the transaction;
// Get returns a copy.
package store
