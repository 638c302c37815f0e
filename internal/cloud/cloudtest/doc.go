// Package cloudtest starts real MQTT brokers and cloud-side peers for tests
// and the demo: an embedded mochi broker, a mosquitto process, a
// subscriber that collects CloudEvents envelopes per topic, a TCP proxy
// that can withhold PUBACKs, and a throwaway PKI for mutual TLS.
//
// It is a normal package (not _test) so end-to-end tests in other
// packages and `aura-edge demo` can use it. It must not import
// internal/cloud, whose tests import it.
package cloudtest
