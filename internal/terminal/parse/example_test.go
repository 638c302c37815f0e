package parse_test

import (
	"fmt"

	"github.com/auraconnect/aura-edge/internal/terminal/parse"
)

func ExampleParse() {
	// what a till sends: init, CP858 (ESC t 19), lines, a cut
	raw := []byte("\x1b@\x1bt\x13Bretzel       2,40 \xd5\nSUMME         2,40 \xd5\nBar           5,00 \xd5\nR\x81ckgeld      2,60 \xd5\n\x1dVB\x00")
	var c parse.Cutter
	for _, receipt := range c.Write(raw) {
		r := parse.Parse(receipt, parse.Options{Currency: "EUR"})
		fmt.Println(r.Kind, r.Total, r.Tenders[0].Name, r.Change)
	}
	// Output: sale 2.40 EUR Bar 2.60 EUR
}
