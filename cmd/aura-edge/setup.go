package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/daemon"
	"github.com/auraconnect/aura-edge/internal/doctor"
	"github.com/auraconnect/aura-edge/internal/osservice"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// setupAnswers are what setup asks for.
type setupAnswers struct {
	StoreID, DataDir, Listen                       string
	Broker, CAFile, CertFile, KeyFile              string
	Username, PasswordFile                         string
	PrinterName, Printer, Profile                  string
	NonInteractive, NoTestPrint, NoStart, NoBroker bool
}

func newSetupCmd() *cobra.Command {
	var a setupAnswers
	c := &cobra.Command{
		Use:   "setup",
		Short: "Guided first run: store id, cloud broker, config file, credential key, admin token, test receipt",
		Long: `Set up aura-edge on this store PC. It asks for the store id and the cloud broker (and checks the
connection and TLS on the spot), writes the config file with comments, creates the credential key
and the first admin token (shown once), lists the serial ports and USB printers it can see, and
prints a test receipt on the printer you pick. With --non-interactive every answer comes from the
flags (defaults where a flag is absent).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runSetup(cmd, a) },
	}
	f := c.Flags()
	f.BoolVar(&a.NonInteractive, "non-interactive", false, "take every answer from the flags; never prompt")
	f.StringVar(&a.StoreID, "store-id", "", "this store's id in the Aura cloud (required)")
	f.StringVar(&a.DataDir, "data-dir", "/var/lib/aura-edge", "data directory: the offline buffer, the credential key")
	f.StringVar(&a.Listen, "listen", "127.0.0.1:8787", "local API address for tills, kiosks and terminals")
	f.StringVar(&a.Broker, "broker", "", "the Aura cloud's MQTT broker, e.g. tls://mqtt.aura.example:8883 (empty: offline)")
	f.StringVar(&a.CAFile, "ca-file", "", "PEM CA bundle for the broker (empty: the system roots)")
	f.StringVar(&a.CertFile, "cert-file", "", "store client certificate (mutual TLS)")
	f.StringVar(&a.KeyFile, "key-file", "", "store client key (mutual TLS)")
	f.StringVar(&a.Username, "username", "", "MQTT user name")
	f.StringVar(&a.PasswordFile, "password-file", "", "file holding the MQTT password")
	f.StringVar(&a.Printer, "printer", "", "receipt printer URL: tcp://IP:9100, serial:///dev/ttyUSB0, usb:///dev/usb/lp0 (empty: none)")
	f.StringVar(&a.PrinterName, "printer-name", "receipt", "name of that printer in the config")
	f.StringVar(&a.Profile, "profile", "", "printer profile (empty: the default)")
	f.BoolVar(&a.NoTestPrint, "no-test-print", false, "do not print a test receipt")
	f.BoolVar(&a.NoStart, "no-start", false, "do not (re)start the systemd service at the end")
	return c
}

type prompter struct {
	in  *bufio.Reader
	out io.Writer
}

func (p prompter) ask(question, def string) string {
	if def != "" {
		fmt.Fprintf(p.out, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.out, "%s: ", question)
	}
	line, _ := p.in.ReadString('\n')
	if line = strings.TrimSpace(line); line == "" {
		return def
	}
	return line
}

func runSetup(cmd *cobra.Command, a setupAnswers) error {
	out := cmd.OutOrStdout()
	path, _ := cmd.Flags().GetString("config")
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	p := prompter{in: bufio.NewReader(cmd.InOrStdin()), out: out}
	fmt.Fprintf(out, "aura-edge setup: writing %s\n\n", path)

	// 1. What this PC can print on.
	fmt.Fprintln(out, "Serial ports and USB printers on this PC:")
	choices := listPrinterPorts(out)
	fmt.Fprintln(out)

	// 2. The answers.
	if !a.NonInteractive {
		a.StoreID = p.ask("Store id (from the Aura console)", a.StoreID)
	}
	if a.StoreID == "" {
		return usageError{fmt.Errorf("a store id is required: pass --store-id (it is in the Aura console under the store's settings)")}
	}
	for {
		if !a.NonInteractive {
			a.Broker = p.ask("Cloud broker (tls://HOST:8883; empty to run offline)", a.Broker)
			if a.Broker != "" {
				a.CAFile = p.ask("CA file for the broker (empty: the system roots)", a.CAFile)
				a.CertFile = p.ask("Client certificate file (empty: none)", a.CertFile)
				if a.CertFile != "" {
					a.KeyFile = p.ask("Client key file", a.KeyFile)
				}
				a.Username = p.ask("MQTT user name (empty: none)", a.Username)
				if a.Username != "" {
					a.PasswordFile = p.ask("File holding the MQTT password", a.PasswordFile)
				}
			}
		}
		if a.Broker == "" {
			fmt.Fprintln(out, "cloud: none: aura-edge runs offline and buffers everything")
			break
		}
		cfg := setupConfig(a, path)
		fmt.Fprintf(out, "Checking %s ...\n", a.Broker)
		ok := true
		for _, c := range doctor.ProbeBroker(cmd.Context(), cfg, 5*time.Second, time.Now()) {
			fmt.Fprintf(out, "  %-4s %-20s %s\n", c.Status, c.Name, c.Detail)
			if c.Status == doctor.Fail {
				ok = false
				fmt.Fprintf(out, "       fix: %s\n", c.Fix)
			}
		}
		if ok {
			break
		}
		if a.NonInteractive {
			return fmt.Errorf("the cloud broker check failed (see above); nothing was written")
		}
		fmt.Fprintln(out, "The broker check failed; try again (or leave the broker empty to run offline).")
	}
	if !a.NonInteractive {
		def := a.Printer
		if def == "" && len(choices) > 0 {
			def = "1"
		}
		ans := p.ask("Receipt printer: a number above, or a URL (tcp://IP:9100); empty for none", def)
		if n, err := strconv.Atoi(ans); err == nil && n >= 1 && n <= len(choices) {
			ans = choices[n-1]
		}
		a.Printer = ans
	}

	// 3. The config file.
	body := setupConfigText(a)
	if _, err := config.Parse(path, []byte(body), os.Environ()); err != nil {
		return fmt.Errorf("the answers do not make a valid config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if old, err := os.ReadFile(path); err == nil && string(old) != body {
		bak := path + ".bak"
		if err := os.WriteFile(bak, old, 0o644); err != nil {
			return fmt.Errorf("keep the previous config: %w", err)
		}
		fmt.Fprintf(out, "config: the previous file is kept as %s\n", bak)
	}
	if err := osservice.WriteFileAtomic(path, []byte(body), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "config: wrote %s\n", path)
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create the data directory: %w", err)
	}
	// Whatever happens below, what root created in the data directory goes
	// to the service user, or the service could not open its own store.
	if u, err := user.Lookup("aura-edge"); err == nil && os.Geteuid() == 0 {
		defer func() {
			if err := chownTree(cfg.DataDir, u); err != nil {
				fmt.Fprintf(out, "data dir: %v (fix: sudo chown -R aura-edge: %s)\n", err, cfg.DataDir)
			}
		}()
	}

	// 4. The credential key (created when the store first opens) and the
	// first admin token, through the same control routes as `token create`.
	var tok struct{ Token, ID, Name, Role string }
	if err := ctlCall(cmd, "POST", "/ctl/tokens", map[string]string{"role": "admin", "name": "setup-admin-" + time.Now().UTC().Format("20060102-150405")}, &tok); err != nil {
		return fmt.Errorf("create the first admin token: %w", err)
	}
	fmt.Fprintf(out, "credential key: %s (mode 0600; back it up with the data directory)\n", daemon.KeyFile(cfg))
	fmt.Fprintf(out, "admin token (shown only now; store it in the password manager): %s\n", tok.Token)

	// 5. The test receipt.
	if a.Printer != "" && !a.NoTestPrint {
		if err := setupTestPrint(cmd, cfg, a.PrinterName); err != nil {
			return fmt.Errorf("test receipt on %s: %w (fix the printer, then: aura-edge print test --printer %s)", a.Printer, err, a.PrinterName)
		}
	}

	// 6. (Re)start the service. The deferred chown runs only when setup
	// returns, so hand the data directory over now, before the start.
	if u, err := user.Lookup("aura-edge"); err == nil && os.Geteuid() == 0 {
		if err := chownTree(cfg.DataDir, u); err != nil {
			return err
		}
	}
	if _, err := os.Stat("/run/systemd/system"); err == nil && !a.NoStart && os.Geteuid() == 0 {
		if b, err := exec.Command("systemctl", "enable", "--now", osservice.Name).CombinedOutput(); err != nil {
			fmt.Fprintf(out, "service: not started: %s (install it with: sudo aura-edge install)\n", strings.TrimSpace(string(b)))
		} else if b, err := exec.Command("systemctl", "restart", osservice.Name).CombinedOutput(); err != nil {
			fmt.Fprintf(out, "service: restart failed: %s (see: journalctl -u aura-edge)\n", strings.TrimSpace(string(b)))
		} else {
			fmt.Fprintln(out, "service: aura-edge enabled and (re)started")
		}
	}
	fmt.Fprintln(out, "\nDone. Next: aura-edge doctor")
	return nil
}

// listPrinterPorts prints the serial ports and USB printer devices and
// returns their connection URLs, numbered from 1.
func listPrinterPorts(out io.Writer) []string {
	var urls []string
	ports, err := transport.SerialPorts()
	if err != nil {
		fmt.Fprintf(out, "  (serial ports: %v)\n", err)
	}
	for _, p := range ports {
		desc := strings.TrimSpace(p.Manufacturer + " " + p.Product)
		if p.IsUSB {
			desc = strings.TrimSpace(desc + " USB " + p.VID + ":" + p.PID)
		}
		urls = append(urls, p.URL())
		fmt.Fprintf(out, "  %d) %s  %s\n", len(urls), p.URL(), desc)
	}
	lps, _ := filepath.Glob("/dev/usb/lp*")
	for _, lp := range lps {
		urls = append(urls, "usb://"+lp)
		fmt.Fprintf(out, "  %d) usb://%s  USB printer\n", len(urls), lp)
	}
	if len(urls) == 0 {
		fmt.Fprintln(out, "  (none found; a network printer is tcp://IP:9100)")
	}
	return urls
}

// setupConfig is the config the answers make (for the broker probe).
func setupConfig(a setupAnswers, path string) *config.Config {
	cfg := config.Defaults()
	cfg.File = path
	cfg.StoreID = a.StoreID
	cfg.Cloud.Broker = a.Broker
	cfg.Cloud.TLS.CAFile, cfg.Cloud.TLS.CertFile, cfg.Cloud.TLS.KeyFile = a.CAFile, a.CertFile, a.KeyFile
	cfg.Cloud.Username, cfg.Cloud.PasswordFile = a.Username, a.PasswordFile
	return &cfg
}

// setupConfigText renders the config file, with comments.
func setupConfigText(a setupAnswers) string {
	q := strconv.Quote
	var b strings.Builder
	fmt.Fprintf(&b, `# aura-edge configuration, written by "aura-edge setup" on %s.
# Every key is documented in /usr/share/doc/aura-edge/examples/aura-edge.example.yaml
# (configs/aura-edge.example.yaml in the source). After editing:
#   aura-edge config check     then     sudo systemctl restart aura-edge
# Check the whole store PC with: aura-edge doctor

# This store's id in the Aura cloud.
store_id: %s

# The offline buffer of orders and payments, the credential key, the control socket.
data_dir: %s

cloud:
  # The Aura cloud's MQTT broker; empty runs offline (everything is buffered).
  broker: %s
  tls:
    # CA that signed the broker's certificate (empty: the system roots).
    ca_file: %s
    # The store's client certificate and key (mutual TLS), both or neither.
    cert_file: %s
    key_file: %s
  # MQTT user name, and the file holding its password (never the password itself).
  username: %s
  password_file: %s

api:
  # The local API for tills, kiosks and terminals (HTTPS is required beyond loopback).
  listen: %s
`, time.Now().UTC().Format("2006-01-02 15:04 MST"), q(a.StoreID), q(a.DataDir), q(a.Broker), q(a.CAFile), q(a.CertFile), q(a.KeyFile),
		q(a.Username), q(a.PasswordFile), q(a.Listen))
	if a.Printer == "" {
		b.WriteString("\n# Receipt printers: none yet (see: aura-edge printers).\nprinters: []\n")
		return b.String()
	}
	fmt.Fprintf(&b, `
# Receipt printers (see: aura-edge printers). Test one with: aura-edge print test --printer NAME
printers:
  - name: %s
    connection: %s
`, q(a.PrinterName), q(a.Printer))
	if a.Profile != "" {
		fmt.Fprintf(&b, "    profile: %s\n", q(a.Profile))
	}
	return b.String()
}

// setupTestPrint prints the self-test page: through the daemon when it
// runs, else on the store with a print worker of our own for the moment.
func setupTestPrint(cmd *cobra.Command, cfg *config.Config, printer string) error {
	out := cmd.OutOrStdout()
	req := spool.Request{Printer: printer, Kind: spool.KindTest}
	c, err := daemon.OpenCore(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		// The daemon holds the store: ask it.
		var res struct {
			JobID string `json:"job_id"`
		}
		if err := ctlCall(cmd, "POST", "/v1/print", map[string]string{"printer": printer, "kind": string(spool.KindTest)}, &res); err != nil {
			return err
		}
		fmt.Fprintf(out, "test receipt: queued on the running daemon (job %s); check the printer\n", res.JobID)
		return nil
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(cmd.Context())
	done := make(chan error, 1)
	go func() { done <- c.Spool.Run(ctx) }()
	defer func() { cancel(); <-done }()
	job, _, err := c.Spool.Submit(ctx, req)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		j, err := c.Spool.Job(job.ID)
		if err != nil {
			return err
		}
		switch j.State {
		case spool.Printed:
			fmt.Fprintf(out, "test receipt: printed on %s\n", printer)
			return nil
		case spool.Unconfirmed, spool.Failed:
			return fmt.Errorf("%s: %s", j.State, j.LastError)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not printed within 30s (the job stays queued and prints when the printer answers)")
}

func chownTree(dir string, u *user.User) error {
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, uid, gid); err != nil {
			return fmt.Errorf("give %s to %s: %w", p, u.Username, err)
		}
		return nil
	})
}
