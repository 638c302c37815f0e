package spool

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/receipt"
	"github.com/auraconnect/aura-edge/internal/store"
)

// testOptions retry fast and do not poll idle printers.
func testOptions() Options {
	return Options{
		Logger:         testLogger(),
		MinBackoff:     10 * time.Millisecond,
		MaxBackoff:     50 * time.Millisecond,
		StatusTimeout:  500 * time.Millisecond,
		DialTimeout:    time.Second,
		WriteTimeout:   2 * time.Second,
		StatusInterval: -1,
		Location:       time.UTC,
	}
}

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

var testReceipt = receipt.Settings{
	Header:     []string{"Corner Café", "12 Market Street"},
	Footer:     []string{"Thank you!"},
	QRTemplate: "https://r.example.com/{store_id}/{order_id}",
	Locale:     "en-US",
}

func openStore(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(dir, store.Options{LockTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// fixture is a spool over a real store in a temp dir, with a real audit
// log.
type fixture struct {
	t     testing.TB
	dir   string
	db    *store.DB
	audit *audit.Logger
	s     *Spool
	stop  func()
}

func newFixture(t testing.TB, printers []Printer, opts Options) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir()}
	f.open(printers, opts)
	t.Cleanup(f.close)
	return f
}

func (f *fixture) open(printers []Printer, opts Options) {
	f.t.Helper()
	f.db = openStore(f.t, f.dir)
	f.audit = audit.New(f.db, nil, audit.Config{}, slog.New(slog.DiscardHandler))
	opts.Audit = f.audit
	s, err := New(f.db, "store-0042", printers, testReceipt, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.s = s
}

// run starts the spool; stop cancels it and waits for Run to return.
func (f *fixture) run() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := f.s.Run(ctx); err != nil {
			f.t.Errorf("Run: %v", err)
		}
	})
	f.stop = func() { cancel(); wg.Wait() }
}

// close stops the spool and closes the store (a clean restart).
func (f *fixture) close() {
	if f.stop != nil {
		f.stop()
		f.stop = nil
	}
	if f.db != nil {
		f.db.Close()
		f.db = nil
	}
}

func (f *fixture) submit(r Request) Job {
	f.t.Helper()
	j, _, err := f.s.Submit(context.Background(), r)
	if err != nil {
		f.t.Fatal(err)
	}
	return j
}

// waitJob waits until job id is in state want.
func (f *fixture) waitJob(id string, want State) Job {
	f.t.Helper()
	var j Job
	waitFor(f.t, fmt.Sprintf("job %s %s", id, want), func() bool {
		var err error
		j, err = f.s.Job(id)
		return err == nil && j.State == want
	})
	return j
}

func (f *fixture) data(id string) []byte {
	f.t.Helper()
	d, err := f.s.Data(id)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// q is a DLE EOT n status query.
func q(n byte) []byte { return []byte{0x10, 0x04, n} }

// onWire is what a printer that answers status receives for one job:
// DLE EOT 1 and 4 before it, DLE EOT 1 after it.
func onWire(data []byte) []byte {
	return bytes.Join([][]byte{q(1), q(4), data, q(1)}, nil)
}

var orderSeq int

// testOrder returns a valid completed order paid by card.
func testOrder(id string) *model.Order {
	orderSeq++
	o := &model.Order{
		ID: id, Source: model.Source{Vendor: "local", ExternalID: id, Version: "1"},
		State: model.OrderCompleted, Currency: "USD", Reference: fmt.Sprint(1000 + orderSeq),
		CreatedAt: time.Date(2026, 8, 14, 12, 31, 0, 0, time.UTC),
		LineItems: []model.LineItem{
			{ID: "l1", Name: "Flat white", VariationName: "Large", Quantity: model.Q(2), UnitPrice: model.M(450, "USD"),
				Modifiers: []model.LineModifier{{Name: "Oat milk", Quantity: model.Q(1), UnitPrice: model.M(75, "USD")}}},
			{ID: "l2", Name: "Jalapeño bagel", Quantity: model.Q(1), UnitPrice: model.M(525, "USD"), Note: "toasted"},
		},
		Taxes: []model.AppliedTax{{Name: "Sales tax", Percentage: "8.875", Amount: model.M(126, "USD")}},
	}
	o.ComputeTotals()
	o.Payments = []model.Payment{{ID: "p-" + id, Source: model.Source{Vendor: "local", ExternalID: "p-" + id},
		Method: model.MethodCard, CardBrand: "VISA", Last4: "4242", Amount: o.Totals.Total,
		Status: model.PaymentCompleted, CreatedAt: o.CreatedAt}}
	return o
}

func cashOrder(id string) *model.Order {
	o := testOrder(id)
	o.Payments[0].Method, o.Payments[0].CardBrand, o.Payments[0].Last4 = model.MethodCash, "", ""
	return o
}

func filepathGlob(dir, pattern string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	slices.Sort(m)
	return m, err
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
