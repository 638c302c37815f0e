package localapi

import (
	"errors"
	"fmt"
	"net"
	"os"
)

// Section is the config file's api section: the local HTTP API.
// internal/config reads it and reports its Problems at FILE:LINE:COL;
// ConfigOf turns it into the server's Config.
type Section struct {
	Listen        string `yaml:"listen"`
	ControlSocket string `yaml:"control_socket"`
	// PublicURL is how vendors reach the webhook receiver (through the
	// store's tunnel or reverse proxy); Square signs this URL.
	PublicURL string `yaml:"public_url"`
	// TLS serves the API over HTTPS; required to listen beyond loopback
	// unless AllowPlaintext is set.
	TLS TLS `yaml:"tls"`
	// AllowPlaintext lets the API serve the LAN without TLS (tokens and
	// credentials then cross the LAN in clear text).
	AllowPlaintext bool `yaml:"allow_plaintext"`
}

// TLS names the local API's certificate and key (PEM).
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// SectionProblem is one mistake in the section, its Path relative to it
// (Problem is the API's problem+json answer).
type SectionProblem struct {
	Path    string
	Message string
}

// Problems returns every mistake in the section. It reads nothing but the
// certificate and key files' metadata.
func (s Section) Problems() []SectionProblem {
	var ps []SectionProblem
	bad := func(path, format string, args ...any) {
		ps = append(ps, SectionProblem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if host, _, err := net.SplitHostPort(s.Listen); err != nil {
		bad("listen", "must be host:port such as 127.0.0.1:8787 (got %q)", s.Listen)
	} else if !Loopback(host) && s.TLS.CertFile == "" && !s.AllowPlaintext {
		bad("listen", "serves the LAN (%s) without TLS: set api.tls.cert_file and key_file, or api.allow_plaintext: true to accept tokens in clear text", host)
	}
	if (s.TLS.CertFile == "") != (s.TLS.KeyFile == "") {
		bad("tls", "cert_file and key_file go together")
	}
	for _, f := range []struct{ path, file string }{{"tls.cert_file", s.TLS.CertFile}, {"tls.key_file", s.TLS.KeyFile}} {
		if f.file != "" {
			if _, err := os.Stat(f.file); err != nil {
				bad(f.path, "cannot read %s: %v", f.file, errors.Unwrap(err))
			}
		}
	}
	return ps
}

// Loopback reports whether host is a loopback address or name.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
