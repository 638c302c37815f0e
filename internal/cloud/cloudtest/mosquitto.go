package cloudtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

// MosquittoOptions configure StartMosquitto.
type MosquittoOptions struct {
	// Port of the plain listener; 0 picks a free one.
	Port int
	// TLS adds a TLS listener.
	TLS *TLSListener
	// Persistence keeps sessions, subscriptions and queued messages across
	// Stop and Start (a mosquitto.db in the work dir, saved on SIGTERM).
	Persistence bool
	// Dir is the work dir for the config, log and persistence file;
	// empty means a temp dir of the test.
	Dir string
	// Extra is appended to the generated config.
	Extra string
}

// TLSListener is a mosquitto TLS listener.
type TLSListener struct {
	Port              int // 0 picks a free one
	CAFile            string
	CertFile          string
	KeyFile           string
	RequireClientCert bool
}

// Mosquitto is a mosquitto process started by a test on loopback.
type Mosquitto struct {
	Port    int
	TLSPort int

	bin  string
	dir  string
	conf string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    *lockedBuffer
}

// MosquittoPath returns the mosquitto binary, or "" when it is missing.
func MosquittoPath() string {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// NeedMosquitto skips the test when mosquitto is missing, or fails it
// when the environment says CI=true.
func NeedMosquitto(tb testing.TB) string {
	tb.Helper()
	p := MosquittoPath()
	if p == "" {
		testkit.Unavailable(tb, "mosquitto is not installed (apt-get install mosquitto)")
	}
	return p
}

// StartMosquitto starts mosquitto with its own config file on free
// loopback ports and stops it at the end of the test. It skips the test
// when mosquitto is missing (fails under CI=true).
func StartMosquitto(tb testing.TB, opts MosquittoOptions) *Mosquitto {
	tb.Helper()
	bin := NeedMosquitto(tb)
	if opts.Dir == "" {
		opts.Dir = tb.TempDir()
	}
	m, err := NewMosquitto(bin, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		m.Kill()
		if tb.Failed() {
			tb.Logf("mosquitto log:\n%s", m.Log())
		}
	})
	return m
}

// NewMosquitto starts mosquitto (bin) as StartMosquitto does, without a
// test. Stop it with Stop or Kill.
func NewMosquitto(bin string, opts MosquittoOptions) (*Mosquitto, error) {
	if opts.Dir == "" {
		return nil, errors.New("mosquitto: Dir is required")
	}
	// Started as root, mosquitto switches to the mosquitto user unless told
	// to stay: that user could not read a 0700 temp dir.
	if err := os.Chmod(opts.Dir, 0o777); err != nil {
		return nil, err
	}
	m := &Mosquitto{bin: bin, dir: opts.Dir, conf: filepath.Join(opts.Dir, "mosquitto.conf"), out: &lockedBuffer{}}
	var err error
	if m.Port = opts.Port; m.Port == 0 {
		if m.Port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	if os.Geteuid() == 0 {
		b.WriteString("user root\n")
	}
	b.WriteString("per_listener_settings false\nallow_anonymous true\n")
	b.WriteString("max_queued_messages 1000000\nset_tcp_nodelay true\n")
	b.WriteString("log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n")
	if opts.Persistence {
		fmt.Fprintf(&b, "persistence true\npersistence_location %s/\nautosave_interval 0\n", opts.Dir)
	} else {
		b.WriteString("persistence false\n")
	}
	fmt.Fprintf(&b, "listener %d 127.0.0.1\n", m.Port)
	if t := opts.TLS; t != nil {
		if m.TLSPort = t.Port; m.TLSPort == 0 {
			if m.TLSPort, err = FreePort(); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(&b, "listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate %t\n",
			m.TLSPort, t.CAFile, t.CertFile, t.KeyFile, t.RequireClientCert)
	}
	b.WriteString(opts.Extra)
	if err := os.WriteFile(m.conf, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	if err := m.Start(); err != nil {
		return nil, err
	}
	return m, nil
}

// URL is the plain listener's tcp:// URL.
func (m *Mosquitto) URL() string { return "tcp://127.0.0.1:" + strconv.Itoa(m.Port) }

// TLSURL is the TLS listener's ssl:// URL.
func (m *Mosquitto) TLSURL() string { return "ssl://127.0.0.1:" + strconv.Itoa(m.TLSPort) }

// Start (re)starts the process on the same ports and waits until it
// accepts connections.
func (m *Mosquitto) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return errors.New("mosquitto already running")
	}
	cmd := exec.Command(m.bin, "-c", m.conf)
	cmd.Dir = m.dir
	cmd.Stdout = m.out
	cmd.Stderr = m.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start mosquitto: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	m.cmd, m.exited = cmd, exited
	ports := []int{m.Port}
	if m.TLSPort != 0 {
		ports = append(ports, m.TLSPort)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range ports {
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p), 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				m.cmd = nil
				return fmt.Errorf("mosquitto exited at start:\n%s", m.out.String())
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("mosquitto not listening on %d:\n%s", p, m.out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// Stop ends the process with SIGTERM (it saves persistence) and waits.
func (m *Mosquitto) Stop() error { return m.stop(syscall.SIGTERM) }

// Kill ends the process with SIGKILL and waits.
func (m *Mosquitto) Kill() error { return m.stop(syscall.SIGKILL) }

func (m *Mosquitto) stop(sig os.Signal) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return nil
	}
	cmd, exited := m.cmd, m.exited
	m.cmd = nil
	_ = cmd.Process.Signal(sig)
	_ = cmd.Process.Signal(syscall.SIGCONT) // a paused broker must see sig
	select {
	case <-exited:
		return nil
	case <-time.After(5 * time.Second):
	}
	_ = cmd.Process.Kill()
	<-exited
	return errors.New("mosquitto did not stop in 5s")
}

// Log returns what mosquitto wrote so far.
func (m *Mosquitto) Log() string { return m.out.String() }

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Pause freezes the process (SIGSTOP): connections stay open but the
// broker answers nothing, like a hung broker. Resume continues it.
func (m *Mosquitto) Pause() error { return m.signal(syscall.SIGSTOP) }

// Resume continues a paused process (SIGCONT).
func (m *Mosquitto) Resume() error { return m.signal(syscall.SIGCONT) }

func (m *Mosquitto) signal(sig os.Signal) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return errors.New("mosquitto is not running")
	}
	return m.cmd.Process.Signal(sig)
}
