// Package scheduler runs each integration's sync flows on time: an interval
// with jitter, at most one run at a time per flow, an immediate run when
// something happens (a webhook, a command, an API call), and exponential
// backoff after errors that honours a vendor's Retry-After.
package scheduler
