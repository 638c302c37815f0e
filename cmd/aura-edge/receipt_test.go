package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/terminal/parse"
)

const corpusDir = "../../internal/terminal/parse/testdata"

func TestReceiptParseCommand(t *testing.T) {
	out, code := runBin(t, "receipt", "parse", "--currency", "EUR", "--tz", "UTC", filepath.Join(corpusDir, "de-baeckerei-32.bin"))
	if code != 0 || !strings.Contains(out, "=== Receipt 1 of 1: sale") || !strings.Contains(out, "Bäckerei") || !strings.Contains(out, `"reference": "2231"`) {
		t.Fatalf("exit %d:\n%s", code, out)
	}

	// the store whose layout needs its rules file
	bin := filepath.Join(corpusDir, "fr-traiteur-rules-42.bin")
	out, code = runBin(t, "receipt", "parse", bin)
	if code != 0 || !strings.Contains(out, "Unparsed:\n  - no total line was found") {
		t.Fatalf("without rules, exit %d:\n%s", code, out)
	}
	out, code = runBin(t, "receipt", "parse", "--json", "--rules", filepath.Join(corpusDir, "fr-traiteur.rules.yaml"), bin)
	var rs []parse.Receipt
	if err := json.Unmarshal([]byte(out), &rs); err != nil || code != 0 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if len(rs) != 1 || rs[0].Kind != parse.KindSale || rs[0].Total.Amount != 4870 {
		t.Fatalf("receipts %+v", rs)
	}
}

func TestReceiptParseStreamAndJournal(t *testing.T) {
	dir := t.TempDir()
	// two receipts in one capture, the second without a cut
	a, _ := os.ReadFile(filepath.Join(corpusDir, "de-baeckerei-32.bin"))
	b, _ := os.ReadFile(filepath.Join(corpusDir, "fr-boulangerie-nocut-32.bin"))
	stream := filepath.Join(dir, "capture.bin")
	os.WriteFile(stream, append(a, b...), 0o644)
	out, code := runBin(t, "receipt", "parse", "--currency", "EUR", stream)
	if code != 0 || !strings.Contains(out, "Receipt 1 of 2: sale") || !strings.Contains(out, "Receipt 2 of 2: sale") {
		t.Fatalf("exit %d:\n%s", code, out)
	}

	journal := filepath.Join(dir, "journal.txt")
	os.WriteFile(journal, []byte("BON 1  03.12.2026 09:00\r\nTee  2,00\r\nSUMME  2,00\r\nBAR  2,00\r\nBON 2  03.12.2026 09:01\r\nKaffee  2,50\r\nSUMME  2,50\r\nEC-KARTE  2,50\r\n"), 0o644)
	out, code = runBin(t, "receipt", "parse", "--journal", "--currency", "eur", journal)
	if code != 0 || strings.Count(out, ": sale (") != 2 {
		t.Fatalf("journal: exit %d:\n%s", code, out)
	}
}

func TestReceiptParseErrors(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "store.yaml")
	os.WriteFile(rules, []byte("lines:\n  - template: \"{qty} {nme} {amount}\"\n    as: item\n"), 0o644)
	bin := filepath.Join(corpusDir, "uk-pub-48.bin")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--rules", rules, bin}, rules + ":2:22: unknown field {nme}"},
		{[]string{"--code-page", "ebcdic", bin}, `unknown code page "ebcdic": use one of cp1250`},
		{[]string{filepath.Join(dir, "missing.bin")}, "cannot read the capture"},
		{[]string{"--tz", "Mars/Olympus", bin}, `unknown time zone "Mars/Olympus"`},
	} {
		out, code := runBin(t, append([]string{"receipt", "parse"}, tt.args...)...)
		if code != 2 || !strings.Contains(out, tt.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", tt.args, code, tt.want, out)
		}
	}
}
