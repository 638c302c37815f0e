//go:build linux

package spool

import (
	"errors"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/kitchen"
	"github.com/auraconnect/aura-edge/internal/model"
)

// TestStaffCopies: staff copies of the last receipt and of an order's
// receipt and kitchen tickets carry a COPY banner, are the station's own
// ticket (not a change ticket, not the whole order), never kick the
// drawer, are idempotent by id, and every reprint (copies and job
// reprints) is in the audit log with who asked.
func TestStaffCopies(t *testing.T) {
	grill, bar, front := printertest.Start(t), printertest.Start(t), printertest.Start(t)
	opts := testOptions()
	opts.CategoryOf = categoryOf
	opts.Kitchen = kitchen.Config{
		DefaultPrinter: "front",
		Stations: []kitchen.Station{
			{Name: "grill", Printer: "grill", Categories: []string{"burgers"}, Items: []string{"fries"}},
			{Name: "bar", Printer: "bar", Categories: []string{"cat_drinks"}},
		},
	}
	f := newFixture(t, []Printer{
		{Name: "grill", Connection: grill.URL(), Profile: "TM-T88V"},
		{Name: "bar", Connection: bar.URL(), Profile: "TM-T88V"},
		{Name: "front", Connection: front.URL(), Profile: "TM-T88V", AutoPrint: "customer", Drawer: "pin2"},
	}, opts)
	f.run()

	// Nothing printed yet: nothing to copy.
	if _, _, err := f.s.ReprintLast(t.Context(), "front", "", ReprintOptions{Actor: "anna"}); !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("copy before any receipt: err = %v", err)
	}

	o := kitchenOrder(model.OrderCompleted)
	o.Payments = []model.Payment{{ID: "p1", Source: model.Source{Vendor: "local", ExternalID: "p1"}, Method: model.MethodCash,
		Amount: o.Totals.Total, Status: model.PaymentCompleted, CreatedAt: o.CreatedAt}}
	f.s.OnOrder(*o)
	preview(t, f, "grill", 1)
	preview(t, f, "bar", 1)
	// A change: the grill and the bar get change tickets.
	o2 := *o
	o2.LineItems = append([]model.LineItem(nil), o.LineItems...)
	o2.Source.Version = "2"
	o2.LineItems[1].Quantity = model.Q(2)
	o2.LineItems[2].Quantity = model.Q(3)
	o2.ComputeTotals()
	f.s.OnOrder(o2)
	contains(t, "grill change", preview(t, f, "grill", 2)[1], "CHANGE")

	// The last receipt on front.
	var receiptJob Job
	for _, j := range jobsOn(t, f, "front") {
		if j.Kind == KindReceipt {
			receiptJob = j
		}
	}
	if receiptJob.ID == "" {
		t.Fatal("no receipt was queued on front")
	}
	j, created, err := f.s.ReprintLast(t.Context(), "front", "", ReprintOptions{ID: "copy-1", Actor: "anna"})
	if err != nil || !created || j.ReprintOf != receiptJob.ID || j.Kind != KindReceipt {
		t.Fatalf("ReprintLast = %+v, %v, %v; want a copy of %s", j, created, err, receiptJob.ID)
	}
	if _, created, err := f.s.ReprintLast(t.Context(), "front", KindReceipt, ReprintOptions{ID: "copy-1", Actor: "anna"}); err != nil || created {
		t.Errorf("the same copy asked twice: created=%v err=%v", created, err)
	}
	f.waitJob("copy-1", Printed)
	pv, _ := f.s.Preview("copy-1")
	if first := strings.SplitN(strings.TrimSpace(pv), "\n", 2)[0]; !strings.Contains(first, "COPY") {
		t.Errorf("the copy does not start with a COPY banner:\n%s", pv)
	}
	lacks(t, "receipt copy", pv, "REPRINT")
	contains(t, "receipt copy", pv, "Cheeseburger", "Cheesecake")
	if d := f.data("copy-1"); strings.Contains(string(d), "\x1bp") {
		t.Error("a copy of a cash receipt kicked the drawer")
	}

	// The order's kitchen tickets: the grill's and the bar's own tickets
	// (with what they first said, not the change), and the default
	// printer's (the cake); nothing of another station.
	copies, err := f.s.ReprintOrder(t.Context(), o.ID, KindKitchen, ReprintOptions{ID: "kc", Actor: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	on := map[string]Job{}
	for _, c := range copies {
		on[c.Printer] = c
	}
	if len(copies) != 3 || on["grill"].ID == "" || on["bar"].ID == "" || on["front"].ID == "" {
		t.Fatalf("kitchen copies = %+v, want one on grill, bar and front", copies)
	}
	grillCopy, _ := f.s.Preview(on["grill"].ID)
	contains(t, "grill copy", grillCopy, "COPY", "GRILL", "2 x Cheeseburger", "1 x Fries")
	lacks(t, "grill copy", grillCopy, "CHANGE", "Cola", "Cheesecake", "REPRINT")
	barCopy, _ := f.s.Preview(on["bar"].ID)
	contains(t, "bar copy", barCopy, "COPY", "2 x Cola")
	lacks(t, "bar copy", barCopy, "Cheeseburger", "CHANGE")
	again, err := f.s.ReprintOrder(t.Context(), o.ID, KindKitchen, ReprintOptions{ID: "kc", Actor: "bob"})
	if err != nil || len(again) != 3 || len(jobsOn(t, f, "grill")) != 3 {
		t.Errorf("the same kitchen copies asked twice: %d copies, %d grill jobs, err %v", len(again), len(jobsOn(t, f, "grill")), err)
	}

	// The receipt again, on the bar printer.
	copies, err = f.s.ReprintOrder(t.Context(), o.ID, KindReceipt, ReprintOptions{Printer: "bar", Actor: "carl"})
	if err != nil || len(copies) != 1 || copies[0].Printer != "bar" || copies[0].ReprintOf != receiptJob.ID {
		t.Fatalf("receipt copy on bar = %+v, %v", copies, err)
	}
	for _, c := range []struct {
		what string
		err  error
		want error
	}{
		{"unknown order", second(f.s.ReprintOrder(t.Context(), "ord_nope", KindReceipt, ReprintOptions{})), ErrUnknownJob},
		{"unknown printer", second(f.s.ReprintOrder(t.Context(), o.ID, KindReceipt, ReprintOptions{Printer: "nope"})), ErrUnknownPrinter},
		{"bad kind", second(f.s.ReprintOrder(t.Context(), o.ID, KindTest, ReprintOptions{})), ErrInvalidRequest},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.what, c.err, c.want)
		}
	}

	// A job reprint names who asked too.
	if _, _, err := f.s.ReprintWith(t.Context(), receiptJob.ID, ReprintOptions{ID: "re-1", Actor: "dana"}); err != nil {
		t.Fatal(err)
	}
	pv, _ = f.s.Preview("re-1")
	contains(t, "job reprint", pv, "REPRINT")

	recs, err := f.audit.Query(audit.Filter{Type: "reprint"})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for _, r := range recs {
		by[r.Actor]++
	}
	if len(recs) != 6 || by["anna"] != 1 || by["bob"] != 3 || by["carl"] != 1 || by["dana"] != 1 {
		t.Errorf("reprint audit records by actor = %v (%d records), want anna 1, bob 3, carl 1, dana 1", by, len(recs))
	}
}

func second[T any](_ T, err error) error { return err }
