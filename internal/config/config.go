package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/auraconnect/aura-edge/drivers/transport/discover"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/kitchen"
	"github.com/auraconnect/aura-edge/internal/localapi"
	"github.com/auraconnect/aura-edge/internal/logging"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/receipt"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/terminal"
)

// Config is the whole aura-edge configuration file.
type Config struct {
	// StoreID identifies this store to the Aura cloud. Required.
	StoreID string `yaml:"store_id"`
	// DataDir holds the bbolt store, the key file and the control socket.
	DataDir string `yaml:"data_dir"`
	// Cloud is the MQTT link to the Aura cloud. Without a broker the daemon
	// runs offline and buffers everything.
	Cloud cloud.Config `yaml:"cloud"`
	// API is the local HTTP API for terminals, installers and staff.
	API localapi.Section `yaml:"api"`
	// Secrets says where the credential key lives.
	Secrets secrets.Section `yaml:"secrets"`
	// Receipt holds what every printed receipt shows.
	Receipt receipt.Settings `yaml:"receipt"`
	// Printers are the receipt and kitchen printers.
	Printers []Printer `yaml:"printers"`
	// Kitchen routes kitchen tickets to stations (grill, bar, ...).
	Kitchen kitchen.Config `yaml:"kitchen"`
	// Terminals are the store's tills whose receipt printer stream or
	// journal aura-edge listens to (passthrough to the printer, capture of
	// the sales).
	Terminals []Terminal `yaml:"terminals"`
	// Integrations tune the sync schedule of POS integrations.
	Integrations []bridge.Integration `yaml:"integrations"`
	// Menu holds the menu sync rules shared by every integration.
	Menu bridge.MenuSection `yaml:"menu"`
	// Outbox bounds the offline buffer.
	Outbox outbox.Section `yaml:"outbox"`
	// Log sets level and format.
	Log logging.Section `yaml:"log"`
	// Hotplug watches for USB printers and USB-serial adapters plugged in
	// or out while the daemon runs.
	Hotplug discover.Hotplug `yaml:"hotplug"`
	// Shutdown bounds the staged stop.
	Shutdown Shutdown `yaml:"shutdown"`

	// File is the path the config was read from ("" for defaults).
	File string `yaml:"-"`
}

// Printer is the printers section's entry, owned by the spool
// (spool.Printer, checked by spool.PrinterProblems).
type Printer = spool.Printer

// Terminal is the terminals section's entry, owned by the terminal
// capture (terminal.Config, checked by terminal.Problems).
type Terminal = terminal.Config

// Integration is the integrations section's entry, owned by the bridge
// (bridge.Integration); the name stays for the callers that build configs
// in code.
type Integration = bridge.Integration

// Menu is the menu section, owned by the bridge (bridge.MenuSection).
type Menu = bridge.MenuSection

// Hotplug is the hotplug section, owned by the device watch
// (discover.Hotplug).
type Hotplug = discover.Hotplug

// Shutdown bounds the staged stop: intake stops first (local API, POS
// pulls, terminal capture), then the sinks (cloud link, print spool) send
// what they can for at most DrainTimeout (default 15s), then the store
// closes. What is not sent by then stays in the store for the next start.
type Shutdown struct {
	DrainTimeout time.Duration `yaml:"drain_timeout"`
}

// MaxDrainTimeout keeps a stop inside the shipped systemd unit's
// TimeoutStopSec=90 (the API and the link add their own few seconds).
const MaxDrainTimeout = 60 * time.Second

// Log is the log section, owned by internal/logging.
type Log = logging.Section

// Secrets is the secrets section, owned by internal/secrets.
type Secrets = secrets.Section

// Defaults returns the configuration used when a key is absent.
func Defaults() Config {
	return Config{
		DataDir: defaultDataDir(),
		Cloud:   cloud.Defaults(),
		API:     localapi.Section{Listen: "127.0.0.1:8787"},
		Outbox:  outbox.Section{MinFreeBytes: "256MiB"},
		Log:     logging.Defaults(),
	}
}

func defaultDataDir() string {
	if d := os.Getenv("STATE_DIRECTORY"); d != "" { // systemd StateDirectory=
		return d
	}
	if os.PathSeparator == '\\' {
		return `C:\ProgramData\aura-edge`
	}
	return "/var/lib/aura-edge"
}

// Load reads path strictly. Every problem in the file is reported in one
// *Error. Environment overrides are applied after the file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, os.Environ())
}

// Parse decodes data (named file in messages) with the given environment
// and checks every section with its owner's rules; problems are reported
// at FILE:LINE:COL.
func Parse(file string, data []byte, environ []string) (*Config, error) {
	cfg := Defaults()
	cfg.File = file
	d := &decoder{file: file, pos: map[string]Pos{}}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{Problems: []Problem{{File: file, Pos: yamlErrorPos(err), Msg: cleanYAMLError(err)}}}
	}
	if root.Kind != 0 {
		d.decode(&root, reflect.ValueOf(&cfg).Elem(), "")
	}
	d.problems = append(d.problems, applyEnv(&cfg, environ, file)...)
	cfg.validate(d)
	if len(d.problems) > 0 {
		return &cfg, &Error{Problems: d.problems}
	}
	return &cfg, nil
}

var lineRe = regexp.MustCompile(`line (\d+)(?:, column (\d+))?`)

func yamlErrorPos(err error) Pos {
	m := lineRe.FindStringSubmatch(err.Error())
	if m == nil {
		return Pos{}
	}
	var p Pos
	fmt.Sscan(m[1], &p.Line)
	if m[2] != "" {
		fmt.Sscan(m[2], &p.Col)
	} else {
		p.Col = 1
	}
	return p
}

// Overrides lists the environment variables that override config keys.
var Overrides = []struct {
	Env, Field string
	set        func(*Config, string)
}{
	{"AURA_EDGE_STORE_ID", "store_id", func(c *Config, v string) { c.StoreID = v }},
	{"AURA_EDGE_DATA_DIR", "data_dir", func(c *Config, v string) { c.DataDir = v }},
	{"AURA_EDGE_CLOUD_BROKER", "cloud.broker", func(c *Config, v string) { c.Cloud.Broker = v }},
	{"AURA_EDGE_CLOUD_CLIENT_ID", "cloud.client_id", func(c *Config, v string) { c.Cloud.ClientID = v }},
	{"AURA_EDGE_API_LISTEN", "api.listen", func(c *Config, v string) { c.API.Listen = v }},
	{"AURA_EDGE_LOG_LEVEL", "log.level", func(c *Config, v string) { c.Log.Level = v }},
	{"AURA_EDGE_LOG_FORMAT", "log.format", func(c *Config, v string) { c.Log.Format = v }},
}

func applyEnv(c *Config, environ []string, file string) []Problem {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "AURA_EDGE_") {
			env[k] = v
		}
	}
	known := map[string]bool{}
	for _, o := range Overrides {
		known[o.Env] = true
		if v, ok := env[o.Env]; ok {
			o.set(c, v)
		}
	}
	var ps []Problem
	for k := range env {
		if !known[k] && k != "AURA_EDGE_CONFIG" {
			ps = append(ps, Problem{File: "environment", Field: k, Msg: "unknown override (known: AURA_EDGE_STORE_ID, AURA_EDGE_DATA_DIR, AURA_EDGE_CLOUD_BROKER, AURA_EDGE_CLOUD_CLIENT_ID, AURA_EDGE_API_LISTEN, AURA_EDGE_LOG_LEVEL, AURA_EDGE_LOG_FORMAT)"})
		}
	}
	return ps
}

// validate checks values and reports each at the position it was written
// (or at its parent, when the key is missing).
func (c *Config) validate(d *decoder) {
	at := func(path string) *yaml.Node {
		for p := path; p != ""; {
			if pos, ok := d.pos[p]; ok {
				return &yaml.Node{Line: pos.Line, Column: pos.Col}
			}
			i := strings.LastIndexAny(p, ".[")
			if i < 0 {
				break
			}
			p = p[:i]
		}
		if pos, ok := d.pos[""]; ok {
			return &yaml.Node{Line: pos.Line, Column: pos.Col}
		}
		return nil
	}
	bad := func(path, format string, args ...any) { d.add(at(path), path, format, args...) }

	if strings.TrimSpace(c.StoreID) == "" {
		bad("store_id", "is required (the store's id in the Aura cloud)")
	} else if !idRe.MatchString(c.StoreID) {
		bad("store_id", "must be letters, digits, '-', '_' or '.' (got %q)", c.StoreID)
	}
	if c.DataDir == "" {
		bad("data_dir", "is required")
	}
	// The cloud package owns its section's values (cloud.Config.Problems);
	// config adds the file checks. Offline (no broker) only the command
	// keys matter: the link's other settings are unused.
	for _, p := range c.Cloud.Problems() {
		if c.Cloud.Broker != "" || strings.HasPrefix(p.Path, "command_keys[") {
			bad("cloud."+p.Path, "%s", p.Message)
		}
	}
	if c.Cloud.Broker != "" {
		tls := c.Cloud.TLS
		for _, f := range []struct{ path, file string }{
			{"cloud.tls.ca_file", tls.CAFile}, {"cloud.tls.cert_file", tls.CertFile},
			{"cloud.tls.key_file", tls.KeyFile}, {"cloud.password_file", c.Cloud.PasswordFile},
		} {
			if f.file != "" {
				if _, err := os.Stat(f.file); err != nil {
					bad(f.path, "cannot read %s: %v", f.file, errors.Unwrap(err))
				}
			}
		}
	}
	for _, p := range c.API.Problems() {
		bad("api."+p.Path, "%s", p.Message)
	}
	for _, p := range c.Outbox.Problems() {
		bad("outbox."+p.Path, "%s", p.Message)
	}
	for _, p := range c.Receipt.Problems() {
		bad("receipt."+p.Path, "%s", p.Message)
	}
	if t := c.Shutdown.DrainTimeout; t < 0 || t > MaxDrainTimeout {
		bad("shutdown.drain_timeout", "must be between 0s and %s so that a stop ends before systemd kills the daemon (TimeoutStopSec=90); got %s", MaxDrainTimeout, t)
	}
	for _, p := range c.Log.Problems() {
		bad("log."+p.Path, "%s", p.Message)
	}
	for _, p := range spool.PrinterProblems(c.Printers) {
		bad("printers"+p.Path, "%s", p.Message)
	}
	names := map[string]int{}
	for i, p := range c.Printers {
		if _, dup := names[p.Name]; !dup && p.Name != "" {
			names[p.Name] = i
		}
	}
	printerNames := map[string]bool{}
	for _, p := range c.Printers {
		printerNames[p.Name] = true
	}
	for _, p := range c.Kitchen.Validate(printerNames) {
		bad("kitchen."+p.Path, "%s", p.Message)
	}
	for _, p := range terminal.Problems(c.Terminals, names) {
		bad("terminals"+p.Path, "%s", p.Message)
	}
	for _, p := range bridge.IntegrationProblems(c.Integrations) {
		bad("integrations"+p.Path, "%s", p.Message)
	}
	for _, p := range c.Menu.Problems() {
		bad("menu."+p.Path, "%s", p.Message)
	}
}

var idRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
