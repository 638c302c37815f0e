package discover

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/auraconnect/aura-edge/drivers/escpos"
)

// Snippet writes a `printers:` config block for the candidates, named
// printer-1, printer-2, ... in order, with the profile of the reported model
// where the printer database knows it (else "default"). For USB-serial
// adapters it adds a comment with the ids, which stay the same when the
// adapter comes back on another /dev/ttyUSBn.
func Snippet(w io.Writer, cands []Candidate) error {
	var b strings.Builder
	b.WriteString("printers:\n")
	for i, c := range cands {
		fmt.Fprintf(&b, "  - name: printer-%d\n", i+1)
		if desc := describe(c); desc != "" {
			fmt.Fprintf(&b, "    # %s\n", desc)
		}
		fmt.Fprintf(&b, "    connection: %s\n", yamlScalar(c.URL))
		fmt.Fprintf(&b, "    profile: %s\n", yamlScalar(ProfileFor(c.Model)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func describe(c Candidate) string {
	var parts []string
	if c.Model != "" {
		parts = append(parts, c.Model)
	}
	if c.Manufacturer != "" || c.Product != "" {
		parts = append(parts, strings.TrimSpace(c.Manufacturer+" "+c.Product))
	}
	if c.VID != "" {
		id := "USB " + c.VID + ":" + c.PID
		if c.SerialNumber != "" {
			id += " serial " + c.SerialNumber
		}
		parts = append(parts, id)
	}
	if c.Status != "" {
		parts = append(parts, "status: "+c.Status)
	}
	return printable(strings.Join(parts, ", "))
}

var modelWord = regexp.MustCompile(`[A-Za-z]+-?[A-Za-z]*\d+[A-Za-z0-9-]*`)

// ProfileFor returns the printer-database profile that matches a model
// string as printers report it ("TM-T88V", "EPSON TM-T20II"), or "default".
func ProfileFor(model string) string {
	if model == "" {
		return "default"
	}
	if p, err := escpos.LookupProfile(model); err == nil {
		return p.ID
	}
	for _, w := range modelWord.FindAllString(model, -1) {
		if p, err := escpos.LookupProfile(w); err == nil {
			return p.ID
		}
	}
	return "default"
}

// yamlScalar quotes s when YAML would read it as something else.
func yamlScalar(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[]&*!|>'\"%@`,") && !strings.Contains(s, "://") || strings.Contains(s, " #") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
