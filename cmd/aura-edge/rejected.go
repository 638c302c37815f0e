package main

import (
	"fmt"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/bridge"
)

// newRejectedCmd is `aura-edge rejected`: records a pull could not
// represent, set aside (and audited) instead of dropped.
func newRejectedCmd() *cobra.Command {
	var asJSON bool
	var integration string
	c := &cobra.Command{
		Use:   "rejected",
		Short: "List pulled records the vendor sent that could not be captured (set aside, audited)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Rejected []bridge.RejectedRecord `json:"rejected"`
			}
			path := "/integrations/pos/rejected"
			if integration != "" {
				path += "?integration_id=" + url.QueryEscape(integration)
			}
			if err := ctlCall(cmd, "GET", path, nil, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			if len(out.Rejected) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no rejected records")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "INTEGRATION\tKEY\tSEEN\tLAST SEEN\tREASON")
			for _, r := range out.Rejected {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.IntegrationID, r.Key, r.Seen, r.LastSeen.Format(time.RFC3339), r.Reason)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "see the vendor's record with `aura-edge rejected show INTEGRATION KEY`; once fixed at the vendor, the next pull captures it")
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&integration, "integration", "", "only this integration's records")
	c.AddCommand(&cobra.Command{
		Use:   "show INTEGRATION KEY",
		Short: "Show one rejected record with the vendor's raw record (JSON)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rec bridge.RejectedRecord
			if err := ctlCall(cmd, "GET", "/integrations/pos/"+url.PathEscape(args[0])+"/rejected/"+url.PathEscape(args[1]), nil, &rec); err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), rec)
		},
	})
	return c
}
