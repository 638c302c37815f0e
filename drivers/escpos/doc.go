// Package escpos encodes receipts as ESC/POS printer commands for a given
// printer model.
//
// It does no device I/O: an Encoder writes to any io.Writer (a buffer, a
// file, or a connection the transport package opened), so every command can
// be tested byte for byte. The package has four parts:
//
//   - Profiles (LookupProfile, ProfileConfig) come from the embedded
//     escpos-printer-db database (profiles/capabilities.json, CC-BY-4.0, see
//     profiles/NOTICE.md): paper width, fonts and columns, features, and the
//     code page behind each ESC t number.
//   - The Encoder (New) writes Init, styled text, alignment, fonts, feeds,
//     cuts, the drawer kick, CODE128 and EAN-13 barcodes, QR codes and
//     dithered raster images. Text is encoded per character in a code page
//     the model has, switching with ESC t only when needed; characters no
//     page has get an ASCII spelling ("EUR", accents stripped), never '?'.
//   - The status protocol, in one place: requests (StatusRequest, DLE EOT
//     n), which bytes are replies (IsStatusReply) and their pure parser
//     (ParseStatus, Status.Err with sentinel errors). The exchange over a
//     connection, with deadlines, is drivers/transport's QueryStatus and
//     ReadStatus.
//   - Preview renders the command stream as plain text, either beside the
//     encoder in the same pass (Encoder.SetPreview) or from a saved stream
//     (RenderPreview).
//
// A typical job:
//
//	p, err := escpos.ProfileConfig{Profile: "TM-T88V"}.Resolve()
//	...
//	e := escpos.New(conn, p)
//	e.Init()
//	e.SetAlign(escpos.AlignCenter)
//	e.Styled(escpos.Style{Bold: true, Width: 2, Height: 2}, "Café Aura\n")
//	e.SetAlign(escpos.AlignLeft)
//	e.LeftRight("2 x Flat white", "€7.00")
//	_ = e.QR("https://aura.example/r/123", escpos.QROptions{})
//	e.Cut(escpos.CutPartial, 0)
//	err = e.Flush()
package escpos
