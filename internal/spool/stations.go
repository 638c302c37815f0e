package spool

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/kitchen"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/store"
)

// bSent holds what each station was last sent of each order:
// order id NUL station -> JSON []kitchen.Line. Change tickets are the
// difference between it and the order's new revision.
const bSent = "kitchen_sent"

// defaultStation keys the default printer's ticket of unclaimed lines.
const defaultStation = "-"

// stationSource is what a station ticket was laid out from.
type stationSource struct {
	Station string           `json:"station,omitempty"`
	Lines   []kitchen.Line   `json:"lines,omitempty"`
	Changes []kitchen.Change `json:"changes,omitempty"`
	Voided  bool             `json:"voided,omitempty"`
}

// routeKitchen queues the station tickets of a captured order: a ticket of
// its lines for each station that has not seen the order, and a change
// ticket (ADD / VOID) for each station whose lines changed since its last
// ticket, a void of everything sent when the order is canceled. Job ids
// derive from what the station was sent and what it is sent now, so a
// revision delivered twice, or replayed after a crash, prints once.
func (s *Spool) routeKitchen(o model.Order) {
	s.kitchenMu.Lock()
	defer s.kitchenMu.Unlock()
	tickets, lost := s.router.Route(&o)
	if o.State == model.OrderCanceled {
		tickets = nil
	}
	now := map[string]kitchen.Ticket{}
	for _, t := range tickets {
		now[stationKey(t.Station)] = t
	}
	sent, err := s.sentFor(o.ID)
	if err != nil {
		s.log.Warn("kitchen tickets not queued", "order_id", o.ID, "err", err)
		return
	}
	keys := make([]string, 0, len(now)+len(sent))
	for k := range now {
		keys = append(keys, k)
	}
	for k := range sent {
		if _, ok := now[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, key := range keys {
		t, has := now[key]
		var lines []kitchen.Line
		if has {
			lines = kitchen.Lines(t.Lines)
		} else {
			t = kitchen.Ticket{Station: stationName(key), Printer: s.router.Printer(stationName(key))}
		}
		before, had := sent[key]
		tk := stationSource{Station: t.Station}
		switch {
		case !had && len(lines) == 0:
			continue
		case !had:
			tk.Lines = lines
		default:
			tk.Changes = kitchen.Diff(before, lines)
			if len(tk.Changes) == 0 {
				continue
			}
			tk.Voided = o.State == model.OrderCanceled
		}
		if t.Printer == "" {
			lost = append(lost, t.Lines...)
			continue
		}
		id := shortID(sanitizeID("auto:station:" + key + ":" + o.ID + "@" + kitchen.Digest(before) + "-" + kitchen.Digest(lines)))
		j, created, err := s.submit(context.Background(), Request{ID: id, Printer: t.Printer, Kind: KindKitchen, Order: &o, ticket: &tk}, false, "")
		if err != nil {
			s.log.Warn("kitchen ticket not queued", "station", t.Station, "printer", t.Printer, "order_id", o.ID, "err", err)
			continue // not marked sent: the next revision tries again
		}
		if err := s.markSent(o.ID, key, lines); err != nil {
			s.log.Warn("kitchen ticket sent but not recorded", "order_id", o.ID, "station", t.Station, "err", err)
		}
		if created && t.Fallback != "" {
			s.auditKitchen(o.ID, j.ID, audit.Success, fmt.Sprintf("kitchen ticket for order %s goes to the default printer %s: %s", orderRef(&o), t.Printer, t.Fallback))
		}
	}
	if len(lost) > 0 {
		names := make([]string, len(lost))
		for i, li := range lost {
			names[i] = li.Name
		}
		msg := fmt.Sprintf("order %s: no station and no default printer for %s; set kitchen.default_printer or add the items to a station", orderRef(&o), strings.Join(names, ", "))
		s.log.Warn("kitchen lines not printed", "order_id", o.ID, "lines", names)
		s.auditKitchen(o.ID, "", audit.Failed, msg)
	}
}

func stationKey(station string) string {
	if station == "" {
		return defaultStation
	}
	return station
}

func stationName(key string) string {
	if key == defaultStation {
		return ""
	}
	return key
}

func orderRef(o *model.Order) string {
	if o.Reference != "" {
		return "#" + o.Reference
	}
	return o.ID
}

func sentKey(orderID, station string) []byte { return []byte(orderID + "\x00" + station) }

// sentFor returns what each station was last sent of the order.
func (s *Spool) sentFor(orderID string) (map[string][]kitchen.Line, error) {
	out := map[string][]kitchen.Line{}
	prefix := []byte(orderID + "\x00")
	err := s.db.View(func(tx *store.Tx) error {
		return tx.Bucket(store.PrintJobs, bSent).Scan(prefix, func(k, v []byte) (bool, error) {
			if !strings.HasPrefix(string(k), string(prefix)) {
				return false, nil
			}
			var lines []kitchen.Line
			if err := json.Unmarshal(v, &lines); err != nil {
				return false, fmt.Errorf("read kitchen tickets of %s: %w", orderID, err)
			}
			out[string(k[len(prefix):])] = lines
			return true, nil
		})
	})
	return out, err
}

func (s *Spool) markSent(orderID, station string, lines []kitchen.Line) error {
	raw, err := json.Marshal(lines)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *store.Tx) error {
		return tx.Bucket(store.PrintJobs, bSent).Put(sentKey(orderID, station), raw)
	})
}

func (s *Spool) auditKitchen(orderID, jobID string, status audit.Status, msg string) {
	if s.opts.Audit == nil {
		return
	}
	details, _ := json.Marshal(map[string]string{"order_id": orderID, "job_id": jobID})
	r := audit.Record{Type: "print", Status: status, Message: msg, Actor: "spool", Details: details}
	s.audits.Go(func() {
		if _, err := s.opts.Audit.Record(context.Background(), r); err != nil {
			s.log.Warn("audit kitchen routing", "order_id", orderID, "err", err)
		}
	})
}
