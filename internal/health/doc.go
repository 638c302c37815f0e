// Package health is the one place where aura-edge's parts report their
// state, and the one snapshot every surface renders: the status page and
// GET /v1/health (Snapshot), GET /v1/status and the retained MQTT status
// (DaemonStatus and Facts: the cloud link takes Sources as its status
// source), and /metrics (Metrics, which reads the same Sources when
// scraped and keeps the counters that events increment).
//
// The daemon fills Sources with functions over its subsystems; a part
// that does not exist yet (terminal capture) is a nil function, shown as
// "not set up". Terminals is the extension point for till capture: set
// Sources.Terminals and the status page and the snapshot show them.
package health
