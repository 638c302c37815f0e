package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/internal/localapi"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// newPrintCmd is `aura-edge print`: test pages, reprints and the job list,
// through the running daemon (or the store when none runs).
func newPrintCmd() *cobra.Command {
	c := &cobra.Command{Use: "print", Short: "Print test pages, reprint jobs and list print jobs"}

	var printer, jobID string
	var wait time.Duration
	test := &cobra.Command{
		Use:   "test",
		Short: "Queue a self-test page (profile, code page sample, barcode, QR code, cut)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var res localapi.PrintResult
			req := localapi.PrintRequest{Printer: printer, Kind: string(spool.KindTest), JobID: jobID}
			if err := ctlCall(cmd, "POST", "/v1/print", req, &res); err != nil {
				return err
			}
			return reportPrintJob(cmd, res, wait)
		},
	}
	test.Flags().StringVar(&printer, "printer", "", "printer name from the config")
	test.Flags().StringVar(&jobID, "job-id", "", "job id, so that repeating the command prints once (default: new)")
	test.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for the page to print (e.g. 30s)")
	test.MarkFlagRequired("printer")

	var reprintID string
	var reprintWait time.Duration
	reprint := &cobra.Command{
		Use:   "reprint JOB_ID",
		Short: "Print a job again with a REPRINT banner (the only way an unconfirmed job prints again)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var body any
			if reprintID != "" {
				body = map[string]string{"job_id": reprintID}
			}
			var res localapi.PrintResult
			if err := ctlCall(cmd, "POST", "/v1/print/"+url.PathEscape(args[0])+"/reprint", body, &res); err != nil {
				return err
			}
			return reportPrintJob(cmd, res, reprintWait)
		},
	}
	reprint.Flags().StringVar(&reprintID, "job-id", "", "id of the new job, so that repeating the command reprints once")
	reprint.Flags().DurationVar(&reprintWait, "wait", 0, "wait up to this long for the reprint to print")

	var jp, js string
	var limit int
	var asJSON bool
	jobs := &cobra.Command{
		Use:   "jobs",
		Short: "List print jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if jp != "" {
				q.Set("printer", jp)
			}
			if js != "" {
				q.Set("state", js)
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			path := "/v1/print/jobs"
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			var out struct {
				Jobs []spool.Job `json:"jobs"`
			}
			if err := ctlCall(cmd, "GET", path, nil, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPRINTER\tKIND\tSTATE\tATTEMPTS\tCREATED\tORDER\tLAST ERROR")
			for _, j := range out.Jobs {
				order := j.OrderID
				if j.ReprintOf != "" {
					order += " (reprint of " + j.ReprintOf + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", j.ID, j.Printer, j.Kind, j.State, j.Attempts,
					j.CreatedAt.Local().Format("2006-01-02 15:04:05"), orDash(order), orDash(shortLine(j.LastError, 60)))
			}
			return tw.Flush()
		},
	}
	jobs.Flags().StringVar(&jp, "printer", "", "only this printer")
	jobs.Flags().StringVar(&js, "state", "", "only this state: queued, printing, printed, unconfirmed, failed")
	jobs.Flags().IntVar(&limit, "limit", 0, "at most this many (default 100)")
	jobs.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	c.AddCommand(test, reprint, jobs)
	return c
}

// reportPrintJob prints what happened to a queued job and, with wait > 0,
// polls until it reaches a final state.
func reportPrintJob(cmd *cobra.Command, res localapi.PrintResult, wait time.Duration) error {
	out := cmd.OutOrStdout()
	what := "queued"
	if res.Duplicate {
		what = "already known"
	}
	fmt.Fprintf(out, "%s %s job %s on %s (%s)\n", what, res.Kind, res.JobID, res.Printer, res.State)
	if wait <= 0 || res.State.Final() {
		return nil
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		var j struct {
			Job spool.Job `json:"job"`
		}
		if err := ctlCall(cmd, "GET", "/v1/print/jobs/"+url.PathEscape(res.JobID), nil, &j); err != nil {
			return err
		}
		switch j.Job.State {
		case spool.Printed:
			fmt.Fprintf(out, "printed on %s\n", j.Job.Printer)
			return nil
		case spool.Unconfirmed, spool.Failed:
			return fmt.Errorf("job %s %s: %s", res.JobID, j.Job.State, j.Job.LastError)
		}
	}
	return fmt.Errorf("job %s not printed after %s: see `aura-edge printers`", res.JobID, wait)
}

// newPrintersCmd is `aura-edge printers`: the configured printers with
// their live state from the daemon, and this machine's serial ports.
func newPrintersCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "printers",
		Short: "List configured printers with their live state, and this machine's serial ports",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var st struct {
				Printers []spool.PrinterStatus `json:"printers"`
			}
			apiErr := ctlCall(cmd, "GET", "/v1/printers", nil, &st)
			if apiErr != nil {
				// Fall back to the config alone; the serial ports below
				// need no daemon.
				cfg, err := loadConfig(cmd)
				if err != nil {
					return err
				}
				for _, p := range cfg.Printers {
					st.Printers = append(st.Printers, spool.PrinterStatus{Name: p.Name, Connection: p.Connection,
						Profile: p.Profile, State: "?", Backup: p.Backup})
				}
			}
			ports, portErr := transport.SerialPorts()
			if asJSON {
				out := map[string]any{"printers": st.Printers, "serial_ports": ports}
				if apiErr != nil {
					out["printers_error"] = apiErr.Error()
				}
				if portErr != nil {
					out["serial_ports_error"] = portErr.Error()
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			w := cmd.OutOrStdout()
			if apiErr != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "no live printer state: %v\n", apiErr)
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PRINTER\tSTATE\tQUEUE\tPROFILE\tCOLS\tCONNECTION\tLAST PRINTED\tLAST ERROR")
			if len(st.Printers) == 0 {
				fmt.Fprintln(tw, "(none configured)\t\t\t\t\t\t\t")
			}
			for _, p := range st.Printers {
				state := string(p.State)
				if p.FailedOver {
					state += " -> " + p.Backup
				}
				last := "-"
				if !p.LastPrinted.IsZero() {
					last = p.LastPrinted.Local().Format("2006-01-02 15:04:05")
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", p.Name, state, p.QueueDepth, orDash(p.Profile),
					orDash(colsText(p.Columns)), p.Connection, last, orDash(shortLine(p.LastError, 60)))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(w)
			if portErr != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "serial ports: %v\n", portErr)
				return nil
			}
			tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SERIAL PORT\tUSB VID:PID\tDEVICE\tURL")
			if len(ports) == 0 {
				fmt.Fprintln(tw, "(none found)\t\t\t")
			}
			for _, p := range ports {
				id, dev := "-", strings.TrimSpace(p.Manufacturer+" "+p.Product)
				if p.IsUSB {
					id = p.VID + ":" + p.PID
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, id, orDash(dev), p.URL())
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(newDiscoverCmd())
	return c
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func colsText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// shortLine shortens s to n characters on one line.
func shortLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
