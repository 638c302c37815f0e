//go:build linux

package serial_test

import (
	"os"
	"testing"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

// ptyPair is a pseudo-terminal pair joined by socat (testkit.Socat): bytes
// written to one end come out of the other, like a null-modem cable.
type ptyPair struct {
	p         *testkit.PtyPair
	dev, peer string // the two /dev/pts paths
}

// startSocat starts socat; it skips the test when socat is missing, unless
// CI=true.
func startSocat(t *testing.T) *ptyPair {
	t.Helper()
	p := testkit.Socat(t)
	return &ptyPair{p: p, dev: p.Dev, peer: p.Peer}
}

// kill stops socat: both pseudo-terminals hang up.
func (p *ptyPair) kill() { p.p.Kill() }

// openPeer opens the far end for the test to play the printer.
func (p *ptyPair) openPeer(t *testing.T) *os.File { return p.p.OpenPeer(t) }
