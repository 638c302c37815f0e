// Package receipt lays out Aura orders on an ESC/POS encoder.
//
// A Layout, built once from the store's receipt settings (header and footer
// lines, QR URL template, locale, time zone), writes three documents onto
// an *escpos.Encoder for any printer profile and paper width (32, 42 and
// 48 columns are the common ones):
//
//   - Receipt: the customer receipt. The printer's logo (Options.Logo,
//     a dithered raster image, centred), store header, order reference and
//     time, "qty x item" lines with modifiers indented, right-aligned
//     prices, discounts, taxes (inclusive taxes after the total, marked
//     "incl."), service charges, tip, total, payments (card brand and last
//     four), footer, a QR code from the URL template, a cut and, after cash
//     payments, a cash drawer kick.
//   - Kitchen: the kitchen ticket. Large text, no prices, modifiers in bold
//     and notes in reverse print. Never a logo.
//   - SelfTest: a printer test page with the logo (when set), the profile,
//     a code page sample, a barcode, a QR code and a cut.
//
// Either document can carry a REPRINT banner (Options.Reprint) or, for
// copies staff ask for, a COPY banner (Options.Copy).
//
// Money is formatted per currency and locale from int64 minor units, never
// through floats: $4.50 for en-US/USD, 4,50 € for de-DE/EUR, ¥450 for JPY
// (model.MinorDigits gives the decimals). Text goes through the encoder's
// code page selection, so names such as "Café crème" print exactly where
// the printer has the characters and as readable ASCII ("Cafe creme")
// where it does not; widths are measured on the printable form, so columns
// stay aligned either way. Render runs a layout and returns the printer
// bytes and a plain-text preview from the same pass.
//
// The package does no I/O: the spool decodes logo files when it is built,
// renders at submit time and stores the bytes with the job.
package receipt
