package daemon

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/auraconnect/aura-edge/internal/config"
)

// ControlClient reaches the control routes: through the running daemon's
// control socket, or, when no daemon runs, in-process on the store (the
// same handlers either way). Close releases the store in the second case.
type ControlClient struct {
	*http.Client
	Via  string // "daemon" or "store"
	core *Core
}

// BaseURL is the URL prefix for requests on a ControlClient.
const BaseURL = "http://aura-edge"

// Close releases what the client holds.
func (c *ControlClient) Close() error {
	if c.core != nil {
		return c.core.Close()
	}
	return nil
}

// DialControl connects to the daemon for cfg, or opens its store.
func DialControl(cfg *config.Config, log *slog.Logger) (*ControlClient, error) {
	sock := ControlSocket(cfg)
	if conn, err := net.DialTimeout("unix", sock, time.Second); err == nil {
		conn.Close()
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}
		return &ControlClient{Client: &http.Client{Transport: tr, Timeout: 2 * time.Minute}, Via: "daemon"}, nil
	}
	core, err := OpenCore(cfg, log)
	if err != nil {
		return nil, err // a daemon without a reachable socket holds the store: ErrInUse says so
	}
	h := core.API.ControlHandler()
	return &ControlClient{Client: &http.Client{Transport: handlerTransport{h}}, Via: "store", core: core}, nil
}

// handlerTransport serves requests with an in-process handler.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}
