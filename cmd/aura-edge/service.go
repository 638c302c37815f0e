package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/daemon"
	"github.com/auraconnect/aura-edge/internal/osservice"
)

// newServiceCmds returns install, uninstall, start, stop, restart, status.
//
// On systemd, install and uninstall are ours (internal/osservice): the unit
// is rendered from the one template, written through a temporary file and
// renamed into place, and a re-install is an upgrade. Elsewhere (Windows
// SCM, launchd) kardianos/service does the work with our rendered
// definitions. start, stop, restart and status go through kardianos/service
// everywhere (systemctl on systemd).
func newServiceCmds() []*cobra.Command {
	install := &cobra.Command{
		Use:   "install",
		Short: "Install (or upgrade) aura-edge as an OS service: systemd, Windows service, launchd",
		Long: `Install aura-edge as an OS service that starts at boot and restarts on failure.
The config file is checked first. Running install again upgrades the service definition
in place (and restarts a running service so it picks up the change).`,
		Args: cobra.NoArgs,
		RunE: runInstall,
	}
	install.Flags().String("user", "aura-edge", `systemd: the system user the service runs as (created if missing; "" for root)`)
	uninstall := &cobra.Command{
		Use:   "uninstall",
		Short: "Stop and remove the OS service (the data directory is kept)",
		Args:  cobra.NoArgs,
		RunE:  runUninstall,
	}
	for _, c := range []*cobra.Command{install, uninstall} {
		c.Flags().String("root", "", "systemd: operate on the file system under this directory (no running systemd needed; for images and tests)")
		c.Flags().MarkHidden("root")
	}
	cmds := []*cobra.Command{install, uninstall}
	verbs := []struct{ name, short string }{
		{"start", "Start the OS service"},
		{"stop", "Stop the OS service"},
		{"restart", "Restart the OS service"},
	}
	for _, v := range verbs {
		cmds = append(cmds, &cobra.Command{
			Use:   v.name,
			Short: v.short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				svc, err := newService(cmd, false)
				if err != nil {
					return err
				}
				if err := service.Control(svc, v.name); err != nil {
					return fmt.Errorf("%s service: %w", v.name, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "aura-edge service: %s done (%s)\n", v.name, service.Platform())
				return nil
			},
		})
	}
	cmds = append(cmds, &cobra.Command{
		Use:   "status",
		Short: "Show whether the OS service is installed and running",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := newService(cmd, false)
			if err != nil {
				return err
			}
			st, err := svc.Status()
			switch {
			case errors.Is(err, service.ErrNotInstalled):
				fmt.Fprintln(cmd.OutOrStdout(), "aura-edge service: not installed")
				return nil
			case err != nil:
				return fmt.Errorf("service status: %w", err)
			}
			names := map[service.Status]string{service.StatusRunning: "running", service.StatusStopped: "stopped"}
			s := names[st]
			if s == "" {
				s = "unknown"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "aura-edge service: %s (%s)\n", s, service.Platform())
			return nil
		},
	})
	return cmds
}

// useSystemd says whether install/uninstall take the systemd path: always
// with --root, else when systemd runs this host.
func useSystemd(cmd *cobra.Command) (root string, ok bool) {
	root, _ = cmd.Flags().GetString("root")
	if root != "" {
		return root, true
	}
	return "/", service.Platform() == "linux-systemd"
}

func runInstall(cmd *cobra.Command, args []string) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	spec, err := serviceSpec(cfg)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	root, systemd := useSystemd(cmd)
	if !systemd {
		return installOther(cmd, cfg)
	}
	spec.User, _ = cmd.Flags().GetString("user")
	if spec.User != "" {
		if err := ensureSystemUser(out, root, spec.User, cfg.DataDir); err != nil {
			return err
		}
	}
	unit, err := osservice.SystemdUnit(spec)
	if err != nil {
		return err
	}
	res, err := osservice.InstallUnit(root, unit)
	if err != nil {
		return fmt.Errorf("install the service: %w (nothing was changed)", err)
	}
	switch {
	case !res.Existed:
		fmt.Fprintf(out, "aura-edge service: installed %s\n", res.Path)
	case res.Changed:
		fmt.Fprintf(out, "aura-edge service: upgraded %s\n", res.Path)
	default:
		fmt.Fprintf(out, "aura-edge service: %s is up to date\n", res.Path)
	}
	if err := systemctl(root, "enable", osservice.Name+".service"); err != nil {
		return fmt.Errorf("enable the service: %w (the unit is installed; run: systemctl enable %s)", err, osservice.Name)
	}
	fmt.Fprintln(out, "aura-edge service: enabled (starts at boot)")
	if root != "/" {
		return nil
	}
	if err := systemctl(root, "daemon-reload"); err != nil {
		return fmt.Errorf("reload systemd: %w", err)
	}
	if res.Existed && res.Changed && systemctl(root, "is-active", "--quiet", osservice.Name) == nil {
		if err := systemctl(root, "restart", osservice.Name); err != nil {
			return fmt.Errorf("restart the upgraded service: %w (see: journalctl -u %s)", err, osservice.Name)
		}
		fmt.Fprintln(out, "aura-edge service: restarted with the new unit")
		return nil
	}
	fmt.Fprintf(out, "Start it with: aura-edge start   (then check: aura-edge doctor)\n")
	return nil
}

func runUninstall(cmd *cobra.Command, args []string) error {
	out := cmd.OutOrStdout()
	root, systemd := useSystemd(cmd)
	if !systemd {
		svc, err := newService(cmd, false)
		if err != nil {
			return err
		}
		if _, err := svc.Status(); errors.Is(err, service.ErrNotInstalled) {
			fmt.Fprintln(out, "aura-edge service: not installed")
			return nil
		}
		svc.Stop()
		if err := svc.Uninstall(); err != nil {
			return fmt.Errorf("uninstall service: %w", err)
		}
		fmt.Fprintf(out, "aura-edge service: uninstall done (%s)\n", service.Platform())
		return nil
	}
	if _, err := os.Stat(osservice.UnitPath(root)); os.IsNotExist(err) {
		fmt.Fprintln(out, "aura-edge service: not installed")
		return nil
	}
	disable := []string{"disable", osservice.Name + ".service"}
	if root == "/" {
		disable = []string{"disable", "--now", osservice.Name + ".service"}
	}
	if err := systemctl(root, disable...); err != nil {
		return fmt.Errorf("disable the service: %w", err)
	}
	if _, err := osservice.RemoveUnit(root); err != nil {
		return err
	}
	if root == "/" {
		if err := systemctl(root, "daemon-reload"); err != nil {
			return fmt.Errorf("reload systemd: %w", err)
		}
	}
	fmt.Fprintf(out, "aura-edge service: removed %s (the data directory is kept)\n", osservice.UnitPath(root))
	return nil
}

// installOther installs through kardianos/service (Windows, launchd, and
// the non-systemd Linux init systems); a re-install replaces the service.
func installOther(cmd *cobra.Command, cfg *config.Config) error {
	svc, err := service.New(&program{d: &daemon.Daemon{}}, serviceConfig(cfg))
	if err != nil {
		return err
	}
	if _, err := svc.Status(); !errors.Is(err, service.ErrNotInstalled) {
		svc.Stop()
		if err := svc.Uninstall(); err != nil {
			return fmt.Errorf("replace the installed service: %w", err)
		}
	}
	if err := svc.Install(); err != nil {
		return fmt.Errorf("install service: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "aura-edge service: install done (%s)\n", service.Platform())
	return nil
}

// systemctl runs systemctl, under --root when root is not "/".
func systemctl(root string, args ...string) error {
	if root != "/" {
		args = append([]string{"--root=" + root}, args...)
	}
	c := exec.Command("systemctl", args...)
	b, err := c.CombinedOutput()
	if err != nil {
		if msg := strings.TrimSpace(string(b)); msg != "" {
			return fmt.Errorf("systemctl %s: %s", strings.Join(args, " "), msg)
		}
		return fmt.Errorf("systemctl %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// ensureSystemUser creates the service's system user (groups dialout and lp)
// when it does not exist, as the Debian package's postinst does. Under a
// --root nothing is created.
func ensureSystemUser(out io.Writer, root, name, home string) error {
	if _, err := user.Lookup(name); err == nil || root != "/" {
		return nil
	}
	args := []string{"--system", "--user-group", "--home-dir", home, "--no-create-home", "--shell", "/usr/sbin/nologin"}
	var groups []string
	for _, g := range []string{"dialout", "lp"} {
		if _, err := user.LookupGroup(g); err == nil {
			groups = append(groups, g)
		}
	}
	if len(groups) > 0 {
		args = append(args, "--groups", strings.Join(groups, ","))
	}
	if b, err := exec.Command("useradd", append(args, name)...).CombinedOutput(); err != nil {
		return fmt.Errorf("create the system user %q: %s (create it yourself, or install with --user \"\" to run as root)", name, strings.TrimSpace(string(b)))
	}
	fmt.Fprintf(out, "aura-edge service: created system user %s (groups %s)\n", name, strings.Join(groups, ","))
	return nil
}

// newService builds the kardianos handle. install validates the config
// first, so a broken file is caught before the service manager loops on it.
func newService(cmd *cobra.Command, validate bool) (service.Service, error) {
	path, _ := cmd.Flags().GetString("config")
	cfg := &config.Config{File: path}
	if validate {
		var err error
		if cfg, err = loadConfig(cmd); err != nil {
			return nil, err
		}
	}
	return service.New(&program{d: &daemon.Daemon{}}, serviceConfig(cfg))
}

// serviceSpec is the service definition for this binary and cfg.
func serviceSpec(cfg *config.Config) (osservice.Spec, error) {
	exe, err := os.Executable()
	if err != nil {
		return osservice.Spec{}, fmt.Errorf("find this program's path: %w", err)
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	conf := cfg.File
	if abs, err := filepath.Abs(conf); err == nil {
		conf = abs
	}
	return osservice.Spec{Exec: exe, Config: conf}, nil
}
