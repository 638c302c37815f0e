package receipt

import (
	"strings"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/internal/kitchen"
	"github.com/auraconnect/aura-edge/internal/model"
)

// StationTicket is a kitchen ticket for one station: the lines it makes,
// or, for an order it has seen before, only what changed.
type StationTicket struct {
	// Order gives the header: number, table or pickup name, channel, time
	// and the order's note. Its lines are not printed (Lines are).
	Order *model.Order
	// Station is printed large at the top ("GRILL"); empty for the default
	// printer's ticket.
	Station string
	// Lines is the station's ticket, in order.
	Lines []kitchen.Line
	// Changes, when not empty, makes a change ticket: each line marked ADD
	// or VOID, under a CHANGE banner; Lines is then ignored.
	Changes []kitchen.Change
	// Voided marks a change ticket that voids the whole order.
	Voided bool
}

// Station writes a station ticket: large type for what the cook acts on,
// modifiers and notes under their line, a course heading where the course
// changes ("FIRE" for lines to start now), no prices.
func (l *Layout) Station(e *escpos.Encoder, t StationTicket, opt Options) error {
	if t.Order == nil {
		return ErrNoOrder
	}
	o := t.Order
	w := l.writer(e, o.Currency)
	e.Init()
	if b := opt.banner(); b != "" {
		w.banner(b)
	}
	switch {
	case t.Voided:
		w.banner("ORDER VOID")
	case len(t.Changes) > 0:
		w.banner("CHANGE")
	}
	big := escpos.Style{Bold: true, Height: 2}
	if e.Columns() >= 40 {
		big.Width = 2
	}
	e.SetAlign(escpos.AlignCenter)
	e.SetStyle(escpos.Style{Bold: true, Width: 2, Height: 2})
	if t.Station != "" {
		e.Line(w.fit(strings.ToUpper(t.Station)))
	}
	e.Line(w.fit(orderLabel(o)))
	e.SetStyle(escpos.Style{Bold: true})
	if where := destination(o); where != "" {
		e.Line(w.fit(where))
	}
	e.SetStyle(escpos.Style{})
	e.Line(w.fit(l.loc.Time(orderTime(o).In(l.tz))))
	e.SetAlign(escpos.AlignLeft)
	if o.Note != "" {
		e.SetStyle(escpos.Style{Bold: true, Inverse: true, Height: 2})
		w.row("NOTE: "+o.Note, "", 0)
		e.SetStyle(escpos.Style{})
	}
	w.rule()
	line := func(prefix string, li kitchen.Line) {
		e.SetStyle(big)
		name := li.Name
		if li.Variation != "" && !strings.EqualFold(li.Variation, li.Name) {
			name += " (" + li.Variation + ")"
		}
		w.row(prefix+qty(li.Quantity)+" x "+name, "", 0)
		e.SetStyle(escpos.Style{Bold: true, Height: 2})
		for _, m := range li.Modifiers {
			w.row("+ "+m, "", 4)
		}
		if li.Note != "" {
			e.SetStyle(escpos.Style{Bold: true, Inverse: true, Height: 2})
			w.row("! "+li.Note, "", 4)
		}
		e.SetStyle(escpos.Style{})
	}
	var items model.Quantity
	if len(t.Changes) > 0 {
		for _, c := range t.Changes {
			style := escpos.Style{Bold: true, Height: 2, Inverse: c.Action == kitchen.Void}
			e.SetStyle(style)
			w.row(string(c.Action), "", 0)
			e.SetStyle(escpos.Style{})
			if c.Line.Course != "" {
				w.row(courseLabel(c.Line.Course), "", 0)
			}
			line("", c.Line)
		}
	} else {
		course := ""
		for _, li := range t.Lines {
			if li.Course != course {
				course = li.Course
				if course != "" {
					e.SetStyle(escpos.Style{Bold: true, Inverse: true})
					w.row(courseLabel(course), "", 0)
					e.SetStyle(escpos.Style{})
				}
			}
			items += li.Quantity
			line("", li)
		}
	}
	w.rule()
	if len(t.Changes) == 0 {
		w.row(items.String()+" item(s)", "", 0)
	}
	e.Cut(escpos.CutPartial, 0)
	return e.Err()
}

// destination says where the food goes: table, pickup name, channel.
func destination(o *model.Order) string {
	var parts []string
	if o.Table != "" {
		parts = append(parts, "Table "+o.Table)
	}
	if o.PickupName != "" {
		parts = append(parts, "For "+o.PickupName)
	}
	if o.Channel != "" {
		parts = append(parts, strings.ToUpper(o.Channel))
	}
	return strings.Join(parts, " - ")
}

func courseLabel(c string) string {
	if strings.EqualFold(c, "fire") {
		return "** FIRE **"
	}
	return "-- COURSE " + strings.ToUpper(c) + " --"
}
