package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/daemon"
	"github.com/auraconnect/aura-edge/internal/localapi"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// ctlCall sends one request to the daemon (or the store) and decodes the
// JSON answer into out. API errors come back as Go errors with the API's
// message.
func ctlCall(cmd *cobra.Command, method, path string, in, out any) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	cl, err := daemon.DialControl(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer cl.Close()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(cmd.Context(), method, daemon.BaseURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := cl.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s via %s: %w", method, path, cl.Via, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		var e localapi.Problem
		if json.Unmarshal(raw, &e) == nil && e.Detail != "" {
			if resp.StatusCode < 500 {
				return usageError{fmt.Errorf("%s", e.Detail)}
			}
			return fmt.Errorf("%s", e.Detail)
		}
		return fmt.Errorf("%s %s: http %d", method, path, resp.StatusCode)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newTokenCmd() *cobra.Command {
	c := &cobra.Command{Use: "token", Short: "Manage local API tokens (admin, staff, terminal, metrics)"}
	var role, name string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a token and print it once (only its hash is stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Token, ID, Name, Role string
			}
			if name == "" {
				name = generatedTokenName(role)
			}
			if err := ctlCall(cmd, "POST", "/ctl/tokens", map[string]string{"role": role, "name": name}, &out); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), out.Token)
			fmt.Fprintf(cmd.ErrOrStderr(), "created %s token %q (%s); it is shown only now\n", out.Role, out.Name, out.ID)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", "", "admin | staff | terminal | metrics (read-only /metrics, for Prometheus)")
	create.Flags().StringVar(&name, "name", "", "a name for logs and audit records (default: generated)")
	create.MarkFlagRequired("role")
	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never the tokens themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Tokens []struct {
					ID        string    `json:"id"`
					Name      string    `json:"name"`
					Role      string    `json:"role"`
					CreatedAt time.Time `json:"created_at"`
					LastUsed  time.Time `json:"last_used"`
					RevokedAt time.Time `json:"revoked_at"`
				}
			}
			if err := ctlCall(cmd, "GET", "/ctl/tokens", nil, &out); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tLAST USED\tSTATE")
			for _, t := range out.Tokens {
				state, last := "active", "-"
				if !t.RevokedAt.IsZero() {
					state = "revoked " + t.RevokedAt.Format(time.RFC3339)
				}
				if !t.LastUsed.IsZero() {
					last = t.LastUsed.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.CreatedAt.Format(time.RFC3339), last, state)
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke a token at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := ctlCall(cmd, "DELETE", "/ctl/tokens/"+args[0], nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return nil
		},
	}
	c.AddCommand(create, list, revoke)
	return c
}

// generatedTokenName is the name of a token created without --name:
// role, date and 4 random hex digits, e.g. staff-20261203-9f2c.
func generatedTokenName(role string) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	r := strings.ToLower(role)
	if !tokenRoleRe.MatchString(r) {
		r = "token"
	}
	return fmt.Sprintf("%s-%s-%s", r, time.Now().UTC().Format("20060102"), hex.EncodeToString(b[:]))
}

var tokenRoleRe = regexp.MustCompile(`^[a-z]{1,16}$`)

func newKeysCmd() *cobra.Command {
	c := &cobra.Command{Use: "keys", Short: "Manage the credential encryption key"}
	c.AddCommand(&cobra.Command{
		Use:   "rotate",
		Short: "Re-encrypt every stored credential under a new key, in one transaction",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var rot struct {
				From     []string
				To       string
				Resealed int
			}
			if err := ctlCall(cmd, "POST", "/ctl/keys/rotate", nil, &rot); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rotated key %v -> %s: %d values re-encrypted\n", rot.From, rot.To, rot.Resealed)
			return nil
		},
	})
	return c
}

func newQueueCmd() *cobra.Command {
	c := &cobra.Command{Use: "queue", Short: "Inspect the offline buffer"}
	var asJSON bool
	stats := &cobra.Command{
		Use:   "stats",
		Short: "Depth, bytes and oldest age per outbox stream",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Streams []localapi.StreamView `json:"streams"`
				Retries map[string]int        `json:"menu_retries,omitempty"`
				Dead    map[string]int        `json:"dead_letters,omitempty"`
			}
			if err := ctlCall(cmd, "GET", "/v1/queue", nil, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "STREAM\tDEPTH\tBYTES\tOLDEST\tCAPACITY\tFULL\tDROPPED\tREFUSED\t")
			for _, s := range out.Streams {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%v\t%d\t%d\t\n", s.Stream, s.Depth, s.Bytes,
					time.Duration(s.OldestAgeS*float64(time.Second)).Round(time.Second), s.Capacity, s.Full, s.Dropped, s.Refused)
			}
			for id, n := range out.Retries {
				fmt.Fprintf(tw, "menu retry %s\t%d\t\t\t\t\t\t\t\n", id, n)
			}
			for id, n := range out.Dead {
				fmt.Fprintf(tw, "dead letters %s\t%d\t\t\t\t\t\t\t\n", id, n)
			}
			return tw.Flush()
		},
	}
	stats.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(stats, newDeadCmd())
	return c
}

// newDeadCmd is `aura-edge queue dead`: events the cloud broker refused,
// set aside so the rest keeps flowing.
func newDeadCmd() *cobra.Command {
	var asJSON bool
	dead := &cobra.Command{
		Use:   "dead",
		Short: "List events the cloud broker refused (dead letters); retry or drop them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Dead []outbox.DeadLetter `json:"dead_letters"`
			}
			if err := ctlCall(cmd, "GET", "/v1/queue/dead", nil, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			if len(out.Dead) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no dead letters")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTREAM\tSUBJECT\tBYTES\tDEAD SINCE\tREASON")
			for _, d := range out.Dead {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Stream, d.Subject, d.Bytes, d.DeadAt.Format(time.RFC3339), d.Reason)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "retry one with `aura-edge queue dead retry ID` (after fixing the broker's limit), or drop it with `aura-edge queue dead drop ID`")
			return nil
		},
	}
	dead.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	retry := &cobra.Command{
		Use:   "retry ID",
		Short: "Queue a dead letter again, under its original id (audited)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Stream string `json:"stream"`
			}
			if err := ctlCall(cmd, "POST", "/v1/queue/dead/"+args[0]+"/retry", nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "queued %s again on %s\n", args[0], out.Stream)
			return nil
		},
	}
	drop := &cobra.Command{
		Use:   "drop ID",
		Short: "Drop a dead letter for good: it will never reach the cloud (audited)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := ctlCall(cmd, "DELETE", "/v1/queue/dead/"+args[0], nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dropped %s\n", args[0])
			return nil
		},
	}
	dead.AddCommand(retry, drop)
	return dead
}
