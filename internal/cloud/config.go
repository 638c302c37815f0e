package cloud

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Config configures the MQTT link. The zero value of every field means its
// default (see Defaults); Validate does no I/O (files are read when
// connecting, so renewed certificates and passwords are picked up on the
// next reconnect).
type Config struct {
	// Broker is the broker URL: tcp://host:1883, or ssl://, tls://,
	// mqtts:// (all three mean MQTT over TLS, default port 8883).
	Broker string `yaml:"broker"`
	// ClientID is the MQTT client id. Default "aura-edge-<store_id>".
	ClientID string `yaml:"client_id"`
	// TopicPrefix is the root of every topic; "{store_id}" is replaced by
	// the store id. Default "aura/v1/stores/{store_id}".
	TopicPrefix string `yaml:"topic_prefix"`
	// TLS names PEM files for the CA and the client certificate. There is
	// deliberately no option to skip verification.
	TLS TLSConfig `yaml:"tls"`
	// Username is sent in CONNECT when set.
	Username string `yaml:"username"`
	// PasswordFile holds the MQTT password (trailing newline ignored). The
	// password is never logged.
	PasswordFile string `yaml:"password_file"`
	// KeepAlive is the MQTT keep-alive. Default 30s.
	KeepAlive time.Duration `yaml:"keepalive"`
	// ConnectTimeout bounds dial, TLS handshake and CONNACK. Default 10s.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// InFlight is how many QoS 1 publishes may await their PUBACK at once.
	// Default 64.
	InFlight int `yaml:"inflight"`
	// ReconnectMin and ReconnectMax bound the jittered exponential backoff
	// between connection attempts. Defaults 1s and 30s.
	ReconnectMin time.Duration `yaml:"reconnect_min"`
	ReconnectMax time.Duration `yaml:"reconnect_max"`
	// ReconnectSpread is the window over which the first attempt after
	// losing an established connection is spread (uniformly from 0), so
	// that a broker restart does not bring the whole fleet back in the
	// same second. Default 10s, at most ReconnectMax.
	ReconnectSpread time.Duration `yaml:"reconnect_spread"`
	// StatusInterval is how often the retained status is refreshed.
	// Default 60s.
	StatusInterval time.Duration `yaml:"status_interval"`
	// CommandKeys are the Ed25519 public keys whose signatures commands may
	// carry: standard base64 of the 32-byte key or of its DER
	// SubjectPublicKeyInfo (what `openssl pkey -pubout -outform DER` writes).
	CommandKeys []string `yaml:"command_keys"`
	// AllowUnsigned lists command types accepted without a signature.
	// Nil means ["ping", "status.request"]; an empty list allows none.
	AllowUnsigned []string `yaml:"allow_unsigned"`
	// CommandTTL is how long executed command ids are remembered to refuse
	// replays (a record is kept at least until its command expires).
	// Default 7 days.
	CommandTTL time.Duration `yaml:"command_ttl"`
	// CommandWorkers is how many command handlers run at once. Default 4.
	CommandWorkers int `yaml:"command_workers"`
	// CommandTimeout bounds one handler run. Default 2m.
	CommandTimeout time.Duration `yaml:"command_timeout"`
	// MaxMessageBytes is the broker's limit on one MQTT PUBLISH packet
	// (mosquitto max_packet_size, AWS IoT Core 128 KiB, EMQX
	// mqtt.max_packet_size). Captures whose event would exceed it are
	// refused with 413; an event over it that got in another way (a POS
	// pull) becomes a dead letter instead of being sent. Default 128 KiB.
	MaxMessageBytes int `yaml:"max_message_bytes"`
	// PoisonStrikes is how many connections in a row the broker may drop
	// on the same event (sent alone, so nothing else can be the cause)
	// before it becomes a dead letter and the events behind it flow.
	// Default 3.
	PoisonStrikes int `yaml:"poison_strikes"`
	// Receipts: the cloud confirms event ids on <prefix>/receipts and
	// rows stay in the outbox until then (see ReceiptsConfig).
	Receipts ReceiptsConfig `yaml:"receipts"`
}

// TLSConfig names PEM files for MQTT over TLS.
type TLSConfig struct {
	// CAFile holds the CA certificates that sign the broker's certificate.
	// Empty means the system roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the client certificate and key for mutual
	// TLS; both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Default values.
const (
	DefaultTopicPrefix     = "aura/v1/stores/{store_id}"
	DefaultKeepAlive       = 30 * time.Second
	DefaultConnectTimeout  = 10 * time.Second
	DefaultInFlight        = 64
	DefaultReconnectMin    = time.Second
	DefaultReconnectMax    = 30 * time.Second
	DefaultReconnectSpread = 10 * time.Second
	DefaultStatusInterval  = time.Minute
	DefaultCommandTTL      = 7 * 24 * time.Hour
	DefaultCommandWorkers  = 4
	DefaultCommandTimeout  = 2 * time.Minute
	DefaultMaxMessage      = 128 << 10
	DefaultPoisonStrikes   = 3
)

// EventOverhead is what the CloudEvents attributes, the topic and the MQTT
// header add to an event's data, in practice (ids, type and subject of
// ordinary length): captures keep their data under MaxMessageBytes minus
// this. The sender checks the exact size of every message.
const EventOverhead = 1024

// MaxEventBytes is the largest event data a capture may queue under cfg.
func MaxEventBytes(cfg Config) int { return cfg.withDefaults().MaxMessageBytes - EventOverhead }

// DefaultAllowUnsigned are the command types accepted without a signature
// when AllowUnsigned is nil.
var DefaultAllowUnsigned = []string{"ping", "status.request"}

// Defaults returns a Config with every default filled in except Broker.
func Defaults() Config {
	var c Config
	return c.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.TopicPrefix == "" {
		c.TopicPrefix = DefaultTopicPrefix
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.InFlight == 0 {
		c.InFlight = DefaultInFlight
	}
	if c.ReconnectMin == 0 {
		c.ReconnectMin = DefaultReconnectMin
	}
	if c.ReconnectMax == 0 {
		c.ReconnectMax = max(DefaultReconnectMax, c.ReconnectMin)
	}
	if c.ReconnectSpread == 0 {
		c.ReconnectSpread = DefaultReconnectSpread
	}
	c.ReconnectSpread = min(c.ReconnectSpread, c.ReconnectMax)
	if c.StatusInterval == 0 {
		c.StatusInterval = DefaultStatusInterval
	}
	if c.AllowUnsigned == nil {
		c.AllowUnsigned = append([]string(nil), DefaultAllowUnsigned...)
	}
	if c.CommandTTL == 0 {
		c.CommandTTL = DefaultCommandTTL
	}
	if c.CommandWorkers == 0 {
		c.CommandWorkers = DefaultCommandWorkers
	}
	if c.CommandTimeout == 0 {
		c.CommandTimeout = DefaultCommandTimeout
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessage
	}
	if c.PoisonStrikes == 0 {
		c.PoisonStrikes = DefaultPoisonStrikes
	}
	if c.Receipts.Timeout == 0 {
		c.Receipts.Timeout = DefaultReceiptTimeout
	}
	if c.Receipts.MaxPending == 0 {
		c.Receipts.MaxPending = DefaultReceiptMaxPending
	}
	if c.Receipts.MaxTimeout == 0 {
		c.Receipts.MaxTimeout = max(DefaultReceiptMaxTimeout, c.Receipts.Timeout)
	}
	return c
}

// maxReconnect caps ReconnectMax: a store should never wait minutes to
// come back online.
const maxReconnect = 5 * time.Minute

// Problem is one mistake in the cloud section, at a path relative to the
// section ("tls", "command_keys[1]").
type Problem struct {
	Path    string
	Message string
}

// Validate checks the configuration (with defaults applied to zero
// fields) without touching files or the network. It reports every problem
// at once, each prefixed with its yaml key.
func (c Config) Validate() error {
	var errs []error
	for _, p := range c.Problems() {
		errs = append(errs, fmt.Errorf("%s: %s", p.Path, p.Message))
	}
	return errors.Join(errs...)
}

// Problems is Validate's list: every mistake with its path relative to the
// section, for internal/config to report at FILE:LINE:COL. The cloud
// package is the one validator of its section's values.
func (c Config) Problems() []Problem {
	c = c.withDefaults()
	var ps []Problem
	bad := func(key, format string, args ...any) {
		ps = append(ps, Problem{Path: key, Message: fmt.Sprintf(format, args...)})
	}
	if c.Broker == "" {
		bad("broker", "is required")
	} else if _, tlsOn, err := parseBroker(c.Broker); err != nil {
		bad("broker", "%v", err)
	} else if !tlsOn && (c.TLS.CAFile != "" || c.TLS.CertFile != "" || c.TLS.KeyFile != "") {
		bad("tls", "is set but broker %q is not a TLS URL (use ssl://, tls:// or mqtts://)", c.Broker)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		bad("tls", "cert_file and key_file go together")
	}
	if strings.ContainsAny(c.ClientID, "\x00") || len(c.ClientID) > 256 {
		bad("client_id", "must be at most 256 bytes without NUL")
	}
	p := strings.ReplaceAll(c.TopicPrefix, "{store_id}", "x")
	if strings.ContainsAny(p, "+#\x00") || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") || strings.HasPrefix(p, "$") {
		bad("topic_prefix", "must be a plain topic path without wildcards, $, or empty levels (got %q)", c.TopicPrefix)
	}
	if c.PasswordFile != "" && c.Username == "" {
		bad("password_file", "needs username")
	}
	if c.KeepAlive < time.Second {
		bad("keepalive", "must be at least 1s")
	}
	if c.ConnectTimeout < 0 {
		bad("connect_timeout", "must not be negative")
	}
	if c.InFlight < 1 || c.InFlight > 1024 {
		bad("inflight", "must be between 1 and 1024 (got %d)", c.InFlight)
	}
	if c.ReconnectMin < 0 || c.ReconnectMax < c.ReconnectMin {
		bad("reconnect_min", "must be positive and at most reconnect_max")
	}
	if c.ReconnectSpread < 0 {
		bad("reconnect_spread", "must not be negative")
	}
	if c.ReconnectMax > maxReconnect {
		bad("reconnect_max", "must be at most %s", maxReconnect)
	}
	if c.StatusInterval < time.Second {
		bad("status_interval", "must be at least 1s")
	}
	for i, k := range c.CommandKeys {
		if _, err := ParsePublicKey(k); err != nil {
			bad(fmt.Sprintf("command_keys[%d]", i), "%v", err)
		}
	}
	for i, name := range c.AllowUnsigned {
		if name == "" || strings.ContainsAny(name, "\n/+#") {
			bad(fmt.Sprintf("allow_unsigned[%d]", i), "invalid command name %q", name)
		}
	}
	if c.MaxMessageBytes < 2*EventOverhead || c.MaxMessageBytes > 256<<20 {
		bad("max_message_bytes", "must be between %d and 268435456 (the MQTT limit), got %d", 2*EventOverhead, c.MaxMessageBytes)
	}
	if c.Receipts.Timeout < time.Second {
		bad("receipts.timeout", "must be at least 1s")
	}
	if c.Receipts.MaxTimeout < c.Receipts.Timeout {
		bad("receipts.max_timeout", "must be at least receipts.timeout (%s), got %s", c.Receipts.Timeout, c.Receipts.MaxTimeout)
	}
	if c.Receipts.MaxPending < 1 || c.Receipts.MaxPending > 1_000_000 {
		bad("receipts.max_pending", "must be between 1 and 1000000 (got %d)", c.Receipts.MaxPending)
	}
	if c.PoisonStrikes < 1 || c.PoisonStrikes > 100 {
		bad("poison_strikes", "must be between 1 and 100 (got %d)", c.PoisonStrikes)
	}
	if c.CommandTTL < time.Minute {
		bad("command_ttl", "must be at least 1m")
	}
	if c.CommandWorkers < 1 || c.CommandWorkers > 64 {
		bad("command_workers", "must be between 1 and 64")
	}
	if c.CommandTimeout < time.Second {
		bad("command_timeout", "must be at least 1s")
	}
	return ps
}

// ParseBroker is the one validator of a broker URL (cloud.broker): config
// validation, the doctor and the link itself all read the URL through it,
// so they cannot disagree. It returns the address the link dials (scheme
// tcp or ssl, the scheme's default port 1883 or 8883 filled in) and
// whether TLS is on.
func ParseBroker(raw string) (u *url.URL, useTLS bool, err error) { return parseBroker(raw) }

// parseBroker normalises a broker URL for paho: the TLS schemes become
// "ssl" and a missing port gets the scheme's default.
func parseBroker(raw string) (*url.URL, bool, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, false, fmt.Errorf("not a URL: %w", err)
	}
	var tlsOn bool
	port := "1883"
	switch u.Scheme {
	case "tcp", "mqtt":
		u.Scheme = "tcp"
	case "ssl", "tls", "mqtts":
		u.Scheme, tlsOn, port = "ssl", true, "8883"
	default:
		return nil, false, fmt.Errorf("scheme must be tcp, ssl, tls or mqtts (got %q)", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, false, fmt.Errorf("no host in %q", raw)
	}
	if u.User != nil {
		return nil, false, errors.New("credentials do not belong in the URL (use username and password_file)")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, false, fmt.Errorf("unexpected path or query in %q", raw)
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	u.Path = ""
	return u, tlsOn, nil
}
