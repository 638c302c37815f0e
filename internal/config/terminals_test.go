package config

import (
	"strings"
	"testing"
)

func TestTerminalMistakes(t *testing.T) {
	base := "store_id: s1\nprinters:\n  - name: front\n    connection: tcp://10.0.0.5:9100\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"ok", "terminals:\n  - name: till1\n    listen: tcp://0.0.0.0:9100\n    printer: front\n", nil},
		{"journal without printer", "terminals:\n  - name: reg\n    listen: serial:///dev/ttyS0\n    mode: journal\n    framing: stx-etx\n    checksum: xor\n", nil},
		{"missing", "terminals:\n  - mode: print\n",
			[]string{"terminals[0].name: is required", "terminals[0].listen: is required", "terminals[0].printer: is required in print mode"}},
		{"bad values", "terminals:\n  - name: t 1\n    listen: tcp://0.0.0.0:9100\n    printer: back\n    mode: receipts\n    offline_reply: maybe\n    keep_raw: 5000\n    idle_cut: -1s\n    currency: eur\n",
			[]string{`terminals[0].name: must be 1 to 64 letters`, `terminals[0].printer: names no configured printer (got "back")`,
				`terminals[0].mode: must be print or journal (got "receipts")`, `terminals[0].offline_reply: must be offline or online`,
				`terminals[0].keep_raw: must be 0 (keep none) to 1000`, `terminals[0].idle_cut: must not be negative`, `terminals[0].currency: must be an ISO 4217 code`}},
		{"framing in print mode", "terminals:\n  - name: t1\n    listen: tcp://0.0.0.0:9100\n    printer: front\n    framing: stx-etx\n    checksum: crc\n",
			[]string{"terminals[0].framing: applies to mode journal only", `terminals[0].checksum: must be none or xor (got "crc")`}},
		{"duplicates", "terminals:\n  - name: t1\n    listen: tcp://0.0.0.0:9100\n    printer: front\n  - name: t1\n    listen: tcp://0.0.0.0:9100\n    printer: front\n",
			[]string{`terminals[1].name: duplicate terminal name "t1"`, "terminals[1].listen: terminals[0] listens there already"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(base+tc.yaml), nil)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
