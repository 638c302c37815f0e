package spool

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

func autoFront(pr *printertest.Printer) []Printer {
	return []Printer{{Name: "front", Connection: pr.URL(), Profile: "TM-T88V", AutoPrint: "customer"}}
}

// TestDirectAutoPrint: an auto-print job handed to the idle worker is
// recorded (printing, one attempt) before OnOrder returns, so the
// capture's marker is cleared only after the job's own record exists, and
// it prints once.
func TestDirectAutoPrint(t *testing.T) {
	pr := printertest.Start(t)
	f := newFixture(t, autoFront(pr), testOptions())
	var direct int
	f.run()
	o := testOrder("ord_direct")
	id := autoID(KindReceipt, "front", o)
	// The worker takes direct jobs once it waits for work; until then a
	// job is queued. Both print once.
	for i := 0; i < 50; i++ {
		oi := testOrder("ord_direct_" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
		f.s.OnOrder(*oi)
		j, err := f.s.Job(autoID(KindReceipt, "front", oi))
		if err != nil {
			t.Fatalf("job not recorded when OnOrder returned: %v", err)
		}
		if j.State == Printing || (j.State == Printed && j.Attempts == 1) {
			direct++
		}
		f.waitJob(j.ID, Printed)
	}
	if direct == 0 {
		t.Fatal("no job was printed directly")
	}
	f.s.OnOrder(*o)
	j := f.waitJob(id, Printed)
	if j.Attempts != 1 {
		t.Errorf("attempts %d", j.Attempts)
	}
	jobs, err := pr.WaitJobs(51, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jobs[50], onWire(f.data(id))) {
		t.Error("printed bytes are not the job's")
	}
	f.s.OnOrder(*o) // the same revision again: nothing
	if st, _ := f.s.Printer("front"); st.QueueDepth != 0 {
		t.Errorf("queue depth %d", st.QueueDepth)
	}
	if n := len(pr.Jobs()); n != 51 {
		t.Errorf("%d jobs at the printer, want 51", n)
	}
}

// TestDirectAutoPrintPrinterDown: a direct job that cannot be sent goes
// back to the queue and prints when the printer is back.
func TestDirectAutoPrintPrinterDown(t *testing.T) {
	pr := printertest.Start(t)
	opts := testOptions()
	f := newFixture(t, autoFront(pr), opts)
	f.run()
	first := testOrder("ord_up")
	f.s.OnOrder(*first)
	f.waitJob(autoID(KindReceipt, "front", first), Printed) // the worker waits for work again
	pr.SetMode(printertest.Offline)
	o := testOrder("ord_down")
	f.s.OnOrder(*o)
	id := autoID(KindReceipt, "front", o)
	waitFor(t, "a failed attempt", func() bool {
		j, err := f.s.Job(id)
		return err == nil && j.State == Queued && j.LastError != ""
	})
	pr.SetMode(printertest.Online)
	f.waitJob(id, Printed)
	if _, err := pr.WaitJobs(2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestReplayedAutoPrintIsUnconfirmed: an order whose marker outlived a
// crash and whose job has no record may have been printed directly: its
// job is recorded unconfirmed, not sent; a job with a record is left as
// it is.
func TestReplayedAutoPrintIsUnconfirmed(t *testing.T) {
	pr := printertest.Start(t)
	f := newFixture(t, autoFront(pr), testOptions())
	f.run()
	done := testOrder("ord_done")
	f.s.OnOrder(*done)
	f.waitJob(autoID(KindReceipt, "front", done), Printed)

	lost := testOrder("ord_maybe")
	f.s.OnOrderReplayed(*lost)
	f.s.OnOrderReplayed(*done)
	j, err := f.s.Job(autoID(KindReceipt, "front", lost))
	if err != nil || j.State != Unconfirmed || j.LastError == "" {
		t.Fatalf("replayed job: %+v, %v", j, err)
	}
	if j, _ := f.s.Job(autoID(KindReceipt, "front", done)); j.State != Printed {
		t.Fatalf("printed job after the replay: %+v", j)
	}
	// A job submitted after it prints; the unconfirmed one never does.
	f.submit(Request{ID: "after", Printer: "front", Kind: KindReceipt, Order: testOrder("ord_after")})
	f.waitJob("after", Printed)
	if jobs, err := pr.WaitJobs(2, 5*time.Second); err != nil || len(jobs) != 2 {
		t.Fatalf("%d jobs at the printer, want 2: %v", len(jobs), err)
	}
	if st, _ := f.s.Printer("front"); st.QueueDepth != 0 {
		t.Errorf("queue depth %d", st.QueueDepth)
	}
}

// TestCrashBetweenCaptureAndPrint: the capture commit holds the order and
// its auto-print marker; the process dies before the hook recorded a job
// (it may have been sending). At the next start the replay records the
// job unconfirmed: the order is never lost and never printed twice.
func TestCrashBetweenCaptureAndPrint(t *testing.T) {
	pr := printertest.Start(t)
	f := newFixture(t, autoFront(pr), testOptions())
	ob, err := outbox.Open(f.db, outbox.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	in := ingest.New(f.db, ob, slog.New(slog.DiscardHandler))
	release := make(chan struct{})
	in.OnOrder = func(model.Order) { <-release } // dies before the hook did anything
	in.DurableOnOrder = true
	o := testOrder("crash-1")
	o.ID = ""
	res, err := in.Capture(context.Background(), []model.Order{*o}, nil)
	if err != nil {
		t.Fatal(err)
	}

	// The restart, over the same store (the hook above never finishes).
	f.run()
	again := ingest.New(f.db, ob, slog.New(slog.DiscardHandler))
	again.OnOrder, again.OnReplay, again.DurableOnOrder = f.s.OnOrder, f.s.OnOrderReplayed, true
	if n, err := again.ReplayPending(); err != nil || n != 1 {
		t.Fatalf("replayed %d, %v", n, err)
	}
	jobs, _ := f.s.Jobs(Filter{OrderID: res[0].ID})
	if len(jobs) != 1 || jobs[0].State != Unconfirmed {
		t.Fatalf("jobs after the replay: %+v", jobs)
	}
	if n, _ := again.ReplayPending(); n != 0 {
		t.Fatalf("replayed again: %d", n)
	}
	// A capture after the restart prints (directly or queued), once.
	o2 := testOrder("after-restart")
	o2.ID = ""
	res2, err := again.Capture(context.Background(), []model.Order{*o2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	again.Wait()
	waitFor(t, "the next order printed", func() bool {
		jobs, _ := f.s.Jobs(Filter{OrderID: res2[0].ID, State: Printed})
		return len(jobs) == 1
	})
	if jobs, err := pr.WaitJobs(1, 5*time.Second); err != nil || len(jobs) != 1 {
		t.Fatalf("%d jobs at the printer, want 1: %v", len(jobs), err)
	}
	close(release)
	in.Wait()
}
