package daemon

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
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

// handlerTransport serves requests with an in-process handler. It records
// the answer itself (httptest would link the testing package into the
// release binary).
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := &recorder{header: http.Header{}}
	t.h.ServeHTTP(w, r)
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return &http.Response{
		Status:        http.StatusText(w.code),
		StatusCode:    w.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(&w.body),
		ContentLength: int64(w.body.Len()),
		Request:       r,
	}, nil
}

// recorder is the http.ResponseWriter behind handlerTransport.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}
