package localapi

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestSectionProblems(t *testing.T) {
	cert := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(cert, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		s    Section
		want []SectionProblem
	}{
		{"loopback", Section{Listen: "127.0.0.1:8787"}, nil},
		{"localhost", Section{Listen: "localhost:0"}, nil},
		{"LAN with plaintext allowed", Section{Listen: "0.0.0.0:8787", AllowPlaintext: true}, nil},
		{"not host:port", Section{Listen: "nope"}, []SectionProblem{{"listen", `must be host:port such as 127.0.0.1:8787 (got "nope")`}}},
		{"LAN without TLS", Section{Listen: "192.168.1.5:8787"}, []SectionProblem{{"listen",
			"serves the LAN (192.168.1.5) without TLS: set api.tls.cert_file and key_file, or api.allow_plaintext: true to accept tokens in clear text"}}},
		{"cert without key", Section{Listen: "0.0.0.0:8787", TLS: TLS{CertFile: cert}}, []SectionProblem{{"tls", "cert_file and key_file go together"}}},
		{"missing key file", Section{Listen: "0.0.0.0:8787", TLS: TLS{CertFile: cert, KeyFile: "/nonexistent/key.pem"}},
			[]SectionProblem{{"tls.key_file", "cannot read /nonexistent/key.pem: no such file or directory"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Problems(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}
