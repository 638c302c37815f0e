package bridge

import (
	"fmt"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// The bridge's config sections: integrations (how often each POS
// integration is pulled and compared, and how often a menu push is
// tried; SchedulesOf turns it into the bridge's schedules) and menu.

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

// Problem is one mistake in a section the bridge owns, its Path relative
// to it ("[1].poll_interval").
type Problem struct {
	Path    string
	Message string
}

// IntegrationProblems returns every mistake in the section. Vendor names
// are checked against the registered POS drivers (pos.Lookup).
func IntegrationProblems(ins []Integration) []Problem {
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
		if in.Vendor != "" {
			if _, err := pos.Lookup(in.Vendor); err != nil {
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

// MenuSection is the config file's menu section: the menu sync rules
// shared by every integration. internal/config reads it and reports its
// Problems at FILE:LINE:COL; Options turns it into MenuOptions.
type MenuSection struct {
	// MaxDeleteShare is the largest share of the objects pushed before
	// that one push may delete without allow_deletions (default 0.2).
	MaxDeleteShare float64 `yaml:"max_delete_share"`
	// ClosingTime is the store's closing time, "HH:MM", for "86 until close".
	ClosingTime string `yaml:"closing_time"`
	// Timezone is the IANA zone of ClosingTime (default: the system's).
	Timezone string `yaml:"timezone"`
	// DriftDebounce is how long a catalog webhook waits for more before
	// the catalog is compared (default 30s).
	DriftDebounce time.Duration `yaml:"drift_debounce"`
}

// Problems returns every mistake in the menu section.
func (m MenuSection) Problems() []Problem {
	var ps []Problem
	if s := m.MaxDeleteShare; s < 0 || s > 1 {
		ps = append(ps, Problem{"max_delete_share", fmt.Sprintf("must be between 0 and 1, e.g. 0.2 for 20%% (got %v)", s)})
	}
	if m.ClosingTime != "" {
		if _, err := time.Parse("15:04", m.ClosingTime); err != nil {
			ps = append(ps, Problem{"closing_time", fmt.Sprintf("must be HH:MM on a 24-hour clock, e.g. 23:00 (got %q)", m.ClosingTime)})
		}
	}
	if m.Timezone != "" {
		if _, err := time.LoadLocation(m.Timezone); err != nil {
			ps = append(ps, Problem{"timezone", fmt.Sprintf("unknown time zone %q; use an IANA name such as Europe/London", m.Timezone)})
		}
	}
	return ps
}

// Options returns the bridge's menu options for the section.
func (m MenuSection) Options() (MenuOptions, error) {
	o := MenuOptions{MaxDeleteShare: m.MaxDeleteShare, ClosingTime: m.ClosingTime}
	if m.Timezone != "" {
		loc, err := time.LoadLocation(m.Timezone)
		if err != nil {
			return o, fmt.Errorf("menu.timezone: %w", err)
		}
		o.Location = loc
	}
	return o, nil
}
