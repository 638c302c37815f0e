package spool

import (
	"errors"
	"fmt"
)

// ErrNotCancellable is returned by Cancel for a job that is being sent
// right now or has printed, failed or been cancelled already.
var ErrNotCancellable = errors.New("print job cannot be cancelled")

// Cancel takes a queued job off its printer's queue, or dismisses an
// unconfirmed job (staff saw that it did print), leaving it Cancelled with
// who did it in LastError. A job being sent, or one already printed,
// failed or cancelled, returns ErrNotCancellable; an unknown id
// ErrUnknownJob.
func (s *Spool) Cancel(id, actor string) (Job, error) {
	var refused State
	j, err := s.update(id, func(j *Job) {
		switch j.State {
		case Queued, Unconfirmed:
			was := j.State
			j.State = Cancelled
			j.LastError = fmt.Sprintf("cancelled by %s while %s", actor, was)
		default:
			refused = j.State
		}
	})
	if err != nil {
		return Job{}, err
	}
	if refused != "" {
		return j, fmt.Errorf("print job %s is %s: %w", id, refused, ErrNotCancellable)
	}
	s.log.Info("print job cancelled", "job_id", id, "printer", j.Printer, "by", actor)
	if s.opts.OnJob != nil {
		s.opts.OnJob(j)
	}
	return j, nil
}
