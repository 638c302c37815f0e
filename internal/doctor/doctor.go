// Package doctor checks a store PC's aura-edge installation and names the
// fix for each problem: `aura-edge doctor`. Each check is one line: ok, warn
// or fail, and every failure carries the command or setting that fixes it.
package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/daemon"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// Status of one check.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check is one line of the report.
type Check struct {
	Name   string `json:"check"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is every check, in order.
type Report struct {
	Checks []Check `json:"checks"`
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

func (r *Report) add(name string, st Status, fix, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Status: st, Detail: fmt.Sprintf(format, args...), Fix: fix})
}

// Options tune the checks (tests shorten the timeouts).
type Options struct {
	Timeout     time.Duration // per network check; default 5s
	ServiceUser string        // the user the daemon runs as; default "aura-edge" when it exists
	Now         func() time.Time
}

// Daemon is what doctor learns from a running daemon (nil: not running).
type Daemon struct {
	Outbox   []outbox.StreamStats
	Printers map[string]PrinterState
	Sync     []SyncState // the integrations' sync flows
	// Integrations are the connected POS integrations with their settings.
	Integrations []IntegrationSettings
}

// IntegrationSettings is one connected integration's vendor and settings.
type IntegrationSettings struct {
	ID, Vendor string
	Settings   map[string]string
}

// SyncState is one integration flow's last outcome, as the daemon reports it.
type SyncState struct {
	Key       string
	LastRun   time.Time
	LastError string
	Failures  int
}

// PrinterState is the daemon's view of one printer.
type PrinterState struct{ State, LastError string }

// Run runs every check against cfg. live is the running daemon's state,
// or nil when no daemon answers on the control socket.
func Run(ctx context.Context, cfg *config.Config, live *Daemon, o Options) *Report {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ServiceUser == "" {
		if _, err := user.Lookup("aura-edge"); err == nil {
			o.ServiceUser = "aura-edge"
		}
	}
	r := &Report{}
	r.add("config", OK, "", "%s is valid (store %s)", cfg.File, cfg.StoreID)
	checkDataDir(r, cfg, o)
	checkKeyFile(r, cfg)
	stats := checkDaemon(r, cfg, live)
	checkCloud(ctx, r, cfg, o)
	checkClock(r, o)
	checkDisk(r, cfg)
	checkPrinters(ctx, r, cfg, live, o)
	checkIntegrations(r, cfg, live)
	checkOutbox(r, cfg, stats)
	return r
}

func checkDataDir(r *Report, cfg *config.Config, o Options) {
	dir := cfg.DataDir
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		r.add("data dir", Warn, fmt.Sprintf("sudo aura-edge setup (or: sudo install -d -m 700 -o %s %s)", orRoot(o.ServiceUser), dir),
			"%s does not exist yet; the daemon creates it at first start", dir)
		return
	}
	if err != nil || !st.IsDir() {
		r.add("data dir", Fail, "set data_dir in "+cfg.File+" to a directory", "%s is not a usable directory: %v", dir, err)
		return
	}
	f, err := os.CreateTemp(dir, ".doctor-*")
	if err != nil {
		r.add("data dir", Fail, fmt.Sprintf("sudo chown %s %s && sudo chmod 700 %s", orRoot(o.ServiceUser), dir, dir), "%s is not writable: %v", dir, err)
		return
	}
	f.Close()
	os.Remove(f.Name())
	if owner := fileOwner(st); o.ServiceUser != "" && owner != "" && owner != o.ServiceUser {
		r.add("data dir", Fail, fmt.Sprintf("sudo chown -R %s: %s", o.ServiceUser, dir),
			"%s is owned by %s, but the service runs as %s", dir, owner, o.ServiceUser)
		return
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		r.add("data dir", Warn, "sudo chmod 700 "+dir, "%s has mode %04o: other users can see the buffered orders", dir, perm)
		return
	}
	r.add("data dir", OK, "", "%s is writable, mode %04o", dir, st.Mode().Perm())
}

func orRoot(u string) string {
	if u == "" {
		return "root"
	}
	return u
}

func checkKeyFile(r *Report, cfg *config.Config) {
	path := daemon.KeyFile(cfg)
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		r.add("key file", Warn, "sudo aura-edge setup (or start the daemon once: it creates the key)", "%s does not exist yet", path)
	case err != nil:
		r.add("key file", Fail, "check the permissions of "+filepath.Dir(path), "%s: %v", path, err)
	case st.Mode().Perm()&0o077 != 0:
		r.add("key file", Fail, "sudo chmod 600 "+path, "%s has mode %04o: other users can read the credential key", path, st.Mode().Perm())
	default:
		r.add("key file", OK, "", "%s, mode %04o", path, st.Mode().Perm())
	}
}

// checkDaemon reports whether the daemon runs, and the bbolt lock. Without
// a daemon it opens the store itself (briefly) and returns its outbox stats.
func checkDaemon(r *Report, cfg *config.Config, live *Daemon) []outbox.StreamStats {
	if live != nil {
		r.add("daemon", OK, "", "running; it holds the store lock and answers on %s", daemon.ControlSocket(cfg))
		return live.Outbox
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, store.FileName)); errors.Is(err, os.ErrNotExist) {
		r.add("daemon", Warn, "sudo systemctl start aura-edge", "not running; no store yet in %s", cfg.DataDir)
		return nil
	}
	db, err := store.Open(cfg.DataDir, store.Options{LockTimeout: 300 * time.Millisecond})
	if errors.Is(err, store.ErrInUse) {
		r.add("daemon", Fail, "sudo systemctl restart aura-edge (or stop the other aura-edge)",
			"a process holds the store lock but does not answer on %s: %v", daemon.ControlSocket(cfg), err)
		return nil
	}
	if err != nil {
		r.add("daemon", Fail, "see the error; a damaged store is in "+cfg.DataDir, "not running, and the store does not open: %v", err)
		return nil
	}
	defer db.Close()
	ob, err := outbox.Open(db, outbox.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		r.add("daemon", Fail, "see the error", "not running; the outbox does not open: %v", err)
		return nil
	}
	r.add("daemon", Warn, "sudo systemctl start aura-edge", "not running; the store opens and is not locked")
	return ob.Stats()
}

// checkCloud probes the broker: TCP, TLS, client certificate, MQTT
// CONNECT with the configured credentials; then the command keys.
func checkCloud(ctx context.Context, r *Report, cfg *config.Config, o Options) {
	cc := cfg.Cloud
	if cc.Broker == "" {
		r.add("broker", Warn, "sudo aura-edge setup --broker tls://HOST:8883", "no cloud.broker configured: running offline, everything is buffered")
	} else {
		for _, c := range ProbeBroker(ctx, cfg, o.Timeout, o.Now()) {
			r.Checks = append(r.Checks, c)
		}
	}
	if len(cc.CommandKeys) == 0 {
		r.add("command keys", Warn, "add the Aura cloud's command signing key to cloud.command_keys in "+cfg.File,
			"none configured: signed cloud commands (menu pushes) are refused")
		return
	}
	for i, k := range cc.CommandKeys {
		if _, err := cloud.ParsePublicKey(k); err != nil {
			r.add("command keys", Fail, fmt.Sprintf("fix cloud.command_keys[%d] in %s (base64 Ed25519 public key)", i, cfg.File), "key %d: %v", i, err)
			return
		}
	}
	r.add("command keys", OK, "", "%d command signing key(s)", len(cc.CommandKeys))
}

// ProbeBroker checks the cloud broker the way the daemon connects to it.
// setup uses it too.
func ProbeBroker(ctx context.Context, cfg *config.Config, timeout time.Duration, now time.Time) []Check {
	var out []Check
	add := func(name string, st Status, fix, format string, args ...any) {
		out = append(out, Check{Name: name, Status: st, Detail: fmt.Sprintf(format, args...), Fix: fix})
	}
	cc := cfg.Cloud
	// cloud.ParseBroker reads the URL as the link does (default ports
	// 1883 and 8883), so doctor probes the address the daemon dials.
	u, secure, err := cloud.ParseBroker(cc.Broker)
	if err != nil {
		add("broker", Fail, "set cloud.broker to tcp://HOST:1883 or tls://HOST:8883", "cloud.broker %q is not a broker URL: %v", cc.Broker, err)
		return out
	}
	host := u.Host
	conn, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", host)
	if err != nil {
		add("broker", Fail, "check the network and cloud.broker in "+cfg.File+"; the broker must accept connections from this store on "+host,
			"cannot reach %s: %v", host, unwrapNet(err))
		return out
	}
	conn.Close()
	add("broker", OK, "", "%s reachable", host)

	var tc *tls.Config
	if secure {
		tc = &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
		if cc.TLS.CAFile != "" {
			pem, err := os.ReadFile(cc.TLS.CAFile)
			pool := x509.NewCertPool()
			if err != nil || !pool.AppendCertsFromPEM(pem) {
				add("tls", Fail, "set cloud.tls.ca_file to the PEM CA bundle from the Aura console", "cannot read CA certificates from %s: %v", cc.TLS.CAFile, err)
				return out
			}
			tc.RootCAs = pool
		}
		if cc.TLS.CertFile != "" {
			pair, err := tls.LoadX509KeyPair(cc.TLS.CertFile, cc.TLS.KeyFile)
			if err != nil {
				add("client certificate", Fail, "point cloud.tls.cert_file and key_file at the store's certificate and key", "%v", err)
				return out
			}
			tc.Certificates = []tls.Certificate{pair}
			out = append(out, certExpiry(cc.TLS.CertFile, now))
		}
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: tc}
		tconn, err := d.DialContext(ctx, "tcp", host)
		if err != nil {
			add("tls", Fail, "check cloud.tls.ca_file (the CA that signed the broker's certificate), the host name in cloud.broker and the clock",
				"TLS handshake with %s failed: %v", host, err)
			return out
		}
		st := tconn.(*tls.Conn).ConnectionState()
		tconn.Close()
		add("tls", OK, "", "handshake ok (%s, broker certificate for %s)", tls.VersionName(st.Version), st.PeerCertificates[0].Subject.CommonName)
	} else {
		add("tls", Warn, "use tls://HOST:8883 in cloud.broker", "the cloud link is not encrypted (%s)", plainScheme(cc.Broker))
	}

	opts := paho.NewClientOptions().AddBroker(brokerURL(u, host)).
		SetClientID(fmt.Sprintf("aura-edge-doctor-%s-%d", cfg.StoreID, os.Getpid())).
		SetConnectTimeout(timeout).SetAutoReconnect(false).SetConnectRetry(false).SetCleanSession(true)
	if tc != nil {
		opts.SetTLSConfig(tc)
	}
	if cc.Username != "" {
		opts.SetUsername(cc.Username)
	}
	if cc.PasswordFile != "" {
		pw, err := os.ReadFile(cc.PasswordFile)
		if err != nil {
			add("authentication", Fail, "create "+cc.PasswordFile+" with the MQTT password (mode 0640, group aura-edge)", "cannot read cloud.password_file: %v", err)
			return out
		}
		opts.SetPassword(strings.TrimRight(string(pw), "\r\n"))
	}
	cl := paho.NewClient(opts)
	tok := cl.Connect()
	if !tok.WaitTimeout(timeout + time.Second) {
		add("authentication", Fail, "check that "+host+" is an MQTT broker", "no CONNACK within %s", timeout)
		return out
	}
	if err := tok.Error(); err != nil {
		fix := "check cloud.username and cloud.password_file (or the client certificate) against the Aura console"
		add("authentication", Fail, fix, "the broker refused the connection: %v", err)
		return out
	}
	cl.Disconnect(100)
	who := cc.Username
	if who == "" {
		who = "anonymous"
	}
	add("authentication", OK, "", "MQTT CONNECT accepted (%s)", who)
	return out
}

func brokerURL(u *url.URL, host string) string { return u.Scheme + "://" + host }

// plainScheme is the scheme as written in cloud.broker (tcp or mqtt).
func plainScheme(raw string) string {
	scheme, _, _ := strings.Cut(raw, "://")
	return scheme
}

func unwrapNet(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

func certExpiry(path string, now time.Time) Check {
	c := Check{Name: "client certificate"}
	b, _ := os.ReadFile(path)
	blk, _ := pem.Decode(b)
	if blk == nil {
		c.Status, c.Detail, c.Fix = Fail, path+" holds no PEM certificate", "point cloud.tls.cert_file at the store's certificate"
		return c
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		c.Status, c.Detail, c.Fix = Fail, fmt.Sprintf("%s: %v", path, err), "point cloud.tls.cert_file at the store's certificate"
		return c
	}
	left := cert.NotAfter.Sub(now)
	switch {
	case left <= 0:
		c.Status, c.Fix = Fail, "download a new store certificate from the Aura console into "+path
		c.Detail = fmt.Sprintf("expired on %s", cert.NotAfter.Format("2006-01-02"))
	case left < 30*24*time.Hour:
		c.Status, c.Fix = Warn, "renew the store certificate in the Aura console before "+cert.NotAfter.Format("2006-01-02")
		c.Detail = fmt.Sprintf("expires in %d days (%s)", int(left.Hours()/24), cert.NotAfter.Format("2006-01-02"))
	default:
		c.Status = OK
		c.Detail = fmt.Sprintf("valid until %s", cert.NotAfter.Format("2006-01-02"))
	}
	return c
}

func checkClock(r *Report, o Options) {
	now := o.Now()
	if now.Year() < 2025 || now.Year() > 2100 {
		r.add("clock", Fail, "sudo timedatectl set-ntp true (or set the date and the BIOS clock)",
			"the clock says %s: TLS certificates and order times will be wrong", now.Format(time.RFC3339))
		return
	}
	r.add("clock", OK, "", "%s", now.UTC().Format(time.RFC3339))
}

// checkDisk compares the data directory's free space with the outbox's
// floors (outbox.min_free_disk; orders are refused below the lower one).
func checkDisk(r *Report, cfg *config.Config) {
	floor := int64(cfg.Outbox.MinFree())
	if floor <= 0 {
		floor = 256 << 20
	}
	critical := min(floor, 64<<20)
	dir := cfg.DataDir
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	free, err := diskFree(dir)
	if err != nil {
		r.add("disk", Warn, "", "cannot read free space of %s: %v", dir, err)
		return
	}
	fix := fmt.Sprintf("free space on the disk holding %s (or lower outbox.min_free_disk in %s)", cfg.DataDir, cfg.File)
	switch {
	case free < uint64(critical):
		r.add("disk", Fail, fix, "%s free, below the floor (%s) where orders and payments are refused", human(free), human(uint64(critical)))
	case free < uint64(floor)*2:
		r.add("disk", Fail, fix, "%s free, below 2 x outbox.min_free_disk (%s): telemetry and sync logs are refused", human(free), human(uint64(floor)))
	default:
		r.add("disk", OK, "", "%s free (outbox floor %s)", human(free), human(uint64(floor)))
	}
}

func human(n uint64) string {
	switch {
	case n >= 1<<40:
		return fmt.Sprintf("%.1f TiB", float64(n)/(1<<40))
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	default:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
}

func checkPrinters(ctx context.Context, r *Report, cfg *config.Config, live *Daemon, o Options) {
	if len(cfg.Printers) == 0 {
		r.add("printers", Warn, "sudo aura-edge setup --printer URL (see: aura-edge printers)", "no printer configured")
		return
	}
	for _, p := range cfg.Printers {
		name := "printer " + p.Name
		if dev := devicePath(p.Connection); dev != "" && !checkDevice(r, "port "+p.Name, dev, o) {
			continue
		}
		if live != nil {
			st, ok := live.Printers[p.Name]
			switch {
			case !ok:
				r.add(name, Warn, "sudo systemctl restart aura-edge", "the daemon does not know it yet (config changed since it started)")
			case st.State == "online":
				r.add(name, OK, "", "online (%s, via the daemon)", p.Connection)
			case st.State == "unknown":
				r.add(name, OK, "", "not used since the daemon started (%s)", p.Connection)
			case st.State == "paper_near_end":
				r.add(name, Warn, "have a paper roll ready", "paper near end (%s)", p.Connection)
			case st.State == "paper_out":
				r.add(name, Fail, "load a paper roll", "out of paper (%s)", p.Connection)
			case st.State == "cover_open":
				r.add(name, Fail, "close the printer's cover", "cover open (%s)", p.Connection)
			default:
				r.add(name, Fail, "check the printer's power, cable, paper and cover; then: aura-edge printers", "%s: %s", st.State, st.LastError)
			}
			continue
		}
		probePrinter(ctx, r, name, p, o)
	}
}

func probePrinter(ctx context.Context, r *Report, name string, p config.Printer, o Options) {
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	conn, err := transport.Open(cctx, p.Connection, transport.Options{DialTimeout: o.Timeout})
	if err != nil {
		r.add(name, Fail, "check the printer's power and cable, and printers[].connection in the config (see: aura-edge printers)",
			"cannot open %s: %v", p.Connection, err)
		return
	}
	defer conn.Close()
	_, canTimeOut := conn.(transport.Deadliner)
	_, answersItself := conn.(transport.StatusQuerier)
	st, err := transport.ReadStatus(cctx, conn, o.Timeout, escpos.StatusOffline, escpos.StatusPaper)
	switch {
	case err != nil && !canTimeOut && !answersItself:
		r.add(name, OK, "", "%s opens (this connection reports no status)", p.Connection)
	case err != nil:
		r.add(name, Warn, "a printer that does not answer status requests cannot report paper-out; check its DIP switches", "%s opens, but status: %v", p.Connection, err)
	case st.CoverOpen:
		r.add(name, Fail, "close the printer's cover", "%s: cover open", p.Connection)
	case st.PaperOut || st.PaperEndStop:
		r.add(name, Fail, "load a paper roll", "%s: out of paper", p.Connection)
	case st.PaperNearEnd:
		r.add(name, Warn, "have a paper roll ready", "%s: paper near end", p.Connection)
	default:
		r.add(name, OK, "", "%s: online, paper ok, cover closed", p.Connection)
	}
}

// devicePath is the device file of a serial or USB connection URL.
func devicePath(conn string) string {
	u, err := url.Parse(conn)
	if err != nil || (u.Scheme != "serial" && u.Scheme != "usb") {
		return ""
	}
	return u.Path
}

// checkIntegrations reports each integration flow's last call to its
// vendor: a vendor that refuses the credentials shows as consecutive
// failures with the vendor's error.
func checkIntegrations(r *Report, cfg *config.Config, live *Daemon) {
	for _, in := range cfg.Integrations {
		if in.Disabled {
			r.add("integration "+in.ID, Warn, "set disabled: false for "+in.ID+" in "+cfg.File, "%s is disabled", in.Vendor)
		}
	}
	if live == nil {
		return
	}
	for _, in := range live.Integrations {
		if missing := pos.PartialInjectSettings(in.Vendor, in.Settings); len(missing) > 0 {
			r.add("integration "+in.ID+" order injection", Warn,
				"connect "+in.ID+" again with settings "+strings.Join(missing, ", ")+" (or without any of its injection settings, if it is not to take orders from Aura)",
				"%s has some of the settings for orders from Aura but not %s: order.inject is refused until they are set", in.Vendor, strings.Join(missing, ", "))
		}
	}
	for _, s := range live.Sync {
		name := "integration " + s.Key
		switch {
		case s.Failures > 0:
			r.add(name, Fail, "check the integration's credentials with the vendor and connect it again (POST /v1/integrations/{id}/connect); see: aura-edge queue",
				"%d failed calls in a row: %s", s.Failures, s.LastError)
		case s.LastRun.IsZero():
			r.add(name, OK, "", "not run yet")
		default:
			r.add(name, OK, "", "the vendor accepted the last call at %s", s.LastRun.Format(time.RFC3339))
		}
	}
}

func checkOutbox(r *Report, cfg *config.Config, stats []outbox.StreamStats) {
	if stats == nil {
		return
	}
	depth, oldest := 0, time.Duration(0)
	for _, s := range stats {
		depth += s.Depth
		oldest = max(oldest, s.OldestAge)
		if s.Full || s.DiskLow {
			r.add("outbox", Fail, "restore the cloud link (see the broker checks) and free disk space", "%s: %s", s.Stream, s.Alarm)
			return
		}
	}
	switch {
	case depth == 0:
		r.add("outbox", OK, "", "empty: everything is delivered")
	case oldest > time.Hour:
		r.add("outbox", Warn, "restore the cloud link (see the broker checks above)", "%d events waiting, the oldest for %s", depth, oldest.Round(time.Minute))
	default:
		r.add("outbox", OK, "", "%d events waiting, the oldest for %s", depth, oldest.Round(time.Second))
	}
}
