package cloud

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// conn is one broker connection: one paho client, used for one network
// connection only (paho's own reconnect is off), so everything it reports
// belongs to this connection and generation.
type conn struct {
	gen         uint64
	pc          paho.Client
	connectedAt time.Time

	mu  sync.Mutex
	raw net.Conn

	lost     chan struct{}
	lostOnce sync.Once
	lostErr  error
}

func newConn(gen uint64) *conn {
	return &conn{gen: gen, lost: make(chan struct{})}
}

// markLost records why the connection ended (first cause wins) and wakes
// everyone waiting on it.
func (cn *conn) markLost(err error) {
	cn.lostOnce.Do(func() {
		if err == nil {
			err = ErrConnectionLost
		}
		cn.lostErr = err
		close(cn.lost)
	})
}

func (cn *conn) isLost() bool {
	select {
	case <-cn.lost:
		return true
	default:
		return false
	}
}

func (cn *conn) setRaw(c net.Conn) {
	cn.mu.Lock()
	cn.raw = c
	cn.mu.Unlock()
}

// drop closes the network connection without a DISCONNECT packet (so the
// broker publishes the Last Will) and marks the connection lost.
func (cn *conn) drop(cause error) {
	cn.markLost(cause)
	cn.mu.Lock()
	raw := cn.raw
	cn.mu.Unlock()
	if raw != nil {
		raw.Close()
	}
	if cn.pc != nil {
		// Already disconnected by now or shortly; this only waits for paho's
		// workers to stop, which closing the socket makes quick.
		cn.pc.Disconnect(0)
	}
}

// open dials the broker for paho (CustomOpenConnectionFn), so the dial and
// the TLS handshake follow ctx and the socket can be closed from outside.
func (cn *conn) open(ctx context.Context, u *url.URL, tlsCfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	var c net.Conn = raw
	if tlsCfg != nil {
		tc := tls.Client(raw, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, &tlsError{err: err}
		}
		c = tc
	}
	cn.setRaw(c)
	return newPahoConn(c, timeout), nil
}

// tlsError marks an error from the TLS handshake.
type tlsError struct{ err error }

func (e *tlsError) Error() string { return "tls handshake: " + e.err.Error() }
func (e *tlsError) Unwrap() error { return e.err }

// closedAfterHandshake marks a connection the broker closed (reset or
// EOF) right after a successful TLS handshake, before CONNACK: with TLS
// 1.3 that is how a refused client certificate often looks when the alert
// is lost to the reset.
type closedAfterHandshake struct{ err error }

func (e *closedAfterHandshake) Error() string { return e.err.Error() }
func (e *closedAfterHandshake) Unwrap() error { return e.err }

func (cn *conn) handshaken() bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.raw != nil
}

// setupError is a local problem preparing a connection (unreadable
// certificate, key or password file).
type setupError struct {
	what string
	err  error
}

func (e *setupError) Error() string { return e.what + ": " + e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }

// loadTLS reads the PEM files named in cfg. It is called for every
// connection attempt so renewed files are used without a restart.
func loadTLS(cfg TLSConfig, serverName string, now time.Time) (*tls.Config, []string, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	var warnings []string
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, nil, &setupError{"read tls.ca_file", err}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, &setupError{"read tls.ca_file", fmt.Errorf("%s holds no PEM certificate", cfg.CAFile)}
		}
		tc.RootCAs = pool
	}
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, nil, &setupError{"load tls.cert_file/tls.key_file", err}
		}
		if leaf := cert.Leaf; leaf != nil {
			switch {
			case now.After(leaf.NotAfter):
				warnings = append(warnings, fmt.Sprintf("client certificate %s expired at %s; the broker will refuse it", cfg.CertFile, leaf.NotAfter.UTC().Format(time.RFC3339)))
			case now.Before(leaf.NotBefore):
				warnings = append(warnings, fmt.Sprintf("client certificate %s is not valid before %s; check the clock", cfg.CertFile, leaf.NotBefore.UTC().Format(time.RFC3339)))
			}
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, warnings, nil
}

func readPassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", &setupError{"read password_file", err}
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// connectProblem explains a failed connection attempt for the operator.
type connectProblem struct {
	TLS    bool   // a TLS failure
	Action bool   // an operator must fix something (not just wait)
	Reason string // short machine-friendly reason
	Hint   string // what to check
}

// explain classifies a connection error for the log line.
func explain(err error) connectProblem {
	var (
		unknownCA  x509.UnknownAuthorityError
		invalid    x509.CertificateInvalidError
		hostname   x509.HostnameError
		verifyErr  *tls.CertificateVerificationError
		setup      *setupError
		tlsErr     *tlsError
		opErr      *net.OpError
		recordErr  tls.RecordHeaderError
		connRefErr = packets.ErrorRefusedNotAuthorised
	)
	switch {
	case errors.As(err, &setup):
		return connectProblem{Action: true, Reason: "local setup", Hint: "check the configured file exists and is readable: " + setup.what}
	case errors.As(err, &unknownCA):
		return connectProblem{TLS: true, Reason: "broker certificate signed by unknown authority", Hint: "tls.ca_file must hold the CA that signed the broker's certificate"}
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return connectProblem{TLS: true, Reason: "broker certificate expired or not yet valid", Hint: "renew the broker certificate or check this machine's clock"}
	case errors.As(err, &invalid):
		return connectProblem{TLS: true, Reason: "broker certificate invalid", Hint: invalid.Error()}
	case errors.As(err, &hostname):
		return connectProblem{TLS: true, Reason: "broker certificate does not match the broker host", Hint: "the broker URL host must be in the certificate's names"}
	case errors.As(err, &verifyErr):
		return connectProblem{TLS: true, Reason: "broker certificate not trusted", Hint: verifyErr.Error()}
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		// The broker sent a TLS alert, usually about our client certificate
		// (TLS 1.3 delivers it after the handshake, on the first read).
		return connectProblem{TLS: true, Reason: "broker rejected the TLS session (" + opErr.Err.Error() + ")", Hint: "usually the broker refused our client certificate: check tls.cert_file/tls.key_file are present, unexpired, and signed by a CA the broker trusts"}
	case errors.As(err, new(*closedAfterHandshake)):
		return connectProblem{TLS: true, Reason: "broker closed the TLS session right after the handshake", Hint: "the broker probably refused our client certificate: check tls.cert_file/tls.key_file are present, unexpired, and signed by a CA the broker trusts"}
	case errors.As(err, &recordErr):
		return connectProblem{TLS: true, Reason: "broker does not speak TLS on this port", Hint: "use tcp:// for a plain listener or the broker's TLS port"}
	case errors.As(err, &tlsErr):
		if errors.Is(err, io.EOF) {
			return connectProblem{TLS: true, Reason: "broker closed the connection during the TLS handshake", Hint: "the broker may require a client certificate (tls.cert_file) or refuse this one"}
		}
		return connectProblem{TLS: true, Reason: "TLS handshake failed", Hint: tlsErr.err.Error()}
	case errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword), errors.Is(err, connRefErr):
		return connectProblem{Action: true, Reason: "broker refused the credentials", Hint: "check username and password_file"}
	case errors.Is(err, packets.ErrorRefusedIDRejected):
		return connectProblem{Action: true, Reason: "broker rejected the client id", Hint: "check client_id"}
	}
	return connectProblem{Reason: "connect failed", Hint: "check the broker URL and that the broker is reachable"}
}
