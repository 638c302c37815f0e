package escpos_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/auraconnect/aura-edge/drivers/escpos"
)

func Example() {
	p, err := escpos.ProfileConfig{Profile: "TM-T20II", Columns: 32}.Resolve()
	if err != nil {
		panic(err)
	}
	var printer bytes.Buffer // a TCP connection, a serial port or a file in real use
	e := escpos.New(&printer, p)
	e.SetPreview(os.Stdout) // the same pass renders a text preview
	e.Init()
	e.SetAlign(escpos.AlignCenter)
	e.Styled(escpos.Style{Bold: true, Width: 2, Height: 2}, "Café Aura\n")
	e.SetAlign(escpos.AlignLeft)
	e.LeftRight("2 x Flat white", "€7.00")
	e.LeftRight("1 x Crème brûlée", "€6.50")
	e.SetAlign(escpos.AlignCenter)
	if err := e.QR("https://aura.example/r/1042", escpos.QROptions{}); err != nil {
		panic(err)
	}
	e.Cut(escpos.CutPartial, 0)
	if err := e.Flush(); err != nil {
		panic(err)
	}
	fmt.Println(printer.Len(), "bytes for the printer")
	// Output:
	//       C a f é   A u r a
	// 2 x Flat white             €7.00
	// 1 x Crème brûlée           €6.50
	// [QR: https://aura.example/r/1042]
	// ----- partial cut -----
	// 177 bytes for the printer
}

func ExampleParseStatus() {
	// The printer answered DLE EOT 2 with 0x16 and DLE EOT 4 with 0x72.
	var s escpos.Status
	if err := s.Parse(escpos.StatusOffline, 0x16); err != nil {
		panic(err)
	}
	if err := s.Parse(escpos.StatusPaper, 0x72); err != nil {
		panic(err)
	}
	err := s.Err()
	fmt.Println(err)
	fmt.Println(errors.Is(err, escpos.ErrPaperOut), errors.Is(err, escpos.ErrOffline))
	// Output:
	// printer not ready: cover open, paper out
	// true false
}

func ExampleProfile_Printable() {
	p, _ := escpos.LookupProfile("simple") // CP437 only
	fmt.Println(p.Printable("Total: €12 – “merci”"))
	fmt.Println(p.TextWidth("€12"))
	// Output:
	// Total: EUR12 - "merci"
	// 5
}
