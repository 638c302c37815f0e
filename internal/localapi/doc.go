// Package localapi serves aura-edge's local HTTP API: capture from LAN
// terminals, integration management, printing, status and metrics.
//
// The same handlers are served on two listeners: the TCP address from
// config (every route but GET /healthz needs a bearer token whose role
// allows the route), and the control socket in the data directory (a Unix
// socket with mode 0600, so only the service user and root can connect;
// callers there act as admin). The CLI talks to a running daemon through
// the control socket.
//
// Every error is an RFC 9457 problem (application/problem+json, Problem):
// a sentence in detail, a stable code, the JSON path of the offending
// input in field and every problem in errors; never Go type names. The
// routes are described by the OpenAPI 3.1 document in package openapi,
// served at GET /v1/openapi.json.
package localapi
