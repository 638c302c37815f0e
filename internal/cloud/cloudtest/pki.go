package cloudtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a throwaway certificate authority with the files a mutual-TLS
// test needs, all PEM in Dir:
//
//	ca.pem                      the CA the broker and the store trust
//	server.pem, server.key      broker certificate for 127.0.0.1 and localhost
//	client.pem, client.key      a valid client certificate
//	expired.pem, expired.key    a client certificate that expired yesterday
//	other-ca.pem                an unrelated CA
//	other-client.pem/.key       a client certificate signed by the other CA
type PKI struct {
	Dir string

	CAFile, ServerCert, ServerKey          string
	ClientCert, ClientKey                  string
	ExpiredCert, ExpiredKey                string
	OtherCAFile, OtherClientCert, OtherKey string
}

// NewPKI writes a fresh PKI into a temp dir of the test.
func NewPKI(tb testing.TB) *PKI {
	tb.Helper()
	p, err := WritePKI(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// WritePKI writes a fresh PKI into dir.
func WritePKI(dir string) (*PKI, error) {
	p := &PKI{Dir: dir}
	path := func(name string) string { return filepath.Join(dir, name) }
	now := time.Now()

	ca, caKey, err := newCA("aura-edge test CA", now)
	if err != nil {
		return nil, err
	}
	other, otherKey, err := newCA("unrelated CA", now)
	if err != nil {
		return nil, err
	}
	p.CAFile, p.OtherCAFile = path("ca.pem"), path("other-ca.pem")
	if err := writeCert(p.CAFile, ca.Raw); err != nil {
		return nil, err
	}
	if err := writeCert(p.OtherCAFile, other.Raw); err != nil {
		return nil, err
	}
	leaves := []struct {
		cert, key *string
		name      string
		server    bool
		issuer    *x509.Certificate
		issuerKey *ecdsa.PrivateKey
		from, to  time.Time
	}{
		{&p.ServerCert, &p.ServerKey, "server", true, ca, caKey, now.Add(-time.Hour), now.Add(24 * time.Hour)},
		{&p.ClientCert, &p.ClientKey, "client", false, ca, caKey, now.Add(-time.Hour), now.Add(24 * time.Hour)},
		{&p.ExpiredCert, &p.ExpiredKey, "expired", false, ca, caKey, now.Add(-72 * time.Hour), now.Add(-24 * time.Hour)},
		{&p.OtherClientCert, &p.OtherKey, "other-client", false, other, otherKey, now.Add(-time.Hour), now.Add(24 * time.Hour)},
	}
	for _, l := range leaves {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: serial(),
			Subject:      pkix.Name{CommonName: "aura-edge " + l.name},
			NotBefore:    l.from,
			NotAfter:     l.to,
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if l.server {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
			tmpl.DNSNames = []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, l.issuer, &key.PublicKey, l.issuerKey)
		if err != nil {
			return nil, fmt.Errorf("create %s certificate: %w", l.name, err)
		}
		*l.cert, *l.key = path(l.name+".pem"), path(l.name+".key")
		if err := writeCert(*l.cert, der); err != nil {
			return nil, err
		}
		kder, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		// 0644: mosquitto may run as another user; these keys are throwaway.
		if err := os.WriteFile(*l.key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o644); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func newCA(name string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(48 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func writeCert(path string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
