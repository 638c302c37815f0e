package cloud

import (
	"math/rand/v2"
	"time"
)

// backoff is jittered exponential backoff: the n-th wait is uniformly
// random in [d/2, d] where d = min*2^n capped at max.
type backoff struct {
	min, max time.Duration
	next     time.Duration
}

func newBackoff(min, max time.Duration) *backoff {
	return &backoff{min: min, max: max, next: min}
}

// wait returns the next pause and doubles the base for the one after.
func (b *backoff) wait() time.Duration {
	d := b.next
	b.next = min(b.next*2, b.max)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

func (b *backoff) reset() { b.next = b.min }
