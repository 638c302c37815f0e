package kitchen

import (
	"reflect"
	"testing"

	"github.com/auraconnect/aura-edge/internal/model"
)

func line(id, name string, q int64, mods ...string) model.LineItem {
	li := model.LineItem{ID: id, Name: name, Quantity: model.Quantity(q * 1000)}
	for _, m := range mods {
		li.Modifiers = append(li.Modifiers, model.LineModifier{Name: m, Quantity: model.Q(1)})
	}
	return li
}

func TestDiff(t *testing.T) {
	burger := line("l1", "Burger", 2, "No onion")
	fries := line("l2", "Fries", 1)
	cases := []struct {
		name string
		sent []model.LineItem
		now  []model.LineItem
		want []string // action qty name
	}{
		{"unchanged", []model.LineItem{burger, fries}, []model.LineItem{burger, fries}, nil},
		{"added line", []model.LineItem{burger}, []model.LineItem{burger, fries}, []string{"ADD 1 Fries"}},
		{"removed line", []model.LineItem{burger, fries}, []model.LineItem{burger}, []string{"VOID 1 Fries"}},
		{"more", []model.LineItem{fries}, []model.LineItem{line("l2", "Fries", 3)}, []string{"ADD 2 Fries"}},
		{"fewer", []model.LineItem{burger}, []model.LineItem{line("l1", "Burger", 1, "No onion")}, []string{"VOID 1 Burger"}},
		{"modifier changed", []model.LineItem{burger}, []model.LineItem{line("l1", "Burger", 2, "Extra cheese")},
			[]string{"VOID 2 Burger", "ADD 2 Burger"}},
		{"all gone", []model.LineItem{burger, fries}, nil, []string{"VOID 2 Burger", "VOID 1 Fries"}},
		{"no ids, one removed", []model.LineItem{line("", "Soup", 1), line("", "Soup", 1), line("", "Tea", 1)},
			[]model.LineItem{line("", "Soup", 1), line("", "Tea", 1)}, []string{"VOID 1 Soup"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, ch := range Diff(Lines(c.sent), Lines(c.now)) {
				got = append(got, string(ch.Action)+" "+ch.Line.Quantity.String()[:1]+" "+ch.Line.Name)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	if Digest(Lines([]model.LineItem{burger, fries})) != Digest(Lines([]model.LineItem{fries, burger})) {
		t.Error("digest depends on line order")
	}
}

func TestRoute(t *testing.T) {
	cfg := Config{DefaultPrinter: "expo", Stations: []Station{
		{Name: "grill", Printer: "grill", Categories: []string{"Burgers"}},
		{Name: "cold", Modifiers: []string{"as a salad"}},
		{Name: "bar", Printer: "bar", Items: []string{"itm_cola", "Lemonade"}},
	}}
	cat := func(id string) (string, string) {
		if id == "itm_burger" {
			return "cat_1", "Burgers"
		}
		return "", ""
	}
	o := &model.Order{LineItems: []model.LineItem{
		{ID: "a", ItemID: "itm_burger", Name: "Burger"},
		{ID: "b", ItemID: "itm_burger", Name: "Burger", Modifiers: []model.LineModifier{{Name: "As a Salad"}}},
		{ID: "c", ItemID: "itm_cola", Name: "Cola"},
		{ID: "d", Name: "lemonade"},
		{ID: "e", Name: "Pie"},
	}}
	tickets, lost := NewRouter(cfg, cat).Route(o)
	var got []string
	for _, tk := range tickets {
		s := tk.Station + "@" + tk.Printer + ":"
		for _, li := range tk.Lines {
			s += li.ID
		}
		if tk.Fallback != "" {
			s += " (" + tk.Fallback + ")"
		}
		got = append(got, s)
	}
	want := []string{"grill@grill:a", "cold@expo:b (station cold has no printer)", "bar@bar:cd", "@expo:e (no station claims Pie)"}
	if !reflect.DeepEqual(got, want) || len(lost) != 0 {
		t.Errorf("got %q lost %v, want %q", got, lost, want)
	}
	cfg.DefaultPrinter = ""
	tickets, lost = NewRouter(cfg, cat).Route(o)
	if len(tickets) != 2 || len(lost) != 2 {
		t.Errorf("without a default printer: %d tickets, %d lost; want 2 and 2 (cold's line and the pie)", len(tickets), len(lost))
	}
}
