// Package bridge is the POSBridgeService: the one place that drives the POS
// adapters. It pushes versioned Aura menus to every integration (with a dry
// run, a retry queue and dead letters), pulls orders and payments since
// each integration's cursor and commits them with the advanced cursor in
// one transaction, and turns verified vendor webhooks into immediate
// fetches. Every attempt is written to the audit log.
package bridge
