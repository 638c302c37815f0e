// Package config reads aura-edge's YAML configuration strictly and reports
// every problem at once as FILE:LINE:COL: field: what is wrong.
//
// The decoder walks the YAML node tree against the Go types, so an unknown
// key (with a did-you-mean hint), a value of the wrong type, a missing
// required value and an invalid value are all located at the line and
// column where an installer has to look. Defaults are applied before
// decoding; AURA_EDGE_<KEY> environment variables override the few values
// an installer sets per store (see Overrides).
//
// Config owns no section's rules: each section is typed and checked by
// the package that uses it (spool: printers, terminal: terminals, bridge:
// integrations and menu, localapi: api, cloud, outbox, receipt, kitchen,
// logging: log; discover and secrets type hotplug and secrets), and config
// places their problems at FILE:LINE:COL. The settable keys of config.set
// are the request layer's (request.Settable); Get, Set and Check apply
// them to a Config.
package config
