package request

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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

// Settable lists every settable key.
var Settable = []Setting{
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
	if !slices.ContainsFunc(Settable, func(s Setting) bool {
		p := strings.Split(s.Pattern, ".")
		return p[0] == k.Section && p[2] == k.Field
	}) {
		return SettingKey{}, fmt.Errorf("%q: %w; settable keys are %s", key, ErrNotSettable, settingList())
	}
	return k, nil
}

func settingList() string {
	var s []string
	for _, st := range Settable {
		s = append(s, st.Pattern)
	}
	return strings.Join(s, ", ")
}
