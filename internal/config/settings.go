package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Setting is a key the config.set command (and the admin API's
// POST /v1/config) may change while the daemon runs: a safe runtime knob
// an installer would otherwise edit in the file by hand. Keys name one
// printer or integration: "printers.front.auto_print",
// "integrations.sq-main.poll_interval".
type Setting struct {
	Pattern string // with <name> or <id> for the entry, e.g. "printers.<name>.auto_print"
	Help    string // the values it takes
}

// Settings lists every settable key.
var Settings = []Setting{
	{"printers.<name>.auto_print", "none, customer, kitchen or both"},
	{"integrations.<id>.poll_interval", "a duration of at least 5s, e.g. 2m (empty: the default, 1m)"},
	{"integrations.<id>.jitter", "a duration, e.g. 10s (empty: a tenth of the poll interval)"},
	{"integrations.<id>.max_attempts", "a whole number, 0 for the default (8)"},
}

// ErrNotSettable is returned by Set and Get for a key config.set cannot
// change.
var ErrNotSettable = errors.New("not a setting that can be changed at runtime")

// SettingKey is a parsed settable key.
type SettingKey struct {
	Section string // printers or integrations
	Name    string // the printer's name or the integration's id
	Field   string // auto_print, poll_interval, ...
}

func (k SettingKey) String() string { return k.Section + "." + k.Name + "." + k.Field }

// ParseSettingKey splits and checks a settable key. Names may contain
// dots: the section is the first part and the field the last.
func ParseSettingKey(key string) (SettingKey, error) {
	sec, rest, ok := strings.Cut(key, ".")
	i := strings.LastIndexByte(rest, '.')
	if !ok || i <= 0 || i == len(rest)-1 {
		return SettingKey{}, fmt.Errorf("%q: %w; settable keys are %s", key, ErrNotSettable, settingList())
	}
	k := SettingKey{Section: sec, Name: rest[:i], Field: rest[i+1:]}
	if !slices.ContainsFunc(Settings, func(s Setting) bool {
		p := strings.Split(s.Pattern, ".")
		return p[0] == k.Section && p[2] == k.Field
	}) {
		return SettingKey{}, fmt.Errorf("%q: %w; settable keys are %s", key, ErrNotSettable, settingList())
	}
	return k, nil
}

func settingList() string {
	var s []string
	for _, st := range Settings {
		s = append(s, st.Pattern)
	}
	return strings.Join(s, ", ")
}

// Get returns a setting's value as text, as it would be written in the
// file ("" when unset, i.e. the default).
func (c *Config) Get(key string) (string, error) {
	k, err := ParseSettingKey(key)
	if err != nil {
		return "", err
	}
	switch k.Section {
	case "printers":
		i := slices.IndexFunc(c.Printers, func(p Printer) bool { return p.Name == k.Name })
		if i < 0 {
			return "", fmt.Errorf("%s: there is no printer named %q (printers: %s)", key, k.Name, c.printerNames())
		}
		return c.Printers[i].AutoPrint, nil
	default:
		i := slices.IndexFunc(c.Integrations, func(in Integration) bool { return in.ID == k.Name })
		if i < 0 {
			return "", nil // not in the file: every value is its default
		}
		in := c.Integrations[i]
		switch k.Field {
		case "poll_interval":
			return durText(in.PollInterval), nil
		case "jitter":
			return durText(in.Jitter), nil
		default:
			if in.MaxAttempts == 0 {
				return "", nil
			}
			return strconv.Itoa(in.MaxAttempts), nil
		}
	}
}

// Set changes a setting to value (its text form, as in the file; ""
// restores the default) and returns the old value. It checks the value's
// form; Check checks the whole config afterwards with the file's
// own rules. An integration the file does not list gets an entry.
func (c *Config) Set(key, value string) (old string, err error) {
	old, err = c.Get(key)
	if err != nil {
		return "", err
	}
	k, _ := ParseSettingKey(key)
	value = strings.TrimSpace(value)
	if k.Section == "printers" {
		i := slices.IndexFunc(c.Printers, func(p Printer) bool { return p.Name == k.Name })
		c.Printers[i].AutoPrint = value
		return old, nil
	}
	i := slices.IndexFunc(c.Integrations, func(in Integration) bool { return in.ID == k.Name })
	if i < 0 {
		c.Integrations = append(c.Integrations, Integration{ID: k.Name})
		i = len(c.Integrations) - 1
	}
	in := &c.Integrations[i]
	switch k.Field {
	case "poll_interval", "jitter":
		var d time.Duration
		if value != "" {
			if d, err = time.ParseDuration(value); err != nil {
				return "", fmt.Errorf("%s: %q is not a duration; write it like 90s, 2m or 1h30m", key, value)
			}
		}
		if k.Field == "poll_interval" {
			in.PollInterval = d
		} else {
			in.Jitter = d
		}
	case "max_attempts":
		n := 0
		if value != "" {
			if n, err = strconv.Atoi(value); err != nil {
				return "", fmt.Errorf("%s: %q is not a whole number", key, value)
			}
		}
		in.MaxAttempts = n
	}
	return old, nil
}

// Clone returns a copy of c whose printer and integration lists can be
// changed with Set without touching c.
func (c *Config) Clone() *Config {
	cp := *c
	cp.Printers = slices.Clone(c.Printers)
	cp.Integrations = slices.Clone(c.Integrations)
	return &cp
}

// Check validates cfg with the file's rules, as Parse does after
// decoding; problems carry their key but no file position.
func Check(cfg *Config) error {
	d := &decoder{pos: map[string]Pos{}}
	cfg.validate(d)
	if len(d.problems) > 0 {
		return &Error{Problems: d.problems}
	}
	return nil
}

func (c *Config) printerNames() string {
	var n []string
	for _, p := range c.Printers {
		n = append(n, p.Name)
	}
	if len(n) == 0 {
		return "none configured"
	}
	return strings.Join(n, ", ")
}

func durText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// SettingPath names a problem's field the way settings do:
// "printers[0].auto_print" becomes "printers.front.auto_print".
func (c *Config) SettingPath(field string) string {
	for _, sec := range []string{"printers", "integrations"} {
		rest, ok := strings.CutPrefix(field, sec+"[")
		if !ok {
			continue
		}
		idx, tail, ok := strings.Cut(rest, "]")
		i, err := strconv.Atoi(idx)
		if !ok || err != nil {
			continue
		}
		switch {
		case sec == "printers" && i < len(c.Printers):
			return sec + "." + c.Printers[i].Name + tail
		case sec == "integrations" && i < len(c.Integrations):
			return sec + "." + c.Integrations[i].ID + tail
		}
	}
	return field
}
