// Package printertest runs a stand-in ESC/POS network printer on loopback for tests.
//
// Start listens on 127.0.0.1 with real TCP, like a printer's port 9100. Each
// connection is one job: the printer records every byte it receives and,
// when the connection ends, keeps them as a job. It answers DLE EOT n
// status queries (0x10 0x04 n, n = 1 to 4) with one byte that reflects its
// current Mode, and can be switched at runtime to misbehave:
//
//	p := printertest.Start(t)                 // closed by t.Cleanup
//	conn, err := transport.Open(ctx, p.URL(), transport.Options{})
//	...
//	jobs, err := p.WaitJobs(1, 5*time.Second) // [][]byte, exactly as received
//	jobs, err = p.WaitJobsInOrder(2, 5*time.Second) // in the order connections were accepted
//
//	p.SetMode(printertest.PaperOut)  // status answers say paper end
//	p.SetMode(printertest.Offline)   // refuse connections, reset open ones
//	p.SetDelay(50 * time.Millisecond) // slow: pause before each read
//	p.DropAfter(100)                  // reset each connection after 100 bytes
//
// Status bytes follow the Epson DLE EOT specification (see StatusByte).
// Like many real printers, the stand-in takes every 0x10 0x04 n in the
// stream as a query, even inside image data.
package printertest
