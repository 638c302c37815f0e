package outbox

import (
	"fmt"
	"strconv"
	"strings"
)

// Section is the config file's outbox section: internal/config reads it
// and reports its Problems at FILE:LINE:COL; Config turns it into the
// outbox's Config.
type Section struct {
	// MaxOrders and MaxPayments are the rows kept while the cloud is
	// unreachable (0: the default); when full, new ones are refused,
	// never dropped.
	MaxOrders   int `yaml:"max_orders"`
	MaxPayments int `yaml:"max_payments"`
	// MinFreeBytes is the free-disk floor, a size such as 256MiB: below
	// it telemetry and sync logs are refused first.
	MinFreeBytes string `yaml:"min_free_disk"`
}

// Problem is one mistake in the section, its Path relative to it.
type Problem struct {
	Path    string
	Message string
}

// Problems returns every mistake in the section.
func (s Section) Problems() []Problem {
	var ps []Problem
	if _, err := ParseBytes(s.MinFreeBytes); err != nil {
		ps = append(ps, Problem{"min_free_disk", err.Error()})
	}
	if s.MaxOrders < 0 {
		ps = append(ps, Problem{"max_orders", "must not be negative"})
	}
	if s.MaxPayments < 0 {
		ps = append(ps, Problem{"max_payments", "must not be negative"})
	}
	return ps
}

// MinFree returns the free-disk floor (0 when unset or invalid).
func (s Section) MinFree() uint64 {
	n, err := ParseBytes(s.MinFreeBytes)
	if err != nil || n <= 0 {
		return 0
	}
	return uint64(n)
}

// Config is the outbox configuration the section asks for; the second,
// critical floor is the lower of the floor and 64 MiB.
func (s Section) Config() Config {
	c := Config{Streams: map[Stream]Limits{}}
	if s.MaxOrders > 0 {
		c.Streams[Orders] = Limits{MaxRows: s.MaxOrders}
	}
	if s.MaxPayments > 0 {
		c.Streams[Payments] = Limits{MaxRows: s.MaxPayments}
	}
	if n := s.MinFree(); n > 0 {
		c.MinFreeBytes = n
		c.CriticalFreeBytes = min(n, 64<<20)
	}
	return c
}

// ParseBytes parses sizes such as "256MiB", "1GB", "0" or "1048576".
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("expected a size such as 256MiB (got %q)", s)
	}
	return n * mult, nil
}
