// Package kitchen decides which kitchen station makes which line of an
// order, and what changed for a station since its last ticket.
//
// A station (grill, bar, cold) has a printer and claims lines by menu
// category, by item, or by a modifier that sends a dish elsewhere ("as a
// salad" goes to cold, whatever the item's category). Lines no station
// claims, and stations without a printer, go to the default printer, and
// the caller is told so it can say so in the audit log.
//
// When an order a station has already seen changes, Diff says what to tell
// the cook: lines added (ADD), lines removed or reduced (VOID), and lines
// whose modifiers or notes changed (VOID of the old, ADD of the new), never
// the whole order again. A canceled order voids everything the station was
// sent.
//
// The package owns its config section (Config, Validate) and holds no
// state: the print queue (internal/spool) keeps what each station was sent.
package kitchen

import (
	"fmt"
	"strings"

	"github.com/auraconnect/aura-edge/internal/model"
)

// Config is the `kitchen:` section of the config file.
type Config struct {
	// DefaultPrinter takes the lines no station claims and the tickets of
	// stations without a printer. Empty: such lines are not printed (and
	// the caller is told).
	DefaultPrinter string `yaml:"default_printer"`
	// Stations route lines to printers; the first station that claims a
	// line gets it (modifier rules before item and category rules).
	Stations []Station `yaml:"stations"`
}

// Station is one kitchen station.
type Station struct {
	Name string `yaml:"name"`
	// Printer prints the station's tickets. While it is offline its own
	// backup rule applies (printers[].backup after failover_after).
	Printer string `yaml:"printer"`
	// Categories, Items and Modifiers claim lines: menu category ids or
	// names, item ids or names, modifier names (all compared without case).
	Categories []string `yaml:"categories"`
	Items      []string `yaml:"items"`
	Modifiers  []string `yaml:"modifiers"`
}

// Enabled reports whether station routing is configured.
func (c Config) Enabled() bool { return len(c.Stations) > 0 }

// Problem is one config mistake, with its path below `kitchen`.
type Problem struct {
	Path    string
	Message string
}

// Validate checks the section against the configured printer names and
// returns every mistake, with paths relative to the section
// ("stations[1].printer").
func (c Config) Validate(printers map[string]bool) []Problem {
	var ps []Problem
	bad := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	known := func(path, name string) {
		if name != "" && !printers[name] {
			bad(path, "names no configured printer (got %q)", name)
		}
	}
	known("default_printer", c.DefaultPrinter)
	seen := map[string]int{}
	for i, s := range c.Stations {
		base := fmt.Sprintf("stations[%d]", i)
		switch key := strings.ToLower(s.Name); {
		case strings.TrimSpace(s.Name) == "":
			bad(base+".name", "is required (e.g. grill, bar)")
		case !validName(s.Name):
			bad(base+".name", "must be letters, digits, '-' or '_' (got %q)", s.Name)
		default:
			if j, dup := seen[key]; dup {
				bad(base+".name", "duplicate station %q (also stations[%d])", s.Name, j)
			}
			seen[key] = i
		}
		known(base+".printer", s.Printer)
		if len(s.Categories)+len(s.Items)+len(s.Modifiers) == 0 {
			bad(base, "claims no lines: list categories, items or modifiers")
		}
	}
	return ps
}

func validName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return s != ""
}

// CategoryFunc returns the category id and name of a menu item, or empty
// strings when the menu does not know it.
type CategoryFunc func(itemID string) (id, name string)

// Router assigns order lines to stations.
type Router struct {
	cfg        Config
	categoryOf CategoryFunc
}

// NewRouter returns a router for cfg. categoryOf may be nil (category rules
// then match nothing).
func NewRouter(cfg Config, categoryOf CategoryFunc) *Router {
	return &Router{cfg: cfg, categoryOf: categoryOf}
}

// Ticket is what one station gets for one order.
type Ticket struct {
	Station string // "" for the default printer's unclaimed lines
	Printer string
	// Fallback says why the ticket goes to the default printer ("" when
	// it goes to the station's own printer).
	Fallback string
	Lines    []model.LineItem
}

// Route splits o's lines into tickets, in station order, the default
// printer's last. A station without lines gets no ticket. Lines nobody
// takes (no station claims them and there is no default printer) come back
// in lost.
func (r *Router) Route(o *model.Order) (tickets []Ticket, lost []model.LineItem) {
	byStation := make([][]model.LineItem, len(r.cfg.Stations))
	var unclaimed []model.LineItem
	for _, li := range o.LineItems {
		if i := r.station(&li); i >= 0 {
			byStation[i] = append(byStation[i], li)
		} else {
			unclaimed = append(unclaimed, li)
		}
	}
	for i, s := range r.cfg.Stations {
		lines := byStation[i]
		if len(lines) == 0 {
			continue
		}
		t := Ticket{Station: s.Name, Printer: s.Printer, Lines: lines}
		if s.Printer == "" {
			if r.cfg.DefaultPrinter == "" {
				lost = append(lost, lines...)
				continue
			}
			t.Printer = r.cfg.DefaultPrinter
			t.Fallback = fmt.Sprintf("station %s has no printer", s.Name)
		}
		tickets = append(tickets, t)
	}
	if len(unclaimed) > 0 {
		if r.cfg.DefaultPrinter == "" {
			lost = append(lost, unclaimed...)
		} else {
			tickets = append(tickets, Ticket{Printer: r.cfg.DefaultPrinter, Lines: unclaimed,
				Fallback: "no station claims " + lineNames(unclaimed)})
		}
	}
	return tickets, lost
}

// Printer returns the printer that takes the named station's tickets (""
// for the default printer's): its own printer, else the default printer.
func (r *Router) Printer(station string) string {
	for _, s := range r.cfg.Stations {
		if s.Name == station && s.Printer != "" {
			return s.Printer
		}
	}
	return r.cfg.DefaultPrinter
}

// StationLines returns the lines of o that go to the named station ("" for
// the default printer's unclaimed lines and the lines of stations that
// print there), as Route assigns them.
func (r *Router) StationLines(o *model.Order, station string) []model.LineItem {
	tickets, _ := r.Route(o)
	for _, t := range tickets {
		if t.Station == station {
			return t.Lines
		}
	}
	return nil
}

// station returns the index of the station that claims li, or -1.
func (r *Router) station(li *model.LineItem) int {
	for i, s := range r.cfg.Stations {
		for _, m := range li.Modifiers {
			if hasFold(s.Modifiers, m.Name) {
				return i
			}
		}
	}
	var catID, catName string
	if r.categoryOf != nil && li.ItemID != "" {
		catID, catName = r.categoryOf(li.ItemID)
	}
	for i, s := range r.cfg.Stations {
		if hasFold(s.Items, li.ItemID) || hasFold(s.Items, li.Name) ||
			hasFold(s.Categories, catID) || hasFold(s.Categories, catName) {
			return i
		}
	}
	return -1
}

func hasFold(list []string, s string) bool {
	if s == "" {
		return false
	}
	for _, v := range list {
		if strings.EqualFold(strings.TrimSpace(v), s) {
			return true
		}
	}
	return false
}

func lineNames(lines []model.LineItem) string {
	names := make([]string, 0, len(lines))
	for _, li := range lines {
		names = append(names, li.Name)
	}
	if len(names) > 3 {
		names = append(names[:3], fmt.Sprintf("and %d more", len(names)-3))
	}
	return strings.Join(names, ", ")
}
