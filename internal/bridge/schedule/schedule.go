// Package schedule is the bridge's config section (integrations: in the
// config file): how often each POS integration is pulled and compared,
// and how often a menu push is tried. internal/config reads it and reports
// its Problems at FILE:LINE:COL; bridge.SchedulesOf turns it into the
// bridge's schedules. It is a leaf package, apart from bridge, because
// bridge imports (through health) the spool, which imports internal/config.
package schedule

import (
	"fmt"
	"time"
)

// Integration tunes one POS integration (connected through the API).
type Integration struct {
	ID           string        `yaml:"id"`
	Vendor       string        `yaml:"vendor"`
	PollInterval time.Duration `yaml:"poll_interval"`
	Jitter       time.Duration `yaml:"jitter"`
	MaxAttempts  int           `yaml:"max_attempts"`
	Disabled     bool          `yaml:"disabled"`
	// DriftInterval is how often the POS catalog is compared with the menu
	// last pushed (default 15m; "off" compares only on catalog webhooks).
	DriftInterval string `yaml:"drift_interval"`
}

// MinPollInterval is the shortest order-pull interval accepted.
const MinPollInterval = 5 * time.Second

// DriftEvery parses DriftInterval: 0 for the default, -1 for "off".
func (in Integration) DriftEvery() (time.Duration, error) {
	switch in.DriftInterval {
	case "":
		return 0, nil
	case "off":
		return -1, nil
	}
	d, err := time.ParseDuration(in.DriftInterval)
	if err != nil || d < time.Minute {
		return 0, fmt.Errorf("must be a duration of at least 1m such as 15m, or off (got %q)", in.DriftInterval)
	}
	return d, nil
}

// Problem is one mistake in the section, its Path relative to it
// ("[1].poll_interval").
type Problem struct {
	Path    string
	Message string
}

// Problems returns every mistake in the section. vendor checks a vendor
// name against the registered POS drivers (nil: not checked).
func Problems(ins []Integration, vendor func(string) error) []Problem {
	var ps []Problem
	ids := map[string]bool{}
	for i, in := range ins {
		bad := func(field, format string, args ...any) {
			ps = append(ps, Problem{Path: fmt.Sprintf("[%d].%s", i, field), Message: fmt.Sprintf(format, args...)})
		}
		if in.ID == "" {
			bad("id", "is required")
		} else if ids[in.ID] {
			bad("id", "duplicate integration id %q", in.ID)
		}
		ids[in.ID] = true
		if in.Vendor != "" && vendor != nil {
			if err := vendor(in.Vendor); err != nil {
				bad("vendor", "%v", err)
			}
		}
		if in.PollInterval != 0 && in.PollInterval < MinPollInterval {
			bad("poll_interval", "must be at least 5s (got %s)", in.PollInterval)
		}
		if in.MaxAttempts < 0 {
			bad("max_attempts", "must not be negative")
		}
		if _, err := in.DriftEvery(); err != nil {
			bad("drift_interval", "%v", err)
		}
	}
	return ps
}
