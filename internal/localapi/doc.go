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
// Every error has one shape: {"error": {"code", "message", "field"}}.
package localapi
