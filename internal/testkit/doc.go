// Package testkit is the shared test toolkit: what several packages' tests
// need from outside Go (an installed tool, a socat pseudo-terminal pair) and
// the waiting they all do (a condition polled until a deadline, never a
// sleep-and-hope).
//
// It imports testing, so only tests may import it: `make release-check`
// fails if the release binary links it. The other toolkits stay where their
// subject lives: cloudtest (mosquitto, the embedded mochi broker, the cloud
// peer), postest (a vendor stand-in's recorder and fault queue) and each
// vendor's stand-in (squaretest, clovertest, ...).
//
// Tools a test needs are required, not optional, in CI: Need fails the test
// when CI=true and the tool is missing (CI installs them in .ci/run), and
// skips it elsewhere.
package testkit
