//go:build linux

package spool

import (
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/kitchen"
	"github.com/auraconnect/aura-edge/internal/model"
)

// kitchenOrder is a mixed order: burgers and fries for the grill, a cola for
// the bar, a burger "as a salad" for the cold station (which has no
// printer), and a cake no station claims.
func kitchenOrder(state model.OrderState) *model.Order {
	o := &model.Order{
		ID: "ord_k1", Source: model.Source{Vendor: "local", ExternalID: "k1", Version: "1"},
		State: state, Currency: "USD", Reference: "A17", Table: "12", Channel: "dine-in",
		CreatedAt: time.Date(2026, 8, 14, 19, 5, 0, 0, time.UTC),
		LineItems: []model.LineItem{
			{ID: "l1", ItemID: "itm_burger", Name: "Cheeseburger", Quantity: model.Q(2), UnitPrice: model.M(1200, "USD"), Course: "1",
				Modifiers: []model.LineModifier{{Name: "No onion", Quantity: model.Q(1)}}},
			{ID: "l2", Name: "Fries", Quantity: model.Q(1), UnitPrice: model.M(400, "USD"), Course: "1"},
			{ID: "l3", ItemID: "itm_cola", Name: "Cola", Quantity: model.Q(2), UnitPrice: model.M(300, "USD")},
			{ID: "l4", ItemID: "itm_burger", Name: "Cheeseburger", Quantity: model.Q(1), UnitPrice: model.M(1200, "USD"),
				Modifiers: []model.LineModifier{{Name: "As a salad", Quantity: model.Q(1)}}, Note: "dressing on the side"},
			{ID: "l5", Name: "Cheesecake", Quantity: model.Q(1), UnitPrice: model.M(650, "USD"), Course: "dessert"},
		},
	}
	o.ComputeTotals()
	return o
}

var menuCategories = map[string][2]string{
	"itm_burger": {"cat_burgers", "Burgers"},
	"itm_cola":   {"cat_drinks", "Drinks"},
	"itm_beer":   {"cat_drinks", "Drinks"},
}

func categoryOf(id string) (string, string) { c := menuCategories[id]; return c[0], c[1] }

// TestStationRouting: three TCP stand-ins (grill, bar, receipt) and a
// printer on a socat pty (expo, the default); a mixed order prints each
// station's lines only, a change prints only the difference, a redelivered
// change prints nothing more, and a cancel voids what each station got.
func TestStationRouting(t *testing.T) {
	grill, bar, front := printertest.Start(t), printertest.Start(t), printertest.Start(t)
	dev, peer := socatPair(t)
	expo := startSerialPrinter(t, peer)
	printers := []Printer{
		{Name: "grill", Connection: grill.URL(), Profile: "TM-T88V"},
		{Name: "bar", Connection: bar.URL(), Profile: "TM-T88V"},
		{Name: "front", Connection: front.URL(), Profile: "TM-T88V", AutoPrint: "customer"},
		{Name: "expo", Connection: "serial://" + dev + "?baud=115200", Profile: "TM-T20III", AutoPrint: "kitchen"},
	}
	opts := testOptions()
	opts.CategoryOf = categoryOf
	opts.Kitchen = kitchen.Config{
		DefaultPrinter: "expo",
		Stations: []kitchen.Station{
			{Name: "grill", Printer: "grill", Categories: []string{"burgers"}, Items: []string{"fries"}},
			{Name: "bar", Printer: "bar", Categories: []string{"cat_drinks"}},
			{Name: "cold", Modifiers: []string{"as a salad"}},
		},
	}
	f := newFixture(t, printers, opts)
	f.run()

	o := kitchenOrder(model.OrderCompleted)
	f.s.OnOrder(*o)
	grillTicket := preview(t, f, "grill", 1)[0]
	barTicket := preview(t, f, "bar", 1)[0]
	expoTickets := preview(t, f, "expo", 2)
	receipt := preview(t, f, "front", 1)[0]

	contains(t, "grill ticket", grillTicket, "GRILL", "Order #A17", "Table 12 - DINE-IN", "COURSE 1", "2 x Cheeseburger", "+ No onion", "1 x Fries")
	lacks(t, "grill ticket", grillTicket, "Cola", "As a salad", "Cheesecake", "$")
	contains(t, "bar ticket", barTicket, "BAR", "2 x Cola")
	lacks(t, "bar ticket", barTicket, "Cheeseburger", "Fries")
	expoAll := strings.Join(expoTickets, "\n=====\n")
	contains(t, "expo tickets", expoAll, "COLD", "1 x Cheeseburger", "+ As a salad", "! dressing on the side", "COURSE DESSERT", "1 x Cheesecake")
	lacks(t, "expo tickets", expoAll, "Cola", "Fries", "No onion")
	contains(t, "customer receipt", receipt, "Cheeseburger", "Cola", "Cheesecake")
	waitFor(t, "expo bytes", func() bool { return strings.Contains(string(expo.bytes()), "Cheesecake") })

	// The fallbacks are in the audit log.
	waitFor(t, "fallback audit", func() bool {
		recs, _ := f.audit.Query(audit.Filter{Type: "print"})
		n := 0
		for _, r := range recs {
			if strings.Contains(r.Message, "goes to the default printer expo") {
				n++
			}
		}
		return n == 2 // the cold station without a printer, and the cake
	})

	// A change: one more fries, the colas replaced by a beer, the
	// cheesecake's course fired.
	o2 := kitchenOrder(model.OrderCompleted)
	o2.Source.Version = "2"
	o2.LineItems[1].Quantity = model.Q(2)
	o2.LineItems[2] = model.LineItem{ID: "l6", ItemID: "itm_beer", Name: "Lager", Quantity: model.Q(1), UnitPrice: model.M(550, "USD")}
	o2.LineItems[4].Course = "fire"
	o2.ComputeTotals()
	f.s.OnOrder(*o2)
	grillChange := preview(t, f, "grill", 2)[1]
	contains(t, "grill change", grillChange, "CHANGE", "ADD", "1 x Fries")
	lacks(t, "grill change", grillChange, "Cheeseburger", "VOID", "2 x Fries")
	barChange := preview(t, f, "bar", 2)[1]
	contains(t, "bar change", barChange, "CHANGE", "VOID", "2 x Cola", "ADD", "1 x Lager")
	expoChange := preview(t, f, "expo", 3)[2]
	contains(t, "expo change", expoChange, "CHANGE", "VOID", "ADD", "** FIRE **", "1 x Cheesecake")

	// The same revision again (a redelivery) prints nothing more.
	f.s.OnOrder(*o2)
	f.s.OnOrder(*o2)
	for p, n := range map[string]int{"grill": 2, "bar": 2, "expo": 3} {
		if got := len(jobsOn(t, f, p)); got != n {
			t.Errorf("%s has %d jobs after a redelivered change, want %d", p, got, n)
		}
	}

	// Canceled: each station is told to void what it was sent.
	o3 := kitchenOrder(model.OrderCanceled)
	*o3 = *o2
	o3.State, o3.Source.Version = model.OrderCanceled, "3"
	f.s.OnOrder(*o3)
	grillVoid := preview(t, f, "grill", 3)[2]
	contains(t, "grill void", grillVoid, "ORDER VOID", "VOID", "2 x Cheeseburger", "2 x Fries")
	lacks(t, "grill void", grillVoid, "ADD")
	barVoid := preview(t, f, "bar", 3)[2]
	contains(t, "bar void", barVoid, "ORDER VOID", "1 x Lager")

	// Every job reached its printer.
	for name, pr := range map[string]*printertest.Printer{"grill": grill, "bar": bar} {
		if _, err := pr.WaitJobs(3, 10*time.Second); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestStationConfigProblems: stations naming printers that do not exist
// are refused with the field named.
func TestStationConfigProblems(t *testing.T) {
	opts := testOptions()
	opts.Kitchen = kitchen.Config{DefaultPrinter: "nope", Stations: []kitchen.Station{
		{Name: "grill", Printer: "grille", Items: []string{"Fries"}},
		{Name: "grill", Printer: "front"},
	}}
	_, err := New(openStore(t, t.TempDir()), "s", []Printer{{Name: "front", Connection: "tcp://127.0.0.1:9"}}, testReceipt, opts)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`kitchen.default_printer: invalid printer config: names no configured printer (got "nope")`,
		`kitchen.stations[0].printer: invalid printer config: names no configured printer (got "grille")`,
		`kitchen.stations[1].name: invalid printer config: duplicate station "grill" (also stations[0])`,
		`kitchen.stations[1]: invalid printer config: claims no lines`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// jobsOn returns the jobs on printer p, oldest first.
func jobsOn(t *testing.T, f *fixture, p string) []Job {
	t.Helper()
	jobs, err := f.s.Jobs(Filter{Printer: p})
	if err != nil {
		t.Fatal(err)
	}
	// Jobs lists newest first.
	for i, j := 0, len(jobs)-1; i < j; i, j = i+1, j-1 {
		jobs[i], jobs[j] = jobs[j], jobs[i]
	}
	return jobs
}

// preview waits for n jobs on printer p and returns each one's text as the
// project's ESC/POS preview decodes its bytes.
func preview(t *testing.T, f *fixture, p string, n int) []string {
	t.Helper()
	var jobs []Job
	waitFor(t, p+" jobs", func() bool { jobs = jobsOn(t, f, p); return len(jobs) >= n })
	prof, err := f.s.Profile(p)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = escpos.RenderPreview(f.data(j.ID), prof)
	}
	return out
}

func contains(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(nospace(text), nospace(w)) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func lacks(t *testing.T, what, text string, not ...string) {
	t.Helper()
	for _, w := range not {
		if strings.Contains(nospace(text), nospace(w)) {
			t.Errorf("%s has %q:\n%s", what, w, text)
		}
	}
}

// nospace drops spaces: the preview spreads double-width text out
// ("2   x   C o l a").
func nospace(s string) string { return strings.ReplaceAll(s, " ", "") }
