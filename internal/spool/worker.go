package spool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/store"
)

// outcome is what one attempt did to the job at the head of the queue.
type outcome int

const (
	done     outcome = iota // the job left the queue (printed, unconfirmed, failed)
	retry                   // the job stays queued; try again after a backoff
	canceled                // ctx ended before anything was sent
)

// work is one device's worker: it sends the queued jobs of the printers
// on the device in submission order until ctx is done.
func (s *Spool) work(ctx context.Context, d *device) {
	var (
		backoff time.Duration
		retryAt time.Time
	)
	for ctx.Err() == nil {
		p, j, ok, err := s.deviceHead(d)
		if err != nil {
			s.log.Error("read print queue", "connection", d.url, "err", err)
			sleep(ctx, d.wake, s.opts.MaxBackoff)
			continue
		}
		backOff := func() {
			backoff = min(max(backoff*2, s.opts.MinBackoff), s.opts.MaxBackoff)
			// Up to 20 % jitter so printers that went down together do
			// not retry in step.
			wait := backoff - time.Duration(rand.Int64N(int64(backoff)/5+1))
			retryAt = time.Now().Add(wait)
			d.setNextRetry(retryAt)
		}
		if !ok {
			backoff, retryAt = 0, time.Time{}
			d.setNextRetry(time.Time{})
			if s.idle(ctx, d) == retry { // a direct job went back to the queue
				backOff()
			}
			continue
		}
		moved := false
		for _, fp := range d.printers {
			if !s.failoverDue(fp) {
				continue
			}
			if n, err := s.failover(ctx, fp); err != nil {
				s.log.Error("move jobs to backup printer", "printer", fp.name, "backup", fp.backup, "err", err)
			} else if n > 0 {
				moved = true
			}
		}
		if moved {
			continue
		}
		if wait := time.Until(retryAt); wait > 0 {
			// A wake-up while backing off only re-checks the failover.
			sleep(ctx, d.wake, wait)
			continue
		}
		switch s.attempt(ctx, p, j) {
		case retry:
			backOff()
		case done:
			backoff, retryAt = 0, time.Time{}
			d.setNextRetry(time.Time{})
		case canceled:
			return
		}
	}
}

// deviceHead returns the oldest queued job of the printers on d.
func (s *Spool) deviceHead(d *device) (*printer, Job, bool, error) {
	var (
		best  *printer
		bestJ Job
	)
	for _, p := range d.printers {
		j, ok, err := s.head(p.name)
		if err != nil {
			return nil, Job{}, false, err
		}
		if ok && (best == nil || j.Seq < bestJ.Seq) {
			best, bestJ = p, j
		}
	}
	return best, bestJ, best != nil, nil
}

// idle waits for work, asking the device for its status every
// StatusInterval so that status pages stay live and a printer that came
// back takes jobs again (see failoverDue).
//
// An auto-print job handed over while it waits (direct.go) is printed at
// once; its outcome is returned (done otherwise).
func (s *Spool) idle(ctx context.Context, d *device) outcome {
	var timeout <-chan time.Time
	if s.opts.StatusInterval >= 0 && d.pollIdle {
		t := time.NewTimer(s.opts.StatusInterval)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
	case <-d.wake:
	case dj := <-d.direct:
		return s.runDirect(ctx, dj)
	case <-timeout:
		s.probe(ctx, d)
	}
	return done
}

// sleep waits for d (forever when d is 0), a wake-up or ctx. It reports
// whether it was woken or canceled rather than timed out.
func sleep(ctx context.Context, wake <-chan struct{}, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		return true
	case <-wake:
		return true
	case <-timeout:
		return false
	}
}

// probe opens a connection only to ask for status.
func (s *Spool) probe(ctx context.Context, d *device) {
	d.tried(time.Now())
	conn, err := s.open(ctx, d, "")
	if err != nil {
		if ctx.Err() == nil {
			s.setState(d, StateOffline, err)
		}
		return
	}
	defer conn.Close()
	st, answered, err := s.queryStatus(ctx, conn)
	switch {
	case err != nil:
		s.setState(d, StateOffline, err)
	case !answered:
		s.setState(d, StateUnknown, nil)
	default:
		d.markAnswers()
		state, nr := stateOf(st)
		s.setState(d, state, nr)
		s.noteDrawer(d, st)
	}
}

func (s *Spool) open(ctx context.Context, d *device, jobID string) (transport.Conn, error) {
	octx, cancel := context.WithTimeout(ctx, s.opts.DialTimeout)
	defer cancel()
	return transport.Open(octx, d.url, transport.Options{
		JobID: jobID, DialTimeout: s.opts.DialTimeout, WriteTimeout: s.opts.WriteTimeout,
	})
}

// setState records a printer state and logs changes: Info when it takes
// jobs again, Warn when it stops.
func (s *Spool) setState(d *device, state PrinterState, err error) {
	prev := d.setState(state, err, time.Now().UTC())
	if prev == state {
		return
	}
	if s.opts.OnState != nil {
		depth := s.queueDepths()
		for _, p := range d.printers {
			s.opts.OnState(p.status(depth[p.name]))
		}
	}
	if state.Ready() {
		s.log.Info("printer ready", "printer", d.names(), "state", state, "was", prev)
		return
	}
	s.log.Warn("printer not ready", "printer", d.names(), "state", state, "was", prev, "err", err)
}

// queryStatus asks for DLE EOT 1, then 2 (and 3) when the printer says it
// is offline, then 4 (paper). answered is false when the printer gave no
// status at all (it is printed to anyway); err is set when the connection
// broke.
func (s *Spool) queryStatus(ctx context.Context, conn transport.Conn) (st escpos.Status, answered bool, err error) {
	ask := func(k escpos.StatusKind) (bool, error) {
		b, err := transport.QueryStatus(ctx, conn, byte(k), s.opts.StatusTimeout)
		if errors.Is(err, transport.ErrNoStatus) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if err := st.Parse(k, b); err != nil {
			return false, nil // not a status byte after all: treat as no answer
		}
		return true, nil
	}
	if answered, err = ask(escpos.StatusPrinter); !answered || err != nil {
		return st, answered, err
	}
	if st.Offline {
		if ok, err := ask(escpos.StatusOffline); err != nil {
			return st, true, err
		} else if ok && st.ErrorOccurred {
			if _, err := ask(escpos.StatusError); err != nil {
				return st, true, err
			}
		}
	}
	if _, err := ask(escpos.StatusPaper); err != nil {
		return st, true, err
	}
	return st, true, nil
}

// confirmTimeout is how long to wait for the status reply after a job:
// the printer answers only once it has taken every byte before the query,
// so allow for a slow one (about 1 KiB/s, a 9600 baud line).
func (s *Spool) confirmTimeout(n int) time.Duration {
	return min(s.opts.StatusTimeout+time.Duration(n)*time.Second/1024, 2*time.Minute)
}

// attempt tries to print j on p once.
func (s *Spool) attempt(ctx context.Context, p *printer, j Job) outcome {
	return s.attemptWith(ctx, p, j, nil)
}

// attemptWith is attempt; for a direct job (dj not nil) its bytes come
// from dj, it is printing already, and every outcome waits for its record.
func (s *Spool) attemptWith(ctx context.Context, p *printer, j Job, dj *directJob) outcome {
	start := time.Now()
	p.tried(start)
	// finish and retryLater, after a direct job's record is in.
	finish := func(state State, cause error) {
		if s.recorded(dj) {
			s.finish(ctx, p, j, state, cause, start)
		}
	}
	retryLater := func(pstate PrinterState, cause error) {
		if s.recorded(dj) {
			s.retryLater(ctx, p, j, pstate, cause, start)
		}
	}
	var data []byte
	var err error
	if dj != nil {
		data = dj.data
	} else if data, err = s.Data(j.ID); err != nil {
		finish(Failed, fmt.Errorf("read job bytes: %w", err))
		return done
	}
	// A direct job not sent because the worker stops goes back to the
	// queue (it was recorded printing).
	canceledOut := func() outcome {
		if dj != nil && s.recorded(dj) {
			if _, err := s.update(j.ID, func(j *Job) { j.State, j.Attempts = Queued, max(j.Attempts-1, 0) }); err != nil {
				s.log.Error("requeue print job", "job_id", j.ID, "printer", p.name, "err", err)
			}
		}
		return canceled
	}
	conn, err := s.open(ctx, p.device, j.ID)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return canceledOut()
		case errors.Is(err, transport.ErrBadURL):
			finish(Failed, err)
			return done
		}
		s.setState(p.device, StateOffline, err)
		retryLater(StateOffline, err)
		return retry
	}
	st, answered, err := s.queryStatus(ctx, conn)
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return canceledOut()
		}
		s.setState(p.device, StateOffline, err)
		retryLater(StateOffline, err)
		return retry
	}
	// A printer that answered status before and is silent now may have
	// hung with its network card still accepting connections: the job is
	// sent (it may only be slow), but only a status reply after it makes it
	// printed.
	mustConfirm := answered
	if answered {
		p.device.markAnswers()
		state, notReady := stateOf(st)
		s.setState(p.device, state, notReady)
		s.noteDrawer(p.device, st)
		if notReady != nil {
			conn.Close()
			retryLater(state, notReady)
			return retry
		}
	} else if p.device.answersStatus() {
		mustConfirm = true
		s.setState(p.device, StateUnknown, errors.New("the printer stopped answering status queries"))
	} else {
		s.setState(p.device, StateUnknown, nil)
	}
	if ctx.Err() != nil {
		conn.Close()
		return canceledOut()
	}

	// From here on bytes leave: persist "printing" first, so that a crash
	// while sending leaves an unconfirmed job, never a second copy.
	if dj != nil {
		// Recorded printing by its submitter, beside this send: the
		// order's marker from the capture commit is its durable record
		// until then.
		return s.send(ctx, p, j, conn, data, answered, mustConfirm, finish, retryLater)
	}
	gone := false
	marked, err := s.update(j.ID, func(j *Job) {
		if j.State.Final() { // cancelled meanwhile
			gone = true
			return
		}
		j.State, j.Attempts = Printing, j.Attempts+1
	})
	if err == nil && gone {
		conn.Close()
		return done
	}
	if err != nil {
		conn.Close()
		s.log.Error("mark print job printing", "job_id", j.ID, "printer", p.name, "err", err)
		return retry
	}
	j = marked
	return s.send(ctx, p, j, conn, data, answered, mustConfirm, finish, retryLater)
}

// send writes a job marked printing and confirms it.
func (s *Spool) send(ctx context.Context, p *printer, j Job, conn transport.Conn, data []byte, answered, mustConfirm bool,
	finish func(State, error), retryLater func(PrinterState, error)) outcome {
	if _, err := conn.Write(data); err != nil {
		conn.Close()
		if transport.Retryable(err) {
			// Nothing left the process: it is safe to send again.
			s.setState(p.device, StateOffline, err)
			retryLater(StateOffline, err)
			return retry
		}
		finish(Unconfirmed, fmt.Errorf("connection lost while sending: %w", err))
		return done
	}
	var confirmErr error
	if mustConfirm {
		// A status reply after the job proves the printer took it.
		qctx := context.WithoutCancel(ctx)
		b, err := transport.QueryStatus(qctx, conn, byte(escpos.StatusPrinter), s.confirmTimeout(len(data)))
		switch {
		case err != nil && !answered:
			confirmErr = fmt.Errorf("the printer took the connection but has stopped answering status (it may be hung): no status reply after the job: %w", err)
		case err != nil:
			confirmErr = fmt.Errorf("no status reply after the job: %w", err)
		default:
			if after, perr := escpos.ParseStatus(escpos.StatusPrinter, b); perr == nil && after.Offline {
				s.setState(p.device, StateOffline, errors.New("printer went offline after the job"))
			}
		}
	}
	closeErr := conn.Close()
	switch {
	case confirmErr != nil:
		finish(Unconfirmed, confirmErr)
	case !answered && closeErr != nil:
		finish(Unconfirmed, fmt.Errorf("close after sending: %w", closeErr))
	default:
		finish(Printed, nil)
		if pw, ok := conn.(transport.PreviewWriter); ok {
			s.writePreview(pw, j)
		}
	}
	return done
}

// retryLater keeps j queued after an attempt that sent nothing.
func (s *Spool) retryLater(ctx context.Context, p *printer, j Job, state PrinterState, cause error, start time.Time) {
	id, prevErr := j.ID, j.LastError
	j, err := s.update(id, func(j *Job) {
		// Every connection counts as an attempt, a refused one too; a job
		// that was marked printing has been counted already.
		if j.State != Printing {
			j.Attempts++
		}
		j.State, j.LastError = Queued, cause.Error()
	})
	if err != nil {
		s.log.Error("update print job", "job_id", id, "printer", p.name, "err", err)
		return
	}
	s.log.Debug("print job waits", "job_id", j.ID, "printer", p.name, "state", state, "attempt", j.Attempts, "err", cause)
	// Audit the first failure of a job and every change of reason, not
	// each retry of a printer that stays off overnight.
	if prevErr == "" || reason(prevErr) != reason(cause.Error()) {
		s.record(ctx, j, audit.Retrying, fmt.Sprintf("%s not ready (%s): %v", p.name, state, cause), start)
	}
}

// reason reduces an error text to its kind for audit de-duplication.
func reason(msg string) string {
	for _, k := range []string{"refused", "paper out", "cover open", "offline", "no such file", "timeout", "reset"} {
		if strings.Contains(msg, k) {
			return k
		}
	}
	return msg
}

// finish moves j to a final state, updates the printer and audits it.
func (s *Spool) finish(ctx context.Context, p *printer, j Job, state State, cause error, start time.Time) {
	now, id := time.Now().UTC(), j.ID
	j, err := s.update(id, func(j *Job) {
		j.State = state
		if cause != nil {
			j.LastError = cause.Error()
		}
		if state == Printed {
			j.PrintedAt, j.LastError = now, ""
		}
	})
	if err != nil {
		s.log.Error("update print job", "job_id", id, "printer", p.name, "state", state, "err", err)
		return
	}
	if s.opts.OnJob != nil {
		s.opts.OnJob(j)
	}
	switch state {
	case Printed:
		p.printed(now)
		s.log.Debug("print job printed", "job_id", j.ID, "printer", p.name, "bytes", j.Bytes, "attempt", j.Attempts,
			"duration", time.Since(start))
		s.record(ctx, j, audit.Success, fmt.Sprintf("printed %s on %s", j.Kind, p.name), start)
	case Unconfirmed:
		p.noteError(cause, now)
		s.log.Error("print job unconfirmed: it may or may not have printed; reprint it if it did not",
			"job_id", j.ID, "printer", p.name, "kind", j.Kind, "order_id", j.OrderID, "err", cause)
		s.record(ctx, j, audit.Failed, fmt.Sprintf("unconfirmed on %s, not reprinted automatically: %v", p.name, cause), start)
	default:
		s.log.Error("print job failed", "job_id", j.ID, "printer", p.name, "err", cause)
		s.record(ctx, j, audit.Failed, fmt.Sprintf("failed on %s: %v", p.name, cause), start)
	}
}

// record writes an audit record of type "print" in the background; Run
// waits for pending records before it returns.
func (s *Spool) record(ctx context.Context, j Job, status audit.Status, msg string, start time.Time) {
	if s.opts.Audit == nil {
		return
	}
	details, _ := json.Marshal(map[string]any{
		"job_id": j.ID, "printer": j.Printer, "kind": j.Kind, "state": j.State, "order_id": j.OrderID,
		"reprint_of": j.ReprintOf, "moved_from": j.MovedFrom, "bytes": j.Bytes,
	})
	r := audit.Record{
		Type: "print", Status: status, Message: msg, Attempt: j.Attempts, Actor: "spool",
		DurationMS: time.Since(start).Milliseconds(), Details: details,
	}
	actx := context.WithoutCancel(ctx)
	s.audits.Go(func() {
		if _, err := s.opts.Audit.Record(actx, r); err != nil {
			s.log.Warn("audit print attempt", "job_id", j.ID, "err", err)
		}
	})
}

// failoverDue reports whether p's queued jobs should go to its backup: p
// has been down for failover_after, was tried recently (so that a printer
// that came back gets its jobs again) and the backup is not known to be
// down.
func (s *Spool) failoverDue(p *printer) bool {
	if p.backup == "" {
		return false
	}
	isDown, since := p.down()
	if !isDown || time.Since(since) < p.failoverAfter {
		return false
	}
	recheck := s.opts.StatusInterval
	if recheck <= 0 {
		recheck = s.opts.MaxBackoff
	}
	if time.Since(p.lastTried()) > recheck {
		return false
	}
	b := s.printers[p.backup]
	if b.device == p.device {
		return false
	}
	backupDown, _ := b.down()
	return !backupDown
}

// failover moves p's queued jobs to its backup, laying order jobs out
// again for the backup's paper, and returns how many moved.
func (s *Spool) failover(ctx context.Context, p *printer) (int, error) {
	b := s.printers[p.backup]
	jobs, err := s.queued(p.name)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	type moved struct {
		j    Job
		data []byte
		pv   string
	}
	var ms []moved
	for _, j := range jobs {
		if j.State != Queued {
			continue
		}
		var src *source
		if err := s.db.View(func(tx *store.Tx) error {
			var err error
			src, err = getSource(tx, j.ID)
			return err
		}); err != nil {
			return 0, err
		}
		m := moved{j: j}
		if src != nil {
			out, err := s.render(b, src)
			if err != nil {
				s.log.Warn("job stays on its printer: cannot lay it out for the backup", "job_id", j.ID, "backup", b.name, "err", err)
				continue
			}
			m.data, m.pv = out.Bytes, out.Preview
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return 0, nil
	}
	now := time.Now().UTC()
	err = s.db.Update(func(tx *store.Tx) error {
		for i := range ms {
			j, ok, err := getJob(tx, ms[i].j.ID)
			if err != nil {
				return err
			}
			if !ok || j.State != Queued || j.Printer != p.name {
				continue
			}
			if err := dequeue(tx, &j); err != nil {
				return err
			}
			if j.MovedFrom == "" {
				j.MovedFrom = p.name
			}
			j.Printer, j.UpdatedAt = b.name, now
			if ms[i].data != nil {
				j.Bytes = len(ms[i].data)
				if err := putPayload(tx, j.ID, ms[i].data, ms[i].pv, nil); err != nil {
					return err
				}
			}
			if err := putJob(tx, &j); err != nil {
				return err
			}
			if err := tx.Bucket(store.PrintJobs, bQueue, b.name).Put(store.U64(j.Seq), []byte(j.ID)); err != nil {
				return err
			}
			ms[i].j = j
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	p.failedOver = true
	since := p.st.downSince
	p.mu.Unlock()
	s.log.Warn("print jobs moved to backup printer", "printer", p.name, "backup", b.name, "jobs", len(ms),
		"down_for", time.Since(since).Round(time.Millisecond))
	for _, m := range ms {
		s.record(ctx, m.j, audit.Retrying, fmt.Sprintf("moved from %s (down since %s) to backup %s",
			p.name, since.Format(time.RFC3339), b.name), now)
	}
	b.notify()
	return len(ms), nil
}

// recoverJobs runs before the workers: a job left printing by a previous
// process becomes unconfirmed (it may have printed), and jobs queued for a
// printer that is no longer configured fail.
func (s *Spool) recoverJobs(ctx context.Context) error {
	type found struct {
		j     Job
		state State
		msg   string
	}
	var fs []found
	now := time.Now().UTC()
	err := s.db.Update(func(tx *store.Tx) error {
		fs = nil
		q := tx.Bucket(store.PrintJobs, bQueue)
		for _, name := range q.Buckets() {
			var stale [][]byte
			var jobs []Job
			err := q.Sub(name).ForEach(func(k, v []byte) error {
				j, ok, err := getJob(tx, string(v))
				if err != nil || !ok {
					stale = append(stale, append([]byte(nil), k...))
					return nil
				}
				jobs = append(jobs, j)
				return nil
			})
			if err != nil {
				return err
			}
			for _, k := range stale {
				if err := q.Sub(name).Delete(k); err != nil {
					return err
				}
			}
			_, configured := s.printers[name]
			for _, j := range jobs {
				f := found{j: j}
				switch {
				case j.State == Printing:
					f.state, f.msg = Unconfirmed, "aura-edge stopped while the job was being sent: it may or may not have printed"
				case !configured:
					f.state, f.msg = Failed, fmt.Sprintf("printer %q is no longer configured", name)
				case j.State.Final():
					f.state = j.State // inconsistent entry: just dequeue
				default:
					continue
				}
				if err := dequeue(tx, &f.j); err != nil {
					return err
				}
				if f.msg != "" {
					f.j.State, f.j.LastError, f.j.UpdatedAt = f.state, f.msg, now
					if err := putJob(tx, &f.j); err != nil {
						return err
					}
					fs = append(fs, f)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recover print jobs: %w", err)
	}
	for _, f := range fs {
		lv := slog.LevelError
		if f.state == Failed {
			lv = slog.LevelWarn
		}
		s.log.Log(ctx, lv, "print job recovered after restart", "job_id", f.j.ID, "printer", f.j.Printer,
			"state", f.state, "order_id", f.j.OrderID, "reason", f.msg)
		s.record(ctx, f.j, audit.Failed, f.msg, now)
	}
	return nil
}

// writePreview hands the job's text preview to a transport that keeps
// one beside what it printed (the file: virtual printer).
func (s *Spool) writePreview(pw transport.PreviewWriter, j Job) {
	pv, err := s.Preview(j.ID)
	if err != nil {
		return
	}
	if err := pw.WritePreview([]byte(pv)); err != nil {
		s.log.Warn("write job preview", "job_id", j.ID, "err", err)
	}
}
