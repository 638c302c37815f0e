package spool

import (
	"context"
	"fmt"
	"time"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/store"
)

// A direct job is an auto-print job handed to its device's idle worker
// in memory, so its bytes leave at once instead of after two fsync'd
// commits (the job's insert, then its "printing" mark). Its durable
// record until then is the order's auto-print marker, written by the
// capture commit (ingest.DurableOnOrder): the job's own record (already
// in the printing state) is committed by the submitter while the worker
// sends, and the worker waits for that commit before it writes any
// outcome. A crash before the record committed leaves the marker, and
// the replay (OnOrderReplayed) marks the job unconfirmed; a crash after
// it leaves a printing job, which the restart marks unconfirmed. Either
// way the order prints once or is marked unconfirmed, never lost.
type directJob struct {
	p    *printer
	j    Job
	data []byte
	// recorded carries the result of the job record's commit.
	recorded chan error
	err      error
	waited   bool
}

// wait returns the result of the job record's commit (once received, kept).
func (dj *directJob) wait() error {
	if !dj.waited {
		dj.err, dj.waited = <-dj.recorded, true
	}
	return dj.err
}

// offerDirect hands dj to p's device worker if it is idle (waiting for
// work with nothing queued); it never blocks.
func (s *Spool) offerDirect(dj *directJob) bool {
	if s.opts.NoDirect {
		return false
	}
	select {
	case dj.p.device.direct <- dj:
		return true
	default:
		return false
	}
}

// runDirect prints a direct job on the worker that took it, while the
// submitter commits its record.
func (s *Spool) runDirect(ctx context.Context, dj *directJob) outcome {
	return s.attemptWith(ctx, dj.p, dj.j, dj)
}

// recorded waits for a direct job's record before an outcome is written
// (true for a queued job). Without a record nothing can be written: the
// job's bytes may have left, and the order's marker was cleared, so it is
// logged as unconfirmed.
func (s *Spool) recorded(dj *directJob) bool {
	if dj == nil {
		return true
	}
	if err := dj.wait(); err != nil {
		s.log.Error("print job unconfirmed: its record could not be written; it may or may not have printed; reprint it if it did not",
			"job_id", dj.j.ID, "printer", dj.p.name, "order_id", dj.j.OrderID, "err", err)
		return false
	}
	return true
}

// OnOrderReplayed is OnOrder for an order whose auto-print marker
// outlived a crash (ingest.Ingest.OnReplay): an auto-print job that has no
// record may have been sent directly before the crash, so it is recorded
// unconfirmed (reprint it if it did not print) rather than printed again.
// Kitchen tickets of the stations, which never print directly, are routed
// as OnOrder does.
func (s *Spool) OnOrderReplayed(o model.Order) {
	s.onOrder(o, true)
}

// recordUnconfirmed stores j as unconfirmed without queueing it.
func (s *Spool) recordUnconfirmed(j Job, data []byte, pv string, src *source) (bool, error) {
	created := true
	now := time.Now().UTC()
	j.State, j.UpdatedAt = Unconfirmed, now
	j.LastError = "aura-edge stopped after this order was captured, while its auto-print may have been sent: it may or may not have printed; reprint it if it did not"
	err := s.db.Update(func(tx *store.Tx) error {
		if _, ok, err := getJob(tx, j.ID); err != nil || ok {
			created = false
			return err
		}
		if err := insert(tx, &j, data, pv, src); err != nil {
			return err
		}
		return dequeue(tx, &j)
	})
	if err != nil {
		return false, fmt.Errorf("record print job %s: %w", j.ID, err)
	}
	if created {
		s.log.Error("print job recovered after restart", "job_id", j.ID, "printer", j.Printer,
			"state", Unconfirmed, "order_id", j.OrderID, "reason", j.LastError)
		if s.opts.OnJob != nil {
			s.opts.OnJob(j)
		}
		s.record(context.Background(), j, audit.Failed, j.LastError, now)
	}
	return created, nil
}
