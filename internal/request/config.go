package request

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ConfigSet is the body of POST /v1/config and the data of the config.set
// command: settings to change while the daemon runs.
type ConfigSet struct {
	// Set maps settable keys (Settable) to their new value as it
	// would be written in the config file; null drops an earlier change,
	// so the file's value applies again.
	Set map[string]*string `json:"set"`
	// By names who asked (a manager in the cloud); it is audited.
	By string `json:"by,omitempty"`
}

// MaxConfigSettings bounds one config.set.
const MaxConfigSettings = 64

// Validate checks the request's form: at least one key, each one a
// settable key. Values are checked against the config's own rules when
// the change is applied.
func (r *ConfigSet) Validate() error {
	if len(r.Set) == 0 {
		return Invalid("set", `name at least one setting to change, e.g. {"set":{"printers.front.auto_print":"kitchen"}}`)
	}
	if len(r.Set) > MaxConfigSettings {
		return Invalid("set", "at most %d settings may change at once, not %d", MaxConfigSettings, len(r.Set))
	}
	if len(r.By) > 200 {
		return Invalid("by", "must be at most 200 characters")
	}
	keys := make([]string, 0, len(r.Set))
	for k := range r.Set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, err := ParseSettingKey(k); err != nil {
			msg := err.Error()
			if errors.Is(err, ErrNotSettable) {
				msg = fmt.Sprintf("%q cannot be changed at runtime; the keys that can are %s", k, settable())
			}
			return Invalid("set."+k, "%s", msg)
		}
	}
	return nil
}

func settable() string {
	var s []string
	for _, st := range Settable {
		s = append(s, st.Pattern+" ("+st.Help+")")
	}
	return strings.Join(s, "; ")
}

// SettingChange is one changed setting in a config.set result.
type SettingChange struct {
	Key string `json:"key"`
	Old string `json:"old"` // "" means the default
	New string `json:"new"`
	// Override is false when the change dropped an earlier override (the
	// file's value applies again).
	Override bool `json:"override"`
	// Applied says when the change takes effect: "now", or "now; ..." with
	// what waits for a restart.
	Applied string `json:"applied"`
}

// ConfigSetResult is what config.set and POST /v1/config answer.
type ConfigSetResult struct {
	Changes []SettingChange `json:"changes"`
}

// Settings is what GET /v1/config answers: every runtime setting of this
// store with the value in effect, the file's value and the stored change.
type Settings struct {
	Settings []SettingValue `json:"settings"`
	// Settable lists the keys config.set may change and what they take.
	Settable []SettableKey `json:"settable"`
}

// SettingValue is one setting of this store.
type SettingValue struct {
	Key   string `json:"key"`
	Value string `json:"value"` // in effect; "" is the default
	File  string `json:"file"`  // what the config file says
	// Override is the stored change that wins over the file, if any.
	Override *SettingOverride `json:"override,omitempty"`
}

// SettingOverride is a stored change: the value, who set it and when.
type SettingOverride struct {
	Value string    `json:"value"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
}

// SettableKey is one kind of settable key.
type SettableKey struct {
	Pattern string `json:"pattern"`
	Help    string `json:"help"`
}

// SettableKeys lists Settable for an answer.
func SettableKeys() []SettableKey {
	out := make([]SettableKey, len(Settable))
	for i, s := range Settable {
		out[i] = SettableKey{Pattern: s.Pattern, Help: s.Help}
	}
	return out
}
