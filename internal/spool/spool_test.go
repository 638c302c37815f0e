package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/receipt"
)

func front(pr *printertest.Printer) Printer {
	return Printer{Name: "front", Connection: pr.URL(), Profile: "TM-T88V"}
}

func TestReceiptByteExact(t *testing.T) {
	pr := printertest.Start(t)
	f := newFixture(t, []Printer{front(pr)}, testOptions())
	f.run()
	o := testOrder("ord_1")
	j := f.submit(Request{ID: "cmd-1", Printer: "front", Kind: KindReceipt, Order: o})
	if j.State != Queued || j.OrderID != "ord_1" || j.Bytes == 0 {
		t.Fatalf("submitted job = %+v", j)
	}
	j = f.waitJob("cmd-1", Printed)
	if j.Attempts != 1 || j.PrintedAt.IsZero() || j.LastError != "" {
		t.Errorf("printed job = %+v", j)
	}

	// The bytes are the receipt layout's, rendered for the profile.
	layout, err := receipt.New(receipt.Config{StoreID: "store-0042", Header: testReceipt.Header, Footer: testReceipt.Footer,
		QRTemplate: testReceipt.QRTemplate, Locale: "en-US", Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := escpos.LookupProfile("TM-T88V")
	want, err := receipt.Render(p, func(e *escpos.Encoder) error { return layout.Receipt(e, o, receipt.Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.data("cmd-1"), want.Bytes) {
		t.Fatal("stored job bytes differ from the rendered receipt")
	}
	pv, _ := f.s.Preview("cmd-1")
	if pv != want.Preview {
		t.Errorf("preview differs:\n%s\n---\n%s", pv, want.Preview)
	}
	jobs, err := pr.WaitJobs(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jobs[0], onWire(want.Bytes)) {
		t.Fatalf("printer received %d bytes, want %d (status queries + receipt)", len(jobs[0]), len(onWire(want.Bytes)))
	}
	// The printer has the bytes before the spool records the job printed.
	waitFor(t, "job recorded printed", func() bool {
		st, _ := f.s.Printer("front")
		return !st.LastPrinted.IsZero()
	})
	st, _ := f.s.Printer("front")
	if st.State != StateOnline || st.QueueDepth != 0 || st.LastPrinted.IsZero() {
		t.Errorf("printer status = %+v", st)
	}
	// Every attempt outcome is audited.
	waitFor(t, "audit record", func() bool {
		recs, _ := f.audit.Query(audit.Filter{Type: "print", Status: audit.Success})
		return len(recs) == 1
	})
}

func TestOfflineThenOnlineInOrder(t *testing.T) {
	pr := printertest.Start(t)
	pr.SetMode(printertest.Offline)
	f := newFixture(t, []Printer{front(pr)}, testOptions())
	f.run()
	var ids []string
	for i := range 3 {
		id := fmt.Sprintf("job-%d", i)
		f.submit(Request{ID: id, Printer: "front", Kind: KindReceipt, Order: testOrder(fmt.Sprint("ord_", i))})
		ids = append(ids, id)
	}
	waitFor(t, "retries", func() bool {
		j, _ := f.s.Job("job-0")
		return j.Attempts >= 3
	})
	st, _ := f.s.Printer("front")
	if st.State != StateOffline || st.QueueDepth != 3 || st.LastError == "" {
		t.Fatalf("status while offline = %+v", st)
	}
	for _, id := range ids {
		if j, _ := f.s.Job(id); j.State != Queued {
			t.Fatalf("%s is %s while the printer is off", id, j.State)
		}
	}
	pr.SetMode(printertest.Online)
	jobs, err := pr.WaitJobsInOrder(3, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		f.waitJob(id, Printed)
		if !bytes.Equal(jobs[i], onWire(f.data(id))) {
			t.Errorf("printer job %d is not %s", i, id)
		}
	}
	// One audit record for the wait, one per printed job.
	waitFor(t, "audit records", func() bool {
		retrying, _ := f.audit.Query(audit.Filter{Type: "print", Status: audit.Retrying})
		ok, _ := f.audit.Query(audit.Filter{Type: "print", Status: audit.Success})
		return len(retrying) == 1 && len(ok) == 3
	})
}

func TestNotReadyKeepsJobsQueued(t *testing.T) {
	for _, c := range []struct {
		mode  printertest.Mode
		state PrinterState
	}{
		{printertest.PaperOut, StatePaperOut},
		{printertest.CoverOpen, StateCoverOpen},
	} {
		t.Run(c.mode.String(), func(t *testing.T) {
			pr := printertest.Start(t)
			pr.SetMode(c.mode)
			f := newFixture(t, []Printer{front(pr)}, testOptions())
			f.run()
			f.submit(Request{ID: "a", Printer: "front", Kind: KindReceipt, Order: testOrder("ord_a")})
			f.submit(Request{ID: "b", Printer: "front", Kind: KindKitchen, Order: testOrder("ord_b")})
			waitFor(t, "status queries", func() bool {
				j, _ := f.s.Job("a")
				return j.Attempts >= 2
			})
			st, _ := f.s.Printer("front")
			if st.State != c.state || st.QueueDepth != 2 {
				t.Fatalf("status = %+v, want %s with 2 queued", st, c.state)
			}
			if n := len(pr.Jobs()); n != 0 {
				t.Fatalf("printer received %d jobs while %s", n, c.mode)
			}
			pr.SetMode(printertest.Online)
			f.waitJob("a", Printed)
			f.waitJob("b", Printed)
			jobs, _ := pr.WaitJobsInOrder(2, 5*time.Second)
			if len(jobs) != 2 || !bytes.Equal(jobs[0], onWire(f.data("a"))) || !bytes.Equal(jobs[1], onWire(f.data("b"))) {
				t.Fatal("jobs did not arrive in order after the printer became ready")
			}
			if st, _ := f.s.Printer("front"); st.State != StateOnline {
				t.Errorf("state after recovery = %s", st.State)
			}
		})
	}
}

func TestPaperNearEndStillPrints(t *testing.T) {
	pr := printertest.Start(t)
	pr.SetMode(printertest.PaperNearEnd)
	f := newFixture(t, []Printer{front(pr)}, testOptions())
	f.run()
	f.submit(Request{ID: "a", Printer: "front", Kind: KindTest})
	f.waitJob("a", Printed)
	if st, _ := f.s.Printer("front"); st.State != StatePaperNearEnd {
		t.Errorf("state = %s, want paper_near_end", st.State)
	}
}

func TestSlowPrinterCompletes(t *testing.T) {
	pr := printertest.Start(t)
	pr.SetDelay(40 * time.Millisecond) // 1 KiB per 40 ms
	f := newFixture(t, []Printer{front(pr)}, testOptions())
	f.run()
	for _, id := range []string{"s1", "s2"} {
		f.submit(Request{ID: id, Printer: "front", Kind: KindReceipt, Order: testOrder("ord_" + id)})
	}
	for _, id := range []string{"s1", "s2"} {
		if j := f.waitJob(id, Printed); j.Attempts != 1 {
			t.Errorf("%s took %d attempts", id, j.Attempts)
		}
	}
	jobs, _ := pr.WaitJobsInOrder(2, 5*time.Second)
	if len(jobs) != 2 || !bytes.Equal(jobs[1], onWire(f.data("s2"))) {
		t.Fatal("slow printer did not receive both jobs intact")
	}
}

func TestDropMidJobIsUnconfirmedAndNotReprinted(t *testing.T) {
	pr := printertest.Start(t)
	pr.DropAfter(100)
	pc := front(pr)
	pc.Drawer = "pin2"
	f := newFixture(t, []Printer{pc}, testOptions())
	f.run()
	f.submit(Request{ID: "drop", Printer: "front", Kind: KindReceipt, Order: cashOrder("ord_drop")})
	f.submit(Request{ID: "next", Printer: "front", Kind: KindKitchen, Order: testOrder("ord_next")})
	j := f.waitJob("drop", Unconfirmed)
	if j.LastError == "" || j.Attempts != 1 {
		t.Errorf("unconfirmed job = %+v", j)
	}
	// The next job is attempted (and dropped too), but "drop" is never
	// sent again by itself.
	f.waitJob("next", Unconfirmed)
	pr.WaitJobs(2, 5*time.Second)      // both connections ended at the printer
	time.Sleep(200 * time.Millisecond) // many backoff periods
	if n := len(pr.Jobs()); n != 2 {
		t.Fatalf("printer saw %d jobs, want 2 (no automatic reprint)", n)
	}
	waitFor(t, "audit of unconfirmed jobs", func() bool {
		recs, _ := f.audit.Query(audit.Filter{Type: "print", Status: audit.Failed})
		return len(recs) == 2
	})

	pr.DropAfter(0)
	r, created, err := f.s.Reprint(context.Background(), "drop", "")
	if err != nil || !created {
		t.Fatalf("reprint: %v %v", created, err)
	}
	if r.ReprintOf != "drop" || r.Kind != KindReceipt || r.OrderID != "ord_drop" {
		t.Errorf("reprint job = %+v", r)
	}
	f.waitJob(r.ID, Printed)
	pv, _ := f.s.Preview(r.ID)
	if !bytes.Contains([]byte(pv), []byte("*** REPRINT ***")) {
		t.Errorf("reprint preview lacks the banner:\n%s", pv)
	}
	if bytes.Contains(f.data(r.ID), []byte{0x1b, 'p'}) {
		t.Error("a reprint kicked the cash drawer")
	}
	if !bytes.Contains(f.data("drop"), []byte{0x1b, 'p', 0}) {
		t.Error("the cash receipt had no drawer kick")
	}
	jobs, _ := pr.WaitJobs(3, 5*time.Second)
	if !bytes.Equal(jobs[2], onWire(f.data(r.ID))) {
		t.Error("printer did not receive the reprint intact")
	}
	// The same reprint id is idempotent too.
	again, created, err := f.s.Reprint(context.Background(), "drop", r.ID)
	if err != nil || created || again.ID != r.ID {
		t.Errorf("second reprint with the same id: %+v %v %v", again, created, err)
	}
}

func TestReprintRawJob(t *testing.T) {
	pr := printertest.Start(t)
	f := newFixture(t, []Printer{front(pr)}, testOptions())
	f.run()
	raw := []byte("\x1b@hello raw\n")
	f.submit(Request{ID: "raw", Printer: "front", Kind: KindRaw, Raw: raw})
	f.waitJob("raw", Printed)
	r, _, err := f.s.Reprint(context.Background(), "raw", "raw-again")
	if err != nil {
		t.Fatal(err)
	}
	f.waitJob("raw-again", Printed)
	d := f.data(r.ID)
	if !bytes.HasSuffix(d, raw) || !bytes.Contains(d, []byte("REPRINT")) {
		t.Errorf("raw reprint = %q", d)
	}
}

func TestSameIDPrintsOnce(t *testing.T) {
	pr := printertest.Start(t)
	f := newFixture(t, []Printer{front(pr)}, testOptions())
	r := Request{ID: "cmd-7", Printer: "front", Kind: KindReceipt, Order: testOrder("ord_7")}
	j1, c1, err1 := f.s.Submit(context.Background(), r)
	j2, c2, err2 := f.s.Submit(context.Background(), r)
	if err1 != nil || err2 != nil || !c1 || c2 || j1.Seq != j2.Seq {
		t.Fatalf("submits: %v %v %v %v", c1, c2, err1, err2)
	}
	f.run()
	f.waitJob("cmd-7", Printed)
	// After printing, the id still answers with the printed job.
	j3, c3, err := f.s.Submit(context.Background(), r)
	if err != nil || c3 || j3.State != Printed {
		t.Fatalf("resubmit after print: %+v %v %v", j3, c3, err)
	}
	// The printer records a job when its connection ends, which can be
	// after the spool marked it printed: wait for it, then allow time for
	// a duplicate print to show up.
	pr.WaitJobs(1, 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	if n := len(pr.Jobs()); n != 1 {
		t.Fatalf("printer received %d jobs, want 1", n)
	}
}

func TestJobsSurviveRestart(t *testing.T) {
	pr := printertest.Start(t)
	pr.SetMode(printertest.Offline)
	printers := []Printer{front(pr)}
	f := newFixture(t, printers, testOptions())
	f.run()
	var ids []string
	for i := range 4 {
		id := fmt.Sprint("r", i)
		f.submit(Request{ID: id, Printer: "front", Kind: KindReceipt, Order: testOrder("ord_" + id)})
		ids = append(ids, id)
	}
	waitFor(t, "an attempt", func() bool { j, _ := f.s.Job("r0"); return j.Attempts > 0 })
	want := make([][]byte, len(ids))
	for i, id := range ids {
		want[i] = f.data(id)
	}
	f.close() // daemon stops; the store is closed

	f.open(printers, testOptions()) // a new process
	pr.SetMode(printertest.Online)
	f.run()
	jobs, err := pr.WaitJobsInOrder(4, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		f.waitJob(id, Printed)
		if !bytes.Equal(jobs[i], onWire(want[i])) {
			t.Errorf("after restart, printer job %d is not %s", i, id)
		}
	}
}

func TestCrashWhilePrintingBecomesUnconfirmed(t *testing.T) {
	pr := printertest.Start(t)
	printers := []Printer{front(pr)}
	f := newFixture(t, printers, testOptions())
	f.submit(Request{ID: "crash", Printer: "front", Kind: KindReceipt, Order: testOrder("ord_c")})
	f.submit(Request{ID: "after", Printer: "front", Kind: KindReceipt, Order: testOrder("ord_d")})
	// The previous process died while sending "crash".
	if _, err := f.s.update("crash", func(j *Job) { j.State, j.Attempts = Printing, 1 }); err != nil {
		t.Fatal(err)
	}
	f.close()

	f.open(printers, testOptions())
	f.run()
	j := f.waitJob("crash", Unconfirmed)
	if j.LastError == "" {
		t.Error("unconfirmed job has no reason")
	}
	f.waitJob("after", Printed)
	jobs, _ := pr.WaitJobs(1, 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	if len(pr.Jobs()) != 1 || !bytes.Equal(jobs[0], onWire(f.data("after"))) {
		t.Fatal("the crashed job was sent again")
	}
	if st, _ := f.s.Printer("front"); st.QueueDepth != 0 {
		t.Errorf("queue depth = %d", st.QueueDepth)
	}
}

func TestBackupTakesOver(t *testing.T) {
	primary, backup := printertest.Start(t), printertest.Start(t)
	primary.SetMode(printertest.Offline)
	printers := []Printer{
		{Name: "front", Connection: primary.URL(), Profile: "TM-T88V", Backup: "back", FailoverAfter: 150 * time.Millisecond},
		{Name: "back", Connection: backup.URL(), Profile: "POS-5890"}, // 58 mm: jobs are laid out again
	}
	opts := testOptions()
	opts.StatusInterval = 40 * time.Millisecond
	f := newFixture(t, printers, opts)
	f.run()
	for _, id := range []string{"f1", "f2"} {
		f.submit(Request{ID: id, Printer: "front", Kind: KindReceipt, Order: testOrder("ord_" + id)})
	}
	orig := f.data("f1")
	jobs, err := backup.WaitJobsInOrder(2, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"f1", "f2"} {
		j := f.waitJob(id, Printed)
		if j.Printer != "back" || j.MovedFrom != "front" {
			t.Errorf("%s: printer %q moved from %q", id, j.Printer, j.MovedFrom)
		}
		if !bytes.Equal(jobs[i], onWire(f.data(id))) {
			t.Errorf("backup job %d is not %s", i, id)
		}
	}
	if bytes.Equal(orig, f.data("f1")) {
		t.Error("job was not laid out again for the backup's paper")
	}
	if st, _ := f.s.Printer("front"); !st.FailedOver || st.State != StateOffline {
		t.Errorf("primary status = %+v", st)
	}

	// The primary comes back: new jobs print on it again.
	primary.SetMode(printertest.Online)
	waitFor(t, "primary online", func() bool { st, _ := f.s.Printer("front"); return st.State == StateOnline })
	f.submit(Request{ID: "f3", Printer: "front", Kind: KindReceipt, Order: testOrder("ord_f3")})
	if j := f.waitJob("f3", Printed); j.Printer != "front" {
		t.Errorf("f3 printed on %s", j.Printer)
	}
}

func TestFilePrinter(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, []Printer{{Name: "virtual", Connection: "file://" + dir, Profile: "default", Columns: 32,
		AutoPrint: "customer"}}, testOptions())
	f.run()
	f.submit(Request{ID: "v1", Printer: "virtual", Kind: KindReceipt, Order: testOrder("ord_v1")})
	f.submit(Request{ID: "v2", Printer: "virtual", Kind: KindTest})
	f.s.OnOrder(*testOrder("ord_v3"))
	auto, _ := f.s.Jobs(Filter{OrderID: "ord_v3"})
	if len(auto) != 1 {
		t.Fatalf("auto print queued %d jobs", len(auto))
	}
	ids := []string{"v1", "v2", auto[0].ID} // auto:receipt:virtual:ord_v3@1
	for _, id := range ids {
		f.waitJob(id, Printed)
	}
	waitFor(t, "preview files", func() bool {
		txt, _ := filepathGlob(dir, "*.txt")
		return len(txt) == 3
	})
	bins, _ := filepathGlob(dir, "*.bin")
	if len(bins) != 3 {
		t.Fatalf("%d .bin files, want 3: %v", len(bins), bins)
	}
	for i, id := range ids {
		bin := readFile(t, bins[i])
		if !bytes.Equal(bin, f.data(id)) {
			t.Errorf("%s: .bin differs from the job", bins[i])
		}
		pv, _ := f.s.Preview(id)
		if txt := readFile(t, bins[i][:len(bins[i])-4]+".txt"); string(txt) != pv {
			t.Errorf("%s: .txt is not the preview", bins[i])
		}
	}
	if st, _ := f.s.Printer("virtual"); st.State != StateOnline || st.Columns != 32 {
		t.Errorf("status = %+v", st)
	}
}

func TestConfigErrors(t *testing.T) {
	db := openStore(t, t.TempDir())
	defer db.Close()
	ok := Printer{Name: "ok", Connection: "tcp://127.0.0.1:9100"}
	for _, c := range []struct {
		name  string
		p     []Printer
		cause error
		text  string
	}{
		{"unknown profile", []Printer{{Name: "a", Connection: "tcp://10.0.0.5:9100", Profile: "TM-NOPE"}}, escpos.ErrUnknownProfile, "TM-NOPE"},
		{"bad scheme", []Printer{{Name: "a", Connection: "lpt://printer"}}, transport.ErrBadURL, `unknown transport "lpt"`},
		{"missing port", []Printer{{Name: "a", Connection: "tcp://10.0.0.5"}}, transport.ErrBadURL, "missing port"},
		{"empty connection", []Printer{{Name: "a"}}, transport.ErrBadURL, "connection"},
		{"no name", []Printer{{Connection: "tcp://10.0.0.5:9100"}}, nil, "name"},
		{"duplicate", []Printer{ok, ok}, nil, "duplicate"},
		{"backup unknown", []Printer{{Name: "a", Connection: "tcp://10.0.0.5:9100", Backup: "zz"}}, nil, "backup"},
		{"backup self", []Printer{{Name: "a", Connection: "tcp://10.0.0.5:9100", Backup: "a"}}, nil, "backup"},
		{"drawer word", []Printer{{Name: "a", Connection: "tcp://10.0.0.5:9100", Drawer: "yes"}}, nil, "drawer"},
		{"auto print", []Printer{{Name: "a", Connection: "tcp://10.0.0.5:9100", AutoPrint: "always"}}, nil, "auto_print"},
		{"columns", []Printer{{Name: "a", Connection: "tcp://10.0.0.5:9100", Columns: 3}}, nil, "columns"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(db, "s", c.p, receipt.Settings{}, Options{})
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
			if c.cause != nil && !errors.Is(err, c.cause) {
				t.Errorf("err = %v, want it to wrap %v", err, c.cause)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(c.text)) {
				t.Errorf("err = %q, want it to mention %q", err, c.text)
			}
		})
	}
	if _, err := New(db, "s", []Printer{ok}, receipt.Settings{Locale: "xx"}, Options{}); !errors.Is(err, receipt.ErrUnknownLocale) {
		t.Errorf("bad locale: %v", err)
	}
	if _, err := New(db, "s", []Printer{ok}, receipt.Settings{QRTemplate: "https://x/{nope}"}, Options{}); !errors.Is(err, receipt.ErrBadTemplate) {
		t.Errorf("bad template: %v", err)
	}
	// Several problems are all reported.
	_, err := New(db, "s", []Printer{{Name: "a", Connection: "lpt://x"}, {Name: "b", Connection: "tcp://h", Profile: "x"}}, receipt.Settings{}, Options{})
	if n := bytes.Count([]byte(err.Error()), []byte("invalid printer config")); n != 3 {
		t.Errorf("want 3 problems, got %d: %v", n, err)
	}
}

func TestBadRequestsKeepTheQueueRunning(t *testing.T) {
	pr := printertest.Start(t)
	f := newFixture(t, []Printer{front(pr)}, testOptions())
	f.run()
	invalid := testOrder("ord_bad")
	invalid.Totals.Total.Amount++
	ctx := context.Background()
	for _, c := range []struct {
		name string
		r    Request
		want error
	}{
		{"unknown printer", Request{Printer: "nope", Kind: KindTest}, ErrUnknownPrinter},
		{"unknown kind", Request{Printer: "front", Kind: "poster"}, ErrInvalidRequest},
		{"missing order", Request{Printer: "front", Kind: KindReceipt}, ErrInvalidRequest},
		{"invalid order", Request{Printer: "front", Kind: KindReceipt, Order: invalid}, ErrInvalidRequest},
		{"bad id", Request{ID: "a/b", Printer: "front", Kind: KindTest}, ErrInvalidRequest},
		{"empty raw", Request{Printer: "front", Kind: KindRaw}, ErrInvalidRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := f.s.Submit(ctx, c.r); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	var ps model.Problems
	if _, _, err := f.s.Submit(ctx, Request{Printer: "front", Kind: KindReceipt, Order: invalid}); !errors.As(err, &ps) || len(ps) == 0 {
		t.Errorf("invalid order: want model.Problems, got %v", err)
	}
	if _, _, err := f.s.Reprint(ctx, "nope", ""); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("reprint unknown: %v", err)
	}
	if jobs, _ := f.s.Jobs(Filter{}); len(jobs) != 0 {
		t.Fatalf("bad requests queued %d jobs", len(jobs))
	}
	f.submit(Request{ID: "good", Printer: "front", Kind: KindTest})
	f.waitJob("good", Printed)
}

func TestOnOrderAutoPrint(t *testing.T) {
	counter, kitchen := printertest.Start(t), printertest.Start(t)
	printers := []Printer{
		{Name: "front", Connection: counter.URL(), AutoPrint: "customer", Drawer: "pin2"},
		{Name: "kitchen", Connection: kitchen.URL(), AutoPrint: "kitchen", Columns: 32},
		{Name: "spare", Connection: "tcp://127.0.0.1:1"},
	}
	f := newFixture(t, printers, testOptions())
	f.run()

	open := cashOrder("ord_auto")
	open.State, open.Payments = model.OrderOpen, nil
	f.s.OnOrder(*open) // open: kitchen ticket only
	paid := cashOrder("ord_auto")
	paid.Source.Version = "2"
	f.s.OnOrder(*paid) // completed: receipt; same items: no second ticket
	f.s.OnOrder(*paid) // the same revision again: nothing
	more := cashOrder("ord_auto")
	more.Source.Version = "3"
	more.LineItems[0].Quantity = model.Q(3)
	more.ComputeTotals()
	more.Payments[0].Amount = more.Totals.Total
	f.s.OnOrder(*more) // a changed order: new receipt and new ticket

	waitFor(t, "auto-print jobs", func() bool {
		jobs, _ := f.s.Jobs(Filter{State: Printed})
		return len(jobs) == 4
	})
	rec, _ := f.s.Jobs(Filter{Printer: "front"})
	kit, _ := f.s.Jobs(Filter{Printer: "kitchen"})
	spare, _ := f.s.Jobs(Filter{Printer: "spare"})
	if len(rec) != 2 || len(kit) != 2 || len(spare) != 0 {
		t.Fatalf("jobs: %d receipts, %d tickets, %d on spare", len(rec), len(kit), len(spare))
	}
	for _, j := range rec {
		if j.Kind != KindReceipt || j.OrderID != "ord_auto" {
			t.Errorf("receipt job %+v", j)
		}
		if !bytes.Contains(f.data(j.ID), []byte{0x1b, 'p', 0}) {
			t.Errorf("cash receipt %s has no drawer kick", j.ID)
		}
	}
	for _, j := range kit {
		if j.Kind != KindKitchen {
			t.Errorf("kitchen job %+v", j)
		}
	}
	canceled := cashOrder("ord_gone")
	canceled.State = model.OrderCanceled
	f.s.OnOrder(*canceled)
	if jobs, _ := f.s.Jobs(Filter{OrderID: "ord_gone"}); len(jobs) != 0 {
		t.Errorf("canceled order printed %d jobs", len(jobs))
	}
}

func TestKitchenCopy(t *testing.T) {
	pr := printertest.Start(t)
	rc := testReceipt
	rc.KitchenCopy = true
	f := &fixture{t: t, dir: t.TempDir()}
	f.db = openStore(t, f.dir)
	t.Cleanup(f.close)
	s, err := New(f.db, "s", []Printer{{Name: "only", Connection: pr.URL(), AutoPrint: "customer"}}, rc, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	f.s = s
	s.OnOrder(*testOrder("ord_kc"))
	jobs, _ := s.Jobs(Filter{})
	if len(jobs) != 2 || jobs[0].Kind != KindKitchen || jobs[1].Kind != KindReceipt {
		t.Fatalf("kitchen_copy jobs = %+v", jobs)
	}
}

func TestPrune(t *testing.T) {
	pr := printertest.Start(t)
	opts := testOptions()
	opts.MaxRows = 2
	f := newFixture(t, []Printer{front(pr)}, opts)
	pr.SetMode(printertest.Offline)
	f.submit(Request{ID: "queued", Printer: "front", Kind: KindTest})
	for _, id := range []string{"p1", "p2", "p3"} {
		f.submit(Request{ID: id, Printer: "front", Kind: KindTest})
		if _, err := f.s.update(id, func(j *Job) { j.State = Printed }); err != nil {
			t.Fatal(err)
		}
	}
	n, err := f.s.Prune()
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want 2", n, err)
	}
	jobs, _ := f.s.Jobs(Filter{})
	if len(jobs) != 2 || jobs[0].ID != "p3" || jobs[1].ID != "queued" {
		t.Fatalf("left: %+v", jobs)
	}
	if _, err := f.s.Data("p1"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("pruned job data: %v", err)
	}
}

// silentPrinter is a TCP printer that takes bytes but never answers status
// queries, like many older or one-way printers.
func silentPrinter(t *testing.T) (url string, received func() [][]byte) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var jobs [][]byte
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b, _ := io.ReadAll(c)
				mu.Lock()
				jobs = append(jobs, b)
				mu.Unlock()
			}()
		}
	}()
	return "tcp://" + ln.Addr().String(), func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return append([][]byte(nil), jobs...)
	}
}

func TestPrinterWithoutStatusStillPrints(t *testing.T) {
	url, received := silentPrinter(t)
	opts := testOptions()
	opts.StatusTimeout = 100 * time.Millisecond
	f := newFixture(t, []Printer{{Name: "old", Connection: url}}, opts)
	f.run()
	f.submit(Request{ID: "quiet", Printer: "old", Kind: KindReceipt, Order: testOrder("ord_q")})
	f.waitJob("quiet", Printed)
	waitFor(t, "job at the printer", func() bool { return len(received()) == 1 })
	// One unanswered DLE EOT 1, then the job, and no query after it.
	if got, want := received()[0], append(q(1), f.data("quiet")...); !bytes.Equal(got, want) {
		t.Fatalf("printer received %d bytes, want %d", len(got), len(want))
	}
	if st, _ := f.s.Printer("old"); st.State != StateUnknown {
		t.Errorf("state = %s, want unknown", st.State)
	}
}

func TestPrintersSharingADevice(t *testing.T) {
	pr := printertest.Start(t)
	f := newFixture(t, []Printer{
		{Name: "receipts", Connection: pr.URL(), Profile: "TM-T88V"},
		{Name: "tickets", Connection: pr.URL(), Profile: "TM-T88V", Columns: 32},
	}, testOptions())
	if len(f.s.devices) != 1 {
		t.Fatalf("%d workers for one device", len(f.s.devices))
	}
	ids := []string{"d1", "d2", "d3", "d4"}
	for i, id := range ids {
		name, kind := "receipts", KindReceipt
		if i%2 == 1 {
			name, kind = "tickets", KindKitchen
		}
		f.submit(Request{ID: id, Printer: name, Kind: kind, Order: testOrder("ord_" + id)})
	}
	f.run()
	// The one worker sends the jobs of both printers one after another in
	// submission order: compare them in the order the printer accepted their
	// connections (the order the connections ended depends on its goroutines).
	jobs, err := pr.WaitJobsInOrder(4, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		f.waitJob(id, Printed)
		if !bytes.Equal(jobs[i], onWire(f.data(id))) {
			t.Errorf("job %d at the printer is not %s", i, id)
		}
	}
	a, _ := f.s.Printer("receipts")
	b, _ := f.s.Printer("tickets")
	if a.State != StateOnline || b.State != StateOnline || b.Columns != 32 {
		t.Errorf("status: %+v / %+v", a, b)
	}
}

// TestHungPrinterAfterRestartIsUnconfirmed: the printer answered status
// before a restart and is hung after it (accepts, takes the bytes, answers
// nothing): its jobs end unconfirmed, not printed — the daemon remembers
// across the restart that this printer answers status.
func TestHungPrinterAfterRestartIsUnconfirmed(t *testing.T) {
	pr := printertest.Start(t)
	printers := []Printer{front(pr)}
	f := newFixture(t, printers, testOptions())
	f.run()
	f.submit(Request{ID: "ok", Printer: "front", Kind: KindKitchen, Order: testOrder("ord_ok")})
	f.waitJob("ok", Printed)
	f.close()

	pr.SetMode(printertest.Hung)
	f.open(printers, testOptions())
	f.run()
	f.submit(Request{ID: "h1", Printer: "front", Kind: KindKitchen, Order: testOrder("ord_h1")})
	if j := f.waitJob("h1", Unconfirmed); !strings.Contains(j.LastError, "status") {
		t.Errorf("job h1: reason %q does not say the printer stopped answering", j.LastError)
	}
}

// TestHungPrinterJobsAreUnconfirmed: a printer that answered status on
// every earlier connection, then hangs (accepts the connection, takes the
// bytes, answers nothing), must not have its jobs marked printed.
func TestHungPrinterJobsAreUnconfirmed(t *testing.T) {
	pr := printertest.Start(t)
	f := newFixture(t, []Printer{front(pr)}, testOptions())
	f.run()
	f.submit(Request{ID: "ok", Printer: "front", Kind: KindKitchen, Order: testOrder("ord_ok")})
	f.waitJob("ok", Printed)

	pr.SetMode(printertest.Hung)
	for _, id := range []string{"h1", "h2", "h3"} {
		f.submit(Request{ID: id, Printer: "front", Kind: KindKitchen, Order: testOrder("ord_" + id)})
	}
	for _, id := range []string{"h1", "h2", "h3"} {
		j := f.waitJob(id, Unconfirmed)
		if !strings.Contains(j.LastError, "status") {
			t.Errorf("job %s: reason %q does not say the printer stopped answering", id, j.LastError)
		}
	}
	if st := f.s.Printers()[0]; st.State == StateOnline {
		t.Errorf("hung printer shown as %s", st.State)
	}
}
