package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/version"
)

// defaultConfig is where packages install the config file.
func defaultConfig() string {
	if v := os.Getenv("AURA_EDGE_CONFIG"); v != "" {
		return v
	}
	if runtime.GOOS == "windows" {
		return `C:\ProgramData\aura-edge\aura-edge.yaml`
	}
	return "/etc/aura-edge/aura-edge.yaml"
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "aura-edge",
		Short:         "The Aura store daemon: POS sync, receipts and an offline buffer for the Aura cloud",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringP("config", "c", defaultConfig(), "config file (env AURA_EDGE_CONFIG)")
	root.AddCommand(
		newRunCmd(),
		newVersionCmd(),
		newConfigCmd(),
		newDemoCmd(),
		newTokenCmd(),
		newKeysCmd(),
		newQueueCmd(),
		newPrintCmd(),
		newPrintersCmd(),
		newAdapterCmd(),
		newTerminalsCmd(),
		newRejectedCmd(),
		newReceiptCmd(),
		newSetupCmd(),
		newDoctorCmd(),
	)
	root.AddCommand(newServiceCmds()...)
	// Unknown subcommands and bad args are usage errors.
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs makes cobra's argument validation errors usage errors.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		orig := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := orig(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "aura-edge %s", version.Version)
			if c := version.Commit(); c != "" {
				fmt.Fprintf(cmd.OutOrStdout(), " (%s)", c)
			}
			fmt.Fprintf(cmd.OutOrStdout(), " %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		},
	}
}

func newConfigCmd() *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Work with the config file"}
	c.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Check the config file and report every problem with file:line:col",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (store %s, %d printers, %d integrations)\n",
				cfg.File, cfg.StoreID, len(cfg.Printers), len(cfg.Integrations))
			return checkOverrides(cmd, cfg)
		},
	})
	return c
}

// loadConfig reads --config with every section's checks.
func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	path, _ := cmd.Flags().GetString("config")
	cfg, err := config.Load(path)
	if err != nil {
		if _, ok := err.(*config.Error); ok {
			return nil, err
		}
		return nil, usageError{err}
	}
	return cfg, nil
}
