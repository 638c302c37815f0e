package spool

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/internal/audit"
)

// KindDrawer is a cash drawer opening without a sale (OpenDrawer). It is
// not a kind callers can submit: it has its own request, with a reason.
const KindDrawer Kind = "drawer"

// DefaultDrawerAlertAfter is how long a drawer may stay open before the
// spool raises an alert (Options.DrawerAlertAfter).
const DefaultDrawerAlertAfter = 2 * time.Minute

// Drawer states in PrinterStatus.DrawerState.
const (
	DrawerOpen   = "open"
	DrawerClosed = "closed"
)

// OpenDrawer queues a drawer kick on printer's configured pin, with no
// sale: for change, a count, a correction. reason (1 to 200 characters,
// e.g. "no sale", "change") and actor (who asked: a token name, "cloud")
// go to the audit log. id makes it idempotent like Request.ID (a command
// id). It fails with ErrInvalidRequest when the printer has no drawer
// configured or the reason is missing.
func (s *Spool) OpenDrawer(ctx context.Context, id, printer, reason, actor string) (Job, bool, error) {
	p, err := s.printer(printer)
	if err != nil {
		return Job{}, false, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Job{}, false, fmt.Errorf("say why the drawer is opened (reason, e.g. \"no sale\" or \"change\"): %w", ErrInvalidRequest)
	case utf8.RuneCountInString(reason) > 200:
		return Job{}, false, fmt.Errorf("reason is longer than 200 characters: %w", ErrInvalidRequest)
	case p.drawer == 0:
		return Job{}, false, fmt.Errorf("printer %s has no cash drawer configured (set printers[].drawer to pin2 or pin5): %w", p.name, ErrInvalidRequest)
	}
	var kick bytes.Buffer
	e := escpos.New(&kick, p.profile)
	if err := e.KickDrawer(p.drawer, 0, 0); err != nil {
		return Job{}, false, fmt.Errorf("drawer kick for %s: %w", p.name, err)
	}
	if err := e.Flush(); err != nil {
		return Job{}, false, err
	}
	j, created, err := s.submit(ctx, Request{ID: id, Printer: p.name, Kind: KindDrawer, Raw: kick.Bytes()}, false, "")
	if err != nil || !created || s.opts.Audit == nil {
		return j, created, err
	}
	details, _ := json.Marshal(map[string]string{"printer": p.name, "job_id": j.ID, "reason": reason})
	rec := audit.Record{Type: "drawer", Status: audit.Success, Actor: actor, Details: details,
		Message: fmt.Sprintf("cash drawer on %s opened by %s: %s", p.name, actor, reason)}
	if _, err := s.opts.Audit.Record(ctx, rec); err != nil {
		s.log.Warn("audit drawer opening", "printer", p.name, "err", err)
	}
	return j, created, nil
}

// drawerState is what the status polls say of a device's drawer.
type drawerState struct {
	known   bool
	open    bool
	since   time.Time // when it was last seen to change
	alerted bool      // an "open too long" alert was raised for this opening
}

// noteDrawer records the drawer sensor from a status answer (DLE EOT 1,
// pin 3; open when low, Epson's default) on devices whose printers have a
// drawer, and raises an alert in the audit log (which reaches the cloud)
// when it stays open longer than Options.DrawerAlertAfter, and a note when
// it closes after that.
func (s *Spool) noteDrawer(d *device, st escpos.Status) {
	if !st.Has(escpos.StatusPrinter) || !d.hasDrawer() {
		return
	}
	open := st.DrawerOpen(escpos.DrawerOpenLow)
	now := time.Now().UTC()
	d.mu.Lock()
	ds := &d.drawer
	if !ds.known || ds.open != open {
		wasAlerted := ds.alerted && !open
		*ds = drawerState{known: true, open: open, since: now}
		d.mu.Unlock()
		if wasAlerted {
			s.drawerAudit(d, audit.Success, fmt.Sprintf("cash drawer on %s closed again", d.names()))
		}
		return
	}
	alert := open && !ds.alerted && now.Sub(ds.since) >= s.opts.DrawerAlertAfter
	if alert {
		ds.alerted = true
	}
	since := ds.since
	d.mu.Unlock()
	if alert {
		msg := fmt.Sprintf("cash drawer on %s has been open for %s (since %s UTC); close it or check the drawer",
			d.names(), now.Sub(since).Round(time.Second), since.Format("15:04:05"))
		s.log.Warn("cash drawer left open", "printer", d.names(), "since", since)
		s.drawerAudit(d, audit.Failed, msg)
	}
}

func (s *Spool) drawerAudit(d *device, st audit.Status, msg string) {
	if s.opts.Audit == nil {
		return
	}
	details, _ := json.Marshal(map[string]string{"printer": d.names()})
	r := audit.Record{Type: "drawer", Status: st, Actor: "spool", Message: msg, Details: details}
	s.audits.Go(func() {
		if _, err := s.opts.Audit.Record(context.Background(), r); err != nil {
			s.log.Warn("audit drawer state", "printer", d.names(), "err", err)
		}
	})
}

func (d *device) hasDrawer() bool {
	for _, p := range d.printers {
		if p.drawer != 0 {
			return true
		}
	}
	return false
}

// drawerStatus returns the drawer state words for PrinterStatus.
func (d *device) drawerStatus() (state string, since time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.drawer.known {
		return "", time.Time{}
	}
	if d.drawer.open {
		return DrawerOpen, d.drawer.since
	}
	return DrawerClosed, d.drawer.since
}
