package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/terminal/parse"
)

// newReceiptCmd is `aura-edge receipt`: offline tools for receipt captures.
func newReceiptCmd() *cobra.Command {
	c := &cobra.Command{Use: "receipt", Short: "Offline tools for receipts captured from POS terminals"}

	var rulesPath, codePage, currency, tz string
	var journal, asJSON bool
	p := &cobra.Command{
		Use:   "parse [--rules FILE] [--code-page CP] [--currency C] FILE",
		Short: "Decode a captured ESC/POS stream (or journal text) and show how each receipt parses",
		Long: `Decode a capture the way the daemon does: cut the ESC/POS stream into
receipts, decode the text in the till's code page, mask card numbers and
parse each receipt with the built-in parser or a rules file. For each
receipt it prints the decoded text, then the parse as JSON, or the reasons
it is unparsed. FILE "-" reads standard input. Use --journal for a
register's text journal, which is grouped into transactions instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := parse.Options{Currency: strings.ToUpper(currency), Location: time.Local}
			if codePage != "" {
				if _, ok := parse.LookupCodePage(codePage); !ok {
					names := parse.CodePageNames()
					slices.Sort(names)
					return usageError{fmt.Errorf("unknown code page %q: use one of %s", codePage, strings.Join(names, ", "))}
				}
				opts.CodePage = codePage
			}
			if tz != "" {
				loc, err := time.LoadLocation(tz)
				if err != nil {
					return usageError{fmt.Errorf("unknown time zone %q: use a name such as Europe/Berlin", tz)}
				}
				opts.Location = loc
			}
			if rulesPath != "" {
				r, err := parse.LoadRules(rulesPath)
				if err != nil {
					return usageError{err}
				}
				opts.Rules = r
			}
			data, err := readCapture(cmd, args[0])
			if err != nil {
				return err
			}
			var receipts []parse.Receipt
			if journal {
				receipts = parseJournal(data, opts)
			} else {
				var cut parse.Cutter
				for _, raw := range cut.Write(data) {
					receipts = append(receipts, parse.Parse(raw, opts))
				}
				if raw := cut.Flush(); raw != nil {
					receipts = append(receipts, parse.Parse(raw, opts))
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if receipts == nil {
					receipts = []parse.Receipt{}
				}
				return enc.Encode(receipts)
			}
			if len(receipts) == 0 {
				fmt.Fprintln(out, "No receipt text found in", args[0])
				return nil
			}
			return printReceipts(out, receipts)
		},
	}
	p.Flags().StringVar(&rulesPath, "rules", "", "the store's parse-rules file (YAML)")
	p.Flags().StringVar(&codePage, "code-page", "", "the till's initial code page, e.g. cp437, cp858, cp1252 (default cp437; ESC t in the stream switches it)")
	p.Flags().StringVar(&currency, "currency", "", "ISO 4217 currency of the amounts, e.g. EUR (default: the rules file's, else guessed from €, $, £)")
	p.Flags().StringVar(&tz, "tz", "", "time zone of the printed date-times (default: this computer's)")
	p.Flags().BoolVar(&journal, "journal", false, "FILE is a register's text journal, not an ESC/POS stream")
	p.Flags().BoolVar(&asJSON, "json", false, "print all receipts as one JSON array (text included)")
	c.AddCommand(p)
	return c
}

func readCapture(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, usageError{fmt.Errorf("cannot read the capture: %w", err)}
	}
	return data, nil
}

func parseJournal(data []byte, opts parse.Options) []parse.Receipt {
	j := parse.NewJournal(opts)
	var out []parse.Receipt
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	sc.Split(scanAnyLine)
	for sc.Scan() {
		if txn, done := j.Line(sc.Text()); done && strings.TrimSpace(txn) != "" {
			out = append(out, parse.ParseText(txn, opts))
		}
	}
	if txn := j.Flush(); txn != "" {
		out = append(out, parse.ParseText(txn, opts))
	}
	return out
}

// scanAnyLine splits on LF, CR LF or a lone CR.
func scanAnyLine(data []byte, atEOF bool) (int, []byte, error) {
	for i, c := range data {
		switch c {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil // wait: CR LF may be split
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

func printReceipts(w io.Writer, receipts []parse.Receipt) error {
	for i, r := range receipts {
		fmt.Fprintf(w, "=== Receipt %d of %d: %s (confidence %.2f)\n", i+1, len(receipts), r.Kind, r.Confidence)
		fmt.Fprintln(w, r.Text)
		fmt.Fprintln(w, "---")
		if r.Kind == parse.KindUnparsed {
			fmt.Fprintln(w, "Unparsed:")
		} else if len(r.Problems) > 0 {
			fmt.Fprintln(w, "Parsed, but:")
		}
		for _, p := range r.Problems {
			fmt.Fprintln(w, "  - "+p)
		}
		var m map[string]any // the receipt without its text, printed above
		b, err := json.Marshal(r)
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err != nil {
			return err
		}
		delete(m, "text")
		if b, err = json.MarshalIndent(m, "", "  "); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n", b)
	}
	return nil
}
