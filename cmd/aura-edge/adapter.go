package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/internal/model"
)

// errProblems makes `adapter check|try` exit 1 after printing what is wrong.
var errProblems = errors.New("the manifest has problems (see above)")

// newAdapterCmd is `aura-edge adapter`: the installer's tools for custom
// vendor manifests (drivers/pos/custom/README.md).
func newAdapterCmd() *cobra.Command {
	c := &cobra.Command{Use: "adapter", Short: "Check and try custom vendor manifests (vendor: custom)"}

	var checkSet []string
	check := &cobra.Command{
		Use:   "check MANIFEST",
		Short: "Check a manifest without calling the vendor: YAML shape, jq programs, templates, auth; lists the credentials and settings it needs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			settings, err := keyValues("--set", checkSet)
			if err != nil {
				return usageError{err}
			}
			data, err := readManifest(args[0])
			if err != nil {
				return err
			}
			if !printCheck(cmd.OutOrStdout(), args[0], custom.Check(data, settings), true) {
				return errProblems
			}
			return nil
		},
	}
	check.Flags().StringArrayVar(&checkSet, "set", nil, "integration setting NAME=VALUE the templates need (repeatable)")

	var (
		trySet, tryCred []string
		credFile        string
		since           time.Duration
		records, pages  int
		timeout         time.Duration
		orderFile       string
		orderMaps       []string
		dry             bool
	)
	try := &cobra.Command{
		Use:   "try MANIFEST",
		Short: "Pull orders once from the vendor and print the first records with their Aura mapping (or the request and response that failed)",
		Long: `Runs one pull of orders against the API the manifest describes and prints, for the first records,
the vendor's JSON and the Aura order the manifest makes of it (or why it would be skipped). When a
request fails, it prints the exact request and response. Secrets are masked in everything printed.

Credentials come from --cred-file (a YAML or JSON map), then the environment (AURA_CRED_<NAME>,
e.g. AURA_CRED_ACCESS_TOKEN for access_token), then --cred NAME=VALUE (the last wins). Settings
come from --set NAME=VALUE (base_url points the manifest at another host).

With --order FILE it tries the manifest's order_create instead: the order (the data of an order.inject
command, {"order": ..., "payment": ...}, or a bare Aura order) is created once at the vendor, or at a
stand-in or test account given by --set base_url=URL, and every request and answer is printed. Lines name
vendor ids through --map AURA_ID=VENDOR_ID (default: the order's own ids). --dry-run sends no write
(reads such as the lookup of an earlier attempt are made) and prints the create request as it would be
sent.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			settings, err := keyValues("--set", trySet)
			if err != nil {
				return usageError{err}
			}
			creds, err := credentials(credFile, tryCred)
			if err != nil {
				return usageError{err}
			}
			data, err := readManifest(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if rep := custom.Check(data, settings); !printCheck(out, args[0], rep, false) {
				return errProblems
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if orderFile != "" {
				maps, err := keyValues("--map", orderMaps)
				if err != nil {
					return usageError{err}
				}
				o, pay, err := readTryOrder(orderFile)
				if err != nil {
					return usageError{err}
				}
				return tryOrder(ctx, out, cmd.ErrOrStderr(), data, settings, creds, o, pay, maps, dry)
			}
			if dry {
				return usageError{errors.New("--dry-run goes with --order (a pull only reads)")}
			}
			return tryPull(ctx, out, cmd.ErrOrStderr(), data, settings, creds, since, pages, records)
		},
	}
	f := try.Flags()
	f.StringArrayVar(&trySet, "set", nil, "integration setting NAME=VALUE (repeatable)")
	f.StringArrayVar(&tryCred, "cred", nil, "credential NAME=VALUE (repeatable; prefer --cred-file or AURA_CRED_<NAME>, which stay out of shell history)")
	f.StringVar(&credFile, "cred-file", "", "YAML or JSON file with the credentials (name: value)")
	f.DurationVar(&since, "since", time.Hour, "read orders changed this long ago or later")
	f.IntVar(&records, "records", 3, "how many records to print")
	f.IntVar(&pages, "pages", 1, "how many pages to read at most")
	f.DurationVar(&timeout, "timeout", 2*time.Minute, "give up after this long")
	f.StringVar(&orderFile, "order", "", "try order_create with this order (JSON: order.inject data or an Aura order) instead of a pull")
	f.StringArrayVar(&orderMaps, "map", nil, "with --order: vendor id of an Aura item/variation/modifier id, AURA_ID=VENDOR_ID (repeatable)")
	f.BoolVar(&dry, "dry-run", false, "with --order: print the create request without sending it (reads such as the lookup are made)")
	schema := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the manifest format (for editors: configs/adapters/manifest.schema.json)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := cmd.OutOrStdout().Write(custom.Schema())
			return err
		},
	}
	c.AddCommand(check, try, schema)
	return c
}

func readManifest(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{fmt.Errorf("cannot read the manifest: %w", err)}
	}
	return data, nil
}

// keyValues parses NAME=VALUE flags.
func keyValues(flag string, kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: write NAME=VALUE", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}

// credentials merges the credential file, AURA_CRED_* and --cred.
func credentials(file string, flags []string) (map[string]string, error) {
	out := map[string]string{}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("cannot read the credential file: %w", err)
		}
		if err := yaml.Unmarshal(b, &out); err != nil {
			return nil, fmt.Errorf("credential file %s: write one name: value per line (%v)", file, err)
		}
	}
	for _, e := range os.Environ() {
		if k, v, ok := strings.Cut(e, "="); ok && strings.HasPrefix(k, "AURA_CRED_") && len(k) > len("AURA_CRED_") {
			out[strings.ToLower(strings.TrimPrefix(k, "AURA_CRED_"))] = v
		}
	}
	fl, err := keyValues("--cred", flags)
	if err != nil {
		return nil, err
	}
	for k, v := range fl {
		out[k] = v
	}
	return out, nil
}

// printCheck prints a check report; ok is false when it has problems.
func printCheck(w io.Writer, file string, rep *custom.CheckReport, verbose bool) bool {
	for _, p := range rep.Problems {
		pos := file
		if p.Line > 0 {
			pos = fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
		}
		fmt.Fprintf(w, "%s: %s\n", pos, p)
	}
	if len(rep.Problems) > 0 {
		fmt.Fprintf(w, "%d problem(s) in %s\n", len(rep.Problems), file)
		return false
	}
	if verbose {
		fmt.Fprintf(w, "%s: ok (vendor %s)\n", file, rep.Vendor)
		fmt.Fprintf(w, "  credentials it needs: %s\n", listOrNone(rep.Credentials))
		fmt.Fprintf(w, "  settings it reads:    %s\n", listOrNone(rep.Settings))
	}
	return true
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

// exchange is one HTTP request and its answer, as sent and received.
type exchange struct {
	method, url       string
	reqHeader         http.Header
	reqBody           []byte
	status            int
	respHeader        http.Header
	respBody          []byte
	err               error
	duration          time.Duration
	respBodyTruncated bool
}

// recorder is an http.RoundTripper that keeps every exchange.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	xs   []*exchange
}

const maxShownBody = 4 << 10

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	x := &exchange{method: req.Method, url: req.URL.String(), reqHeader: req.Header.Clone()}
	if req.GetBody != nil {
		if b, err := req.GetBody(); err == nil {
			x.reqBody, _ = io.ReadAll(io.LimitReader(b, 1<<20))
			b.Close()
		}
	}
	r.mu.Lock()
	r.xs = append(r.xs, x)
	r.mu.Unlock()
	start := time.Now()
	resp, err := r.base.RoundTrip(req)
	x.duration = time.Since(start)
	if err != nil {
		x.err = err
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, pos.MaxResponseBytes))
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	x.status, x.respHeader, x.respBody = resp.StatusCode, resp.Header.Clone(), body
	return resp, err
}

func (r *recorder) exchanges() []*exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*exchange(nil), r.xs...)
}

// masker hides secrets in what try prints.
type masker struct{ secrets []string }

var tokenFieldRe = regexp.MustCompile(`("(?:access_token|refresh_token|id_token|client_secret|password)"\s*:\s*)"[^"]*"`)

func newMasker(creds map[string]string) *masker {
	m := &masker{}
	for _, v := range creds {
		if len(v) >= 4 {
			// As written, and as it appears in a query string, a path or a
			// JSON string.
			m.secrets = append(m.secrets, v, url.QueryEscape(v), url.PathEscape(v))
			if j, err := json.Marshal(v); err == nil {
				m.secrets = append(m.secrets, strings.Trim(string(j), `"`))
			}
		}
	}
	sort.Slice(m.secrets, func(i, j int) bool { return len(m.secrets[i]) > len(m.secrets[j]) })
	return m
}

func (m *masker) text(s string) string {
	for _, sec := range m.secrets {
		s = strings.ReplaceAll(s, sec, "****")
	}
	return tokenFieldRe.ReplaceAllString(s, `$1"****"`)
}

func (m *masker) header(h http.Header) string {
	var keys []string
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		for _, v := range h[k] {
			if strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Proxy-Authorization") {
				scheme, _, _ := strings.Cut(v, " ")
				v = scheme + " ****"
			}
			fmt.Fprintf(&sb, "    %s: %s\n", k, m.text(v))
		}
	}
	return sb.String()
}

func (m *masker) body(b []byte) string {
	s := string(b)
	var ind bytes.Buffer
	if json.Indent(&ind, bytes.TrimSpace(b), "    ", "  ") == nil { // keeps numbers as the vendor wrote them
		s = ind.String()
	}
	s = m.text(s)
	if len(s) > maxShownBody {
		s = s[:maxShownBody] + fmt.Sprintf("\n    ... (%d more bytes)", len(s)-maxShownBody)
	}
	return "    " + s + "\n"
}

func (m *masker) printExchange(w io.Writer, x *exchange) {
	fmt.Fprintf(w, "  request:  %s %s\n%s", x.method, m.text(x.url), m.header(x.reqHeader))
	if len(x.reqBody) > 0 {
		fmt.Fprint(w, m.body(x.reqBody))
	}
	if x.err != nil {
		fmt.Fprintf(w, "  no answer: %s\n", m.text(x.err.Error()))
		return
	}
	fmt.Fprintf(w, "  response: %d %s (%s)\n%s", x.status, http.StatusText(x.status), x.duration.Round(time.Millisecond), m.header(x.respHeader))
	if len(x.respBody) > 0 {
		fmt.Fprint(w, m.body(x.respBody))
	}
}

type tried struct {
	record any
	order  *model.Order
	err    error
}

// tryPull runs one pull and prints what happened.
func tryPull(ctx context.Context, out, errOut io.Writer, manifest []byte, settings, creds map[string]string,
	since time.Duration, pages, show int) error {
	rec := &recorder{base: http.DefaultTransport}
	mask := newMasker(creds)
	settings["manifest_yaml"] = string(manifest)
	a, err := custom.NewAdapter(pos.Config{
		IntegrationID: "adapter-try",
		Credentials:   creds,
		Settings:      settings,
		HTTPClient:    &http.Client{Transport: rec, Timeout: time.Minute},
		State:         pos.NewMemState(),
		Logger:        slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintln(out, mask.text(err.Error()))
		if strings.Contains(err.Error(), "needs credentials.") {
			fmt.Fprintln(out, "give credentials with --cred-file FILE, AURA_CRED_<NAME> or --cred NAME=VALUE")
		}
		return errProblems
	}
	var seen []tried
	a.OnRecord(func(r any, o *model.Order, err error) { seen = append(seen, tried{r, o, err}) })
	cursor := a.StartCursor(time.Now().Add(-since))
	var orders, payments int
	for i := 0; i < max(pages, 1); i++ {
		res, err := a.PullOrders(ctx, cursor)
		if err != nil {
			xs := rec.exchanges()
			fmt.Fprintf(out, "pull failed: %s\n", mask.text(err.Error()))
			if len(xs) > 0 {
				fmt.Fprintln(out, "the last exchange with the vendor:")
				mask.printExchange(out, xs[len(xs)-1])
			}
			fmt.Fprintln(out, "what to do: "+advice(err))
			return errPullFailed
		}
		orders, payments = orders+len(res.Orders), payments+len(res.Payments)
		cursor = res.Next
		if !res.More {
			break
		}
	}
	xs := rec.exchanges()
	skipped := 0
	for _, t := range seen {
		if t.err != nil {
			skipped++
		}
	}
	fmt.Fprintf(out, "%s: %d request(s), %d order(s) and %d payment(s) mapped, %d record(s) skipped (since %s)\n",
		a.Vendor(), len(xs), orders, payments, skipped, time.Now().Add(-since).UTC().Format(time.RFC3339))
	for _, x := range xs {
		status := strconv.Itoa(x.status)
		if x.err != nil {
			status = "no answer"
		}
		fmt.Fprintf(out, "  %s %s -> %s\n", x.method, mask.text(x.url), status)
	}
	if len(xs) > 0 {
		fmt.Fprintln(out, "last exchange:")
		mask.printExchange(out, xs[len(xs)-1])
	}
	for i, t := range seen {
		if i >= show {
			break
		}
		raw, _ := json.MarshalIndent(t.record, "    ", "  ")
		fmt.Fprintf(out, "record %d, as the vendor sent it:\n    %s\n", i+1, mask.text(string(raw)))
		if t.err != nil {
			fmt.Fprintf(out, "  skipped: %s\n", mask.text(t.err.Error()))
			continue
		}
		o, _ := json.MarshalIndent(t.order, "    ", "  ")
		fmt.Fprintf(out, "  as an Aura order:\n    %s\n", mask.text(string(o)))
	}
	if skipped > 0 {
		return errPullFailed
	}
	return nil
}

var errPullFailed = errors.New("the pull did not fully succeed (see above)")

// advice is what an installer can do about a failed pull.
func advice(err error) string {
	switch pos.KindOf(err) {
	case pos.Auth:
		return "the vendor refused the credentials: check them (and the scopes of the API key or app)"
	case pos.Retryable:
		return "the vendor is busy or unreachable: check base_url and the network, then try again later"
	case pos.Invalid:
		return "the vendor refused the request or its answer did not fit the manifest: compare the request above with the vendor's documentation"
	}
	return "compare the request above with the vendor's documentation"
}
