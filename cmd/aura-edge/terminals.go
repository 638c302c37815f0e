package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/terminal"
)

// newTerminalsCmd is `aura-edge terminals`: each till's listener state,
// printer reachability, last capture and counts, from the running daemon.
func newTerminalsCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "terminals",
		Short: "List the tills aura-edge listens to, with state, last capture and unparsed count",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var st struct {
				Terminals []terminal.Status `json:"terminals"`
			}
			if err := ctlCall(cmd, "GET", "/v1/terminals", nil, &st); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TERMINAL\tSTATE\tLISTEN\tMODE\tPRINTER\tRECEIPTS\tSALES\tUNPARSED\tDUPLICATES\tQUEUED\tLAST CAPTURE\tERROR")
			if len(st.Terminals) == 0 {
				fmt.Fprintln(tw, "(none configured)\t\t\t\t\t\t\t\t\t\t\t")
			}
			for _, t := range st.Terminals {
				printer := orDash(t.Printer)
				if t.Printer != "" && !t.PrinterReachable && t.PrinterError != "" {
					printer += " (unreachable)"
				}
				last := "-"
				if lc := t.LastCapture; lc != nil {
					last = lc.At.Local().Format(time.DateTime) + " " + lc.Kind
					if lc.Number != "" {
						last += " #" + lc.Number
					}
					if lc.Total != "" {
						last += " " + lc.Total
					}
					if lc.Duplicate {
						last += " (duplicate)"
					}
				}
				errText := t.Error
				if errText == "" {
					errText = t.PrinterError
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", t.Name, t.State, t.Listen, t.Mode, printer,
					t.Receipts, t.Sales, t.Unparsed, t.Duplicates, t.PendingJobs, last, orDash(shortLine(errText, 60)))
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
