package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/internal/request"
)

// Get returns a setting's value as text, as it would be written in the
// file ("" when unset, i.e. the default).
func (c *Config) Get(key string) (string, error) {
	k, err := request.ParseSettingKey(key)
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
	k, _ := request.ParseSettingKey(key)
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
