package localapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/localapi/openapi"
)

// Config is the api section of the config file.
type Config struct {
	Listen        string // TCP address, e.g. 127.0.0.1:8787; "" disables
	ControlSocket string // Unix socket path; "" disables
	CertFile      string // PEM certificate and key: serve HTTPS
	KeyFile       string
}

// ConfigOf is the server configuration the config file's api section asks
// for, with the control socket at controlSocket.
func ConfigOf(s Section, controlSocket string) Config {
	return Config{Listen: s.Listen, ControlSocket: controlSocket, CertFile: s.TLS.CertFile, KeyFile: s.TLS.KeyFile}
}

// Route is one handler, the pattern it serves ("POST /v1/orders") and
// who may call it.
type Route struct {
	Pattern string
	Access  Access
	Handler http.Handler
}

// AuthFunc builds the TCP listener's wrapper (token and role checks) from
// the policy the server builds out of its route registrations.
type AuthFunc func(policy *auth.Policy) func(http.Handler) http.Handler

// Server serves the local API. Build it with New, add routes with Handle,
// then Run it.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	ctl     *http.ServeMux                  // control-socket-only routes, falling back to mux
	auth    AuthFunc                        // bearer tokens and roles, for TCP
	admin   func(http.Handler) http.Handler // control socket: caller is admin
	policy  *auth.Policy                    // the routes' declared access
	ready   chan struct{}
	tcpAddr net.Addr

	mu       sync.Mutex
	patterns []string
	access   map[string]Access // by pattern; control-socket routes have none
}

// New builds a server. authFn builds the TCP listener's wrapper (token and
// role checks) from the policy of the registered routes; admin wraps the
// control socket's (marks the caller admin). Either may be nil (no
// wrapping), which tests use.
func New(cfg Config, log *slog.Logger, authFn AuthFunc, admin func(http.Handler) http.Handler) *Server {
	policy, _ := auth.NewPolicy(nil)
	s := &Server{cfg: cfg, log: log, mux: http.NewServeMux(), ctl: http.NewServeMux(), auth: authFn, admin: admin, policy: policy,
		ready: make(chan struct{}), access: map[string]Access{}}
	s.ctl.Handle("/", s.mux)
	s.HandleFunc("GET /healthz", Public, func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	s.Handle("GET /v1/openapi.json", Public, openapi.Handler()) // the API's description holds no data
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("there is no %s %s here; the routes are listed in /v1/openapi.json", r.Method, r.URL.Path), "")
	})
	return s
}

// Handle registers h for pattern (Go 1.22 ServeMux syntax), callable over
// TCP by who access names (admin always). Like ServeMux, it panics on a
// bad or conflicting pattern.
func (s *Server) Handle(pattern string, access Access, h http.Handler) {
	if err := s.policy.Add(access.rule(pattern)); err != nil {
		panic("localapi: " + err.Error())
	}
	s.note(pattern)
	s.mu.Lock()
	s.access[pattern] = access
	s.mu.Unlock()
	s.mux.Handle(pattern, h)
}

func (s *Server) note(pattern string) {
	s.mu.Lock()
	s.patterns = append(s.patterns, pattern)
	s.mu.Unlock()
}

// Policy is the auth policy built from the registered routes' access.
func (s *Server) Policy() *auth.Policy { return s.policy }

// Access returns the access pattern was registered with; ok is false for
// control-socket routes (whose callers are admin) and unknown patterns.
func (s *Server) Access(pattern string) (a Access, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok = s.access[pattern]
	return a, ok
}

// Patterns lists every registered route pattern, control-socket routes
// included (for the test that every route is described).
func (s *Server) Patterns() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.patterns...)
}

// HandleControl registers h on the control socket only (CLI operations
// such as token management and key rotation).
func (s *Server) HandleControl(pattern string, h http.HandlerFunc) {
	s.note(pattern)
	s.ctl.Handle(pattern, h)
}

// HandleFunc registers f for pattern with access.
func (s *Server) HandleFunc(pattern string, access Access, f http.HandlerFunc) {
	s.Handle(pattern, access, f)
}

// Handler returns the routes without the auth wrappers (for tests that
// exercise handlers directly).
func (s *Server) Handler() http.Handler { return s.mux }

// ControlHandler returns what the control socket serves (control routes,
// then every other route, as admin). The CLI uses it in-process when no
// daemon runs, so both paths run the same handlers.
func (s *Server) ControlHandler() http.Handler {
	if s.admin != nil {
		return s.admin(s.ctl)
	}
	return s.ctl
}

// Ready is closed once the listeners accept connections.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr returns the TCP listener's address once Ready.
func (s *Server) Addr() net.Addr { return s.tcpAddr }

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           recoverer(s.log, h),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Run serves until ctx is done, then shuts down gracefully (in-flight
// requests get up to 5 s). It returns nil on cancel.
func (s *Server) Run(ctx context.Context) error {
	var servers []*http.Server
	errc := make(chan error, 2)
	if s.cfg.Listen != "" {
		ln, err := net.Listen("tcp", s.cfg.Listen)
		if err != nil {
			return fmt.Errorf("local api listen %s: %w", s.cfg.Listen, err)
		}
		s.tcpAddr = ln.Addr()
		h := http.Handler(s.mux)
		if s.auth != nil {
			h = s.auth(s.policy)(h)
		}
		srv := s.httpServer(h)
		servers = append(servers, srv)
		if s.cfg.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(s.cfg.CertFile, s.cfg.KeyFile)
			if err != nil {
				ln.Close()
				return fmt.Errorf("local api tls: %w", err)
			}
			srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			ln = tls.NewListener(ln, srv.TLSConfig)
		}
		go func() { errc <- srv.Serve(ln) }()
		s.log.Info("local api listening", "addr", ln.Addr().String(), "tls", s.cfg.CertFile != "")
	}
	if s.cfg.ControlSocket != "" && runtime.GOOS != "windows" {
		ln, err := listenUnix(s.cfg.ControlSocket)
		if err != nil {
			for _, srv := range servers {
				srv.Close()
			}
			return err
		}
		h := http.Handler(s.ctl)
		if s.admin != nil {
			h = s.admin(h)
		}
		srv := s.httpServer(h)
		servers = append(servers, srv)
		go func() { errc <- srv.Serve(ln) }()
	}
	close(s.ready)
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			for _, srv := range servers {
				srv.Close()
			}
			return fmt.Errorf("local api: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
	}
	if s.cfg.ControlSocket != "" {
		os.Remove(s.cfg.ControlSocket)
	}
	return nil
}

// listenUnix listens on path with mode 0600, replacing a stale socket.
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket dir: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s is in use by another aura-edge", path)
	}
	os.Remove(path)
	ln, err := listenPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("control socket listen %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket chmod: %w", err)
	}
	return ln, nil
}

// recoverer turns a handler panic into a 500 and a log line; the daemon
// keeps running.
func recoverer(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("api handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
				internalError(w, "this request")
			}
		}()
		h.ServeHTTP(w, r)
	})
}
