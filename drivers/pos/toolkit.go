package pos

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

// UnsupportedAll reports every object of menu unsupported with reason, in
// dependency order: categories, taxes, modifier groups with their
// modifiers, items with their variations. Adapters whose vendor cannot
// take a menu (or a part of one) return it from PushMenu.
func UnsupportedAll(menu *model.Menu, reason string) []ObjectResult {
	var rs []ObjectResult
	add := func(k ObjectKind, id string) {
		rs = append(rs, ObjectResult{Kind: k, AuraID: id, Status: StatusUnsupported, Reason: reason})
	}
	for _, c := range menu.Categories {
		add(KindCategory, c.ID)
	}
	for _, t := range menu.Taxes {
		add(KindTax, t.ID)
	}
	for _, g := range menu.ModifierGroups {
		add(KindModifierGroup, g.ID)
		for _, m := range g.Modifiers {
			add(KindModifier, m.ID)
		}
	}
	for _, it := range menu.Items {
		add(KindItem, it.ID)
		for _, v := range it.Variations {
			add(KindVariation, v.ID)
		}
	}
	return rs
}

// NoLimit as a Duration or Int maximum means "no upper bound".
const (
	NoLimitDuration = time.Duration(math.MaxInt64)
	NoLimitInt      = math.MaxInt
)

// SettingsReader reads an integration's settings as typed values within
// bounds. A missing or empty setting gives the default; a bad one gives the
// default too and a problem in words, naming the setting and what to
// write instead. Err reports every problem at once.
//
//	set := cfg.Read()
//	overlap := set.Duration("overlap", 0, 24*time.Hour, 10*time.Minute)
//	page := set.Int("page_size", 1, 1000, 100)
//	if err := set.Err(); err != nil { return nil, err }
type SettingsReader struct {
	cfg      *Config
	vendor   string
	problems []string
}

// Read returns a SettingsReader over c.Settings; vendor names the vendor
// in the error ("square integration sq-1: ...").
func (c *Config) Read(vendor string) *SettingsReader {
	return &SettingsReader{cfg: c, vendor: vendor}
}

func (s *SettingsReader) add(key, format string, args ...any) {
	s.problems = append(s.problems, "settings."+key+" "+fmt.Sprintf(format, args...))
}

// String returns the setting or def.
func (s *SettingsReader) String(key, def string) string { return s.cfg.Setting(key, def) }

// OneOf returns the setting (or def) when it is one of allowed.
func (s *SettingsReader) OneOf(key, def string, allowed ...string) string {
	v := s.cfg.Setting(key, def)
	if !slices.Contains(allowed, v) {
		s.add(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
		return def
	}
	return v
}

// Duration returns the setting as a duration (Go syntax: 90s, 10m, 72h)
// from min to max, or def.
func (s *SettingsReader) Duration(key string, min, max, def time.Duration) time.Duration {
	raw := s.cfg.Setting(key, "")
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < min || d > max {
		s.add(key, "%q must be a duration such as %s %s", raw, shortDuration(def), bounds(shortDuration(min), shortDuration(max), max == NoLimitDuration))
		return def
	}
	return d
}

// Int returns the setting as a whole number from min to max, or def.
func (s *SettingsReader) Int(key string, min, max, def int) int {
	raw := s.cfg.Setting(key, "")
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < min || n > max {
		s.add(key, "%q must be a whole number %s", raw, bounds(strconv.Itoa(min), strconv.Itoa(max), max == NoLimitInt))
		return def
	}
	return n
}

// shortDuration writes d as people do: 10m rather than 10m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func bounds(min, max string, open bool) string {
	if open {
		return "of at least " + min
	}
	return "from " + min + " to " + max
}

// Err returns every problem found so far, or nil.
func (s *SettingsReader) Err() error {
	if len(s.problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s integration %s: %s", s.vendor, s.cfg.IntegrationID, strings.Join(s.problems, "; "))
}

// Adapt turns an adapter package's constructor of its concrete type into
// the Factory it registers, returning a nil Adapter (not a typed nil
// pointer) on error. The convention for every adapter package:
//
//	func NewAdapter(cfg pos.Config) (*Adapter, error) // or New, validates, no I/O
//	pos.Register(pos.Driver{Name: Vendor, New: pos.Adapt(NewAdapter), ...})
func Adapt[A Adapter](newAdapter func(Config) (A, error)) Factory {
	return func(cfg Config) (Adapter, error) {
		a, err := newAdapter(cfg)
		if err != nil {
			return nil, err
		}
		return a, nil
	}
}
