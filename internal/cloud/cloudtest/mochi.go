package cloudtest

import (
	"fmt"
	"log/slog"
	"testing"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// auth lets clients connect (all of them, or those with a listed username
// and password) and use every topic. (mochi's own hooks/auth would pull in
// gopkg.in/yaml.v3, which this module does not otherwise need.)
type auth struct {
	mqtt.HookBase
	users map[string]string
}

func (h *auth) ID() string { return "cloudtest-auth" }

func (h *auth) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

func (h *auth) OnConnectAuthenticate(_ *mqtt.Client, pk packets.Packet) bool {
	if h.users == nil {
		return true
	}
	pw, ok := h.users[string(pk.Connect.Username)]
	return ok && pk.Connect.PasswordFlag && pw == string(pk.Connect.Password)
}

func (h *auth) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

// MochiOptions configure NewMochi.
type MochiOptions struct {
	// Addr to listen on; empty means a free loopback port.
	Addr string
	// Log receives the broker's log lines; nil discards them.
	Log *slog.Logger
	// Users, when set, are the only username/password pairs accepted.
	Users map[string]string
}

// Mochi is an embedded MQTT broker (github.com/mochi-mqtt/server/v2). For
// tests and the demo, never production.
type Mochi struct {
	Server *mqtt.Server
	tcp    *listeners.TCP
}

// NewMochi starts a broker.
func NewMochi(opts MochiOptions) (*Mochi, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s := mqtt.New(&mqtt.Options{InlineClient: true, Logger: opts.Log})
	if err := s.AddHook(&auth{users: opts.Users}, nil); err != nil {
		return nil, fmt.Errorf("mochi auth hook: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := s.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("mochi listen %s: %w", addr, err)
	}
	if err := s.Serve(); err != nil {
		s.Close()
		return nil, fmt.Errorf("mochi serve: %w", err)
	}
	return &Mochi{Server: s, tcp: tcp}, nil
}

// StartMochi starts a broker on a free loopback port that accepts every
// client, closed at the end of the test.
func StartMochi(tb testing.TB) *Mochi {
	tb.Helper()
	return StartMochiWith(tb, MochiOptions{})
}

// StartMochiWith is StartMochi with options.
func StartMochiWith(tb testing.TB, opts MochiOptions) *Mochi {
	tb.Helper()
	m, err := NewMochi(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// Addr is the broker's host:port.
func (m *Mochi) Addr() string { return m.tcp.Address() }

// URL is the broker's tcp:// URL.
func (m *Mochi) URL() string { return "tcp://" + m.Addr() }

// Close stops the broker and drops its clients.
func (m *Mochi) Close() error { return m.Server.Close() }
