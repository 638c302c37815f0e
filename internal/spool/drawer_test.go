package spool

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/audit"
)

// TestOpenDrawer: a drawer opening without a sale kicks the configured pin
// once (a redelivered request is not a second kick), is audited with who
// and why, and cannot be reprinted; a printer without a drawer and a
// missing reason are refused.
func TestOpenDrawer(t *testing.T) {
	pr := printertest.Start(t)
	f := newFixture(t, []Printer{
		{Name: "front", Connection: pr.URL(), Profile: "TM-T88V", Drawer: "pin5"},
		{Name: "kitchen", Connection: "tcp://127.0.0.1:9", Profile: "TM-T88V"},
	}, testOptions())
	f.run()
	j, created, err := f.s.OpenDrawer(t.Context(), "cmd-drawer-1", "front", "no sale", "staff-anna")
	if err != nil || !created || j.Kind != KindDrawer {
		t.Fatalf("OpenDrawer = %+v, %v, %v", j, created, err)
	}
	if _, created, err := f.s.OpenDrawer(t.Context(), "cmd-drawer-1", "front", "no sale", "staff-anna"); err != nil || created {
		t.Fatalf("redelivered: created=%v err=%v", created, err)
	}
	f.waitJob(j.ID, Printed)
	jobs, err := pr.WaitJobs(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	kick := []byte{0x1b, 'p', 1, 60, 120} // ESC p, pin 5, 120 ms on, 240 ms off
	if !bytes.Contains(jobs[0], kick) || bytes.Count(bytes.Join(pr.Jobs(), nil), []byte{0x1b, 'p'}) != 1 {
		t.Errorf("printer got %x, want one ESC p on pin 5 (%x)", jobs, kick)
	}
	recs, _ := f.audit.Query(audit.Filter{Type: "drawer"})
	if len(recs) != 1 || recs[0].Actor != "staff-anna" || !strings.Contains(recs[0].Message, "opened by staff-anna: no sale") {
		t.Errorf("audit = %+v, want one record naming staff-anna and the reason", recs)
	}
	if _, _, err := f.s.Reprint(t.Context(), j.ID, ""); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("reprint of a drawer opening: err = %v", err)
	}
	for _, c := range []struct{ printer, reason, want string }{
		{"kitchen", "change", "has no cash drawer configured"},
		{"front", "  ", "say why the drawer is opened"},
	} {
		if _, _, err := f.s.OpenDrawer(t.Context(), "", c.printer, c.reason, "x"); !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s/%q: err = %v, want %q", c.printer, c.reason, err, c.want)
		}
	}
}

// TestDrawerSensor: the drawer state from DLE EOT 1 shows in the printer's
// status; a drawer left open raises one alert, and closing it is noted.
func TestDrawerSensor(t *testing.T) {
	pr := printertest.Start(t)
	pr.SetDrawerPin3(true) // closed
	opts := testOptions()
	opts.StatusInterval = 20 * time.Millisecond
	opts.DrawerAlertAfter = 150 * time.Millisecond
	f := newFixture(t, []Printer{{Name: "front", Connection: pr.URL(), Profile: "TM-T88V", Drawer: "pin2"}}, opts)
	f.run()
	drawer := func() string { st, _ := f.s.Printer("front"); return st.DrawerState }
	waitFor(t, "drawer closed", func() bool { return drawer() == DrawerClosed })
	pr.SetDrawerPin3(false)
	waitFor(t, "drawer open", func() bool { return drawer() == DrawerOpen })
	alerts := func(sub string) int {
		recs, _ := f.audit.Query(audit.Filter{Type: "drawer"})
		n := 0
		for _, r := range recs {
			if strings.Contains(r.Message, sub) {
				n++
			}
		}
		return n
	}
	waitFor(t, "open-too-long alert", func() bool { return alerts("has been open for") == 1 })
	pr.SetDrawerPin3(true)
	waitFor(t, "closed note", func() bool { return alerts("closed again") == 1 })
	if n := alerts("has been open for"); n != 1 {
		t.Errorf("%d alerts for one opening, want 1", n)
	}
	if st, _ := f.s.Printer("front"); st.DrawerState != DrawerClosed || st.DrawerSince.IsZero() {
		t.Errorf("status = %+v", st)
	}
}
