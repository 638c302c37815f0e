package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/drivers/transport/discover"
)

// newDiscoverCmd is `aura-edge printers discover`: find printers to
// configure. It needs no config and no running daemon.
func newDiscoverCmd() *cobra.Command {
	var (
		subnets  []string
		ports    []int
		serials  []string
		picks    []int
		opts     discover.Options
		asJSON   bool
		maxHosts int
	)
	c := &cobra.Command{
		Use:   "discover",
		Short: "Find receipt printers: USB printers, USB-serial adapters, serial ports, and network printers on the subnets you name",
		Long: `Lists printer candidates with how to connect them, then prints a printers: config block.

USB printers and serial ports come from this machine's device tables (nothing is
sent to them unless --serial names a port or --probe-serial is given). Network
printers are found only on the subnets you name (--subnet 192.168.1.0/24): each
address is tried on port 9100 with an ESC/POS status query and a model query,
at most --max-hosts addresses, all within --timeout. --mdns also asks DNS-SD.`,
		Example: `  aura-edge printers discover --subnet 192.168.1.0/24
  aura-edge printers discover --serial /dev/ttyUSB0 --pick 1
  aura-edge printers discover --subnet 10.0.5.0/24 --mdns --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, s := range subnets {
				p, err := parseSubnet(s)
				if err != nil {
					return usageError{err}
				}
				opts.Subnets = append(opts.Subnets, p)
			}
			for _, p := range ports {
				if p < 1 || p > 65535 {
					return usageError{fmt.Errorf("--port %d: want a TCP port from 1 to 65535", p)}
				}
			}
			opts.Ports, opts.SerialPaths, opts.MaxHosts = ports, serials, maxHosts
			found, err := discover.Discover(cmd.Context(), opts)
			if errors.Is(err, discover.ErrTooManyHosts) {
				return usageError{err}
			}
			if asJSON {
				out := map[string]any{"candidates": found}
				if err != nil {
					out["warnings"] = err.Error()
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			w := cmd.OutOrStdout()
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %v\n", err)
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "#\tKIND\tCONNECTION\tESC/POS\tSTATUS\tMODEL / DEVICE\tUSB ID\tNOTE")
			if len(found) == 0 {
				fmt.Fprintln(tw, "-\t(nothing found)\t\t\t\t\t\t")
			}
			for i, c := range found {
				escpos := "-"
				if c.ESCPOS {
					escpos = "yes"
				}
				dev := strings.TrimSpace(strings.Join([]string{c.Model, strings.TrimSpace(c.Manufacturer + " " + c.Product)}, " "))
				id := "-"
				if c.VID != "" {
					id = c.VID + ":" + c.PID
					if c.SerialNumber != "" {
						id += " " + c.SerialNumber
					}
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, c.Kind, c.URL, escpos, orDash(c.Status),
					orDash(dev), id, orDash(shortLine(c.Note, 70)))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			chosen, err := pick(found, picks)
			if err != nil {
				return usageError{err}
			}
			if len(chosen) == 0 {
				if len(subnets) == 0 {
					fmt.Fprintln(w, "\nNo network subnet was probed; add --subnet 192.168.1.0/24 (your store's LAN) to look for network printers.")
				}
				return nil
			}
			fmt.Fprintln(w, "\nAdd to the config (rename the printers as staff know them):")
			return discover.Snippet(w, chosen)
		},
	}
	f := c.Flags()
	f.StringSliceVar(&subnets, "subnet", nil, "subnet to probe for network printers (CIDR, or one address); repeatable")
	f.IntSliceVar(&ports, "port", []int{9100}, "TCP port(s) to probe")
	f.IntVar(&maxHosts, "max-hosts", 1024, "refuse subnets with more addresses than this")
	f.DurationVar(&opts.Deadline, "timeout", 10*time.Second, "time limit for the whole discovery")
	f.DurationVar(&opts.ProbeTimeout, "probe-timeout", 400*time.Millisecond, "time limit for one address or port")
	f.StringSliceVar(&serials, "serial", nil, "serial port to probe with a status query (path or serial:// URL); repeatable")
	f.BoolVar(&opts.ProbeSerial, "probe-serial", false, "probe every listed serial port with a status query (writes a few bytes to each)")
	f.BoolVar(&opts.MDNS, "mdns", false, "also ask DNS-SD (_pdl-datastream._tcp, _printer._tcp) on the local network")
	f.IntSliceVar(&picks, "pick", nil, "numbers from the list to put in the config block (default: every printer that answered, and USB printers)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// parseSubnet reads a CIDR prefix or a single address.
func parseSubnet(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("--subnet %q: want a subnet such as 192.168.1.0/24 or one address such as 192.168.1.50", s)
}

// pick returns the candidates numbered in picks (1-based), or by default
// the ones that answered ESC/POS status and the USB printers.
func pick(found []discover.Candidate, picks []int) ([]discover.Candidate, error) {
	var out []discover.Candidate
	if len(picks) == 0 {
		for _, c := range found {
			if c.ESCPOS || c.Kind == discover.KindUSBPrinter {
				out = append(out, c)
			}
		}
		return out, nil
	}
	for _, n := range picks {
		if n < 1 || n > len(found) {
			return nil, fmt.Errorf("--pick %d: the list has %s", n, plural(len(found), "entry", "entries"))
		}
		out = append(out, found[n-1])
	}
	return out, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
