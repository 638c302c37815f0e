package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/config"
	requests "github.com/auraconnect/aura-edge/internal/request"
	"github.com/auraconnect/aura-edge/internal/store"
)

// overridesBucket holds the settings changed by config.set (or POST
// /v1/config), by key. They are applied over the config file at every
// start, so a change survives restarts; a null in a later config.set
// removes one, and the file's value applies again.
const overridesBucket = "config_overrides"

// override is one stored setting change.
type override struct {
	Value string    `json:"value"`
	By    string    `json:"by"` // the actor: "cloud:<command id>[:<by>]" or the API token's name
	At    time.Time `json:"at"`
}

// settings is the daemon's view of the runtime-settable part of the
// config: the file's values and the values in effect.
type settings struct {
	mu   sync.Mutex
	file *config.Config // as read from the file (and environment)
	now  *config.Config // with the stored overrides applied
}

// ErrSettingRefused wraps a refused config.set: a value the config's
// rules refuse, or a printer or integration this store does not have.
var ErrSettingRefused = errors.New("setting refused")

// applyOverrides applies the stored setting changes over cfg (at start,
// before the subsystems read it). An override the file no longer allows
// (a printer that was removed, a value now refused) is skipped with a
// warning, never a failed start.
func (c *Core) applyOverrides(cfg *config.Config) error {
	file := cfg.Clone()
	stored, err := c.overrides()
	if err != nil {
		return fmt.Errorf("read config overrides: %w", err)
	}
	keys := make([]string, 0, len(stored))
	for k := range stored {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		o := stored[k]
		trial, err := tryOverride(cfg, k, o.Value)
		if err != nil {
			c.Log.Warn("config override not applied", "key", k, "value", o.Value, "err", err)
			continue
		}
		*cfg = *trial
		c.Log.Info("config override applies (set at runtime, it wins over the file; send config.set with null to drop it)",
			"key", k, "value", o.Value, "by", o.By, "at", o.At)
	}
	c.settings = &settings{file: file, now: cfg.Clone()}
	return nil
}

// tryOverride returns cfg with one stored change applied, or why a start
// would skip it (the key or value is refused, or the whole config with
// the change is).
func tryOverride(cfg *config.Config, key, value string) (*config.Config, error) {
	trial := cfg.Clone()
	if _, err := trial.Set(key, value); err != nil {
		return nil, err
	}
	if err := config.Check(trial); err != nil {
		return nil, fmt.Errorf("the config refuses it: %s", settingProblems(trial, err))
	}
	return trial, nil
}

// RefusedOverride is a stored setting change that the next start would
// skip, and why.
type RefusedOverride struct {
	Key, Value, Reason string
}

// CheckOverrides applies stored changes (key -> value) over a copy of cfg
// in key order, as a start does, and returns the ones a start would skip
// (`aura-edge config check` after an edit of the file).
func CheckOverrides(cfg *config.Config, overrides map[string]string) []RefusedOverride {
	cfg = cfg.Clone()
	var out []RefusedOverride
	for _, k := range slices.Sorted(maps.Keys(overrides)) {
		trial, err := tryOverride(cfg, k, overrides[k])
		if err != nil {
			out = append(out, RefusedOverride{Key: k, Value: overrides[k], Reason: err.Error()})
			continue
		}
		cfg = trial
	}
	return out
}

// StoredOverrides reads the setting changes stored in the store under
// dataDir (key -> value) while no daemon holds it: store.ErrInUse when
// one does, and nothing when there is no store yet.
func StoredOverrides(dataDir string) (map[string]string, error) {
	if _, err := os.Stat(filepath.Join(dataDir, store.FileName)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	db, err := store.Open(dataDir, store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	c := &Core{DB: db}
	stored, err := c.overrides()
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(stored))
	for k, o := range stored {
		out[k] = o.Value
	}
	return out, nil
}

func (c *Core) overrides() (map[string]override, error) {
	out := map[string]override{}
	err := c.DB.View(func(tx *store.Tx) error {
		return tx.Bucket(overridesBucket).ForEach(func(k, v []byte) error {
			var o override
			if json.Unmarshal(v, &o) == nil {
				out[string(k)] = o
			}
			return nil
		})
	})
	return out, err
}

// SetConfig changes runtime settings (config.set, POST /v1/config): the
// request is checked, every new value is checked with the config file's
// own rules, the changes are stored (one bbolt transaction) and applied
// to the running printers and integrations, and each change is audited
// with who asked, the old and the new value. Nothing changes when any
// setting is refused; the refusal is audited too.
func (c *Core) SetConfig(ctx context.Context, req requests.ConfigSet, actor string) (requests.ConfigSetResult, error) {
	if err := req.Validate(); err != nil {
		c.auditSetting(ctx, actor, audit.Rejected, "config.set refused: "+err.Error(), nil)
		return requests.ConfigSetResult{}, err
	}
	if c.settings == nil {
		return requests.ConfigSetResult{}, errors.New("settings are not loaded")
	}
	s := c.settings
	s.mu.Lock()
	defer s.mu.Unlock()

	keys := make([]string, 0, len(req.Set))
	for k := range req.Set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	next := s.now.Clone()
	var changes []requests.SettingChange
	for _, k := range keys {
		v := req.Set[k]
		value := ""
		if v != nil {
			value = *v
		} else {
			var err error
			if value, err = s.file.Get(k); err != nil {
				return requests.ConfigSetResult{}, c.refuseSetting(ctx, actor, err)
			}
		}
		if err := c.knownEntry(k); err != nil {
			return requests.ConfigSetResult{}, c.refuseSetting(ctx, actor, err)
		}
		old, err := next.Set(k, value)
		if err != nil {
			return requests.ConfigSetResult{}, c.refuseSetting(ctx, actor, err)
		}
		newV, _ := next.Get(k)
		changes = append(changes, requests.SettingChange{Key: k, Old: old, New: newV, Override: v != nil, Applied: "now"})
	}
	if err := config.Check(next); err != nil {
		return requests.ConfigSetResult{}, c.refuseSetting(ctx, actor, fmt.Errorf("%s", settingProblems(next, err)))
	}

	// Stored before it is applied: a change the store did not take is
	// not made.
	at := time.Now().UTC()
	err := c.DB.Update(func(tx *store.Tx) error {
		b := tx.Bucket(overridesBucket)
		for _, k := range keys {
			if req.Set[k] == nil {
				if err := b.Delete([]byte(k)); err != nil {
					return err
				}
				continue
			}
			v, _ := json.Marshal(override{Value: *req.Set[k], By: actor, At: at})
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return requests.ConfigSetResult{}, fmt.Errorf("store the settings: %w", err)
	}
	for i := range changes {
		changes[i].Applied = c.applySetting(next, changes[i].Key)
	}
	s.now = next
	for _, ch := range changes {
		details, _ := json.Marshal(ch)
		c.auditSetting(ctx, actor, audit.Success, fmt.Sprintf("%s: %s → %s", ch.Key, shown(ch.Old), shown(ch.New)), details)
	}
	return requests.ConfigSetResult{Changes: changes}, nil
}

// Settings lists every runtime setting of this store (each printer's,
// each configured or connected integration's) with the value in effect,
// the file's and the stored change (GET /v1/config).
func (c *Core) Settings() (requests.Settings, error) {
	out := requests.Settings{Settings: []requests.SettingValue{}, Settable: requests.SettableKeys()}
	if c.settings == nil {
		return out, errors.New("settings are not loaded")
	}
	stored, err := c.overrides()
	if err != nil {
		return out, err
	}
	s := c.settings
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for _, p := range s.now.Printers {
		keys = append(keys, "printers."+p.Name+".auto_print")
	}
	ids := map[string]bool{}
	for _, in := range s.now.Integrations {
		ids[in.ID] = true
	}
	if list, err := c.Integrations.List(); err == nil {
		for _, in := range list {
			ids[in.ID] = true
		}
	}
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		for _, f := range []string{"poll_interval", "jitter", "max_attempts"} {
			keys = append(keys, "integrations."+id+"."+f)
		}
	}
	for _, k := range keys {
		v := requests.SettingValue{Key: k}
		v.Value, _ = s.now.Get(k)
		v.File, _ = s.file.Get(k)
		if o, ok := stored[k]; ok {
			v.Override = &requests.SettingOverride{Value: o.Value, By: o.By, At: o.At}
		}
		out.Settings = append(out.Settings, v)
	}
	return out, nil
}

// knownEntry refuses a key naming an integration this store neither
// configures nor has connected (a printer must be configured: Get says
// so).
func (c *Core) knownEntry(key string) error {
	k, err := requests.ParseSettingKey(key)
	if err != nil || k.Section != "integrations" {
		return err
	}
	if slices.ContainsFunc(c.settings.now.Integrations, func(in config.Integration) bool { return in.ID == k.Name }) {
		return nil
	}
	if _, err := c.Integrations.Get(k.Name); err != nil {
		return fmt.Errorf("%s: this store has no integration %q (neither connected nor in the config file)", key, k.Name)
	}
	return nil
}

// applySetting makes one stored change take effect and says how.
func (c *Core) applySetting(cfg *config.Config, key string) string {
	k, _ := requests.ParseSettingKey(key)
	switch k.Section {
	case "printers":
		v, _ := cfg.Get(key)
		if _, err := c.Spool.SetAutoPrint(k.Name, v); err != nil {
			c.Log.Error("apply auto_print", "printer", k.Name, "err", err)
			return "at the next start (it could not be applied now: " + err.Error() + ")"
		}
		if c.Spool.AutoPrints() {
			// A crash between an order's 202 and its print must not lose
			// the print: from now on the hook is marked in the capture.
			c.Ingest.SetDurableOnOrder()
		}
		return "now"
	default:
		i := slices.IndexFunc(cfg.Integrations, func(in config.Integration) bool { return in.ID == k.Name })
		in := cfg.Integrations[i]
		c.Bridge.SetSchedule(in.ID, in.PollInterval, in.Jitter, in.MaxAttempts)
		return "now"
	}
}

func (c *Core) refuseSetting(ctx context.Context, actor string, err error) error {
	c.auditSetting(ctx, actor, audit.Rejected, "config.set refused: "+err.Error(), nil)
	return refusal{err}
}

// refusal is a refused setting: its text is the reason alone.
type refusal struct{ error }

func (r refusal) Is(target error) bool { return target == ErrSettingRefused }
func (r refusal) Unwrap() error        { return r.error }

func (c *Core) auditSetting(ctx context.Context, actor string, st audit.Status, msg string, details json.RawMessage) {
	if _, err := c.Audit.Record(ctx, audit.Record{Type: "config_set", Status: st, Actor: actor, Message: msg, Details: details}); err != nil {
		c.Log.Warn("audit config.set", "err", err)
	}
}

// settingProblems words the config's problems with settings' names.
func settingProblems(cfg *config.Config, err error) string {
	var ce *config.Error
	if !errors.As(err, &ce) {
		return err.Error()
	}
	var lines []string
	for _, p := range ce.Problems {
		lines = append(lines, cfg.SettingPath(p.Field)+": "+p.Msg)
	}
	return strings.Join(lines, "; ")
}

func shown(v string) string {
	if v == "" {
		return "(default)"
	}
	return v
}
