//go:build !(linux || darwin || freebsd)

package outbox

import "math"

// diskFree is a stub where statfs is not wired up (Windows among them): it
// reports unlimited space, so the free-disk floors never refuse there. The
// row and byte limits still apply.
func diskFree(string) (uint64, error) { return math.MaxUint64, nil }
