package spool

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/auraconnect/aura-edge/internal/store"
)

// Nested buckets of store.PrintJobs.
const (
	bJobs    = "jobs"    // id -> Job JSON
	bData    = "data"    // id -> ESC/POS bytes
	bPreview = "preview" // id -> text preview
	bSource  = "source"  // id -> source JSON (orders and test pages)
	bLog     = "log"     // U64(seq) -> id, every job
	bQueue   = "queue"   // <printer>/U64(seq) -> id, queued jobs
	bAnswers = "answers" // device connection -> "1": it has answered a status query
)

func getJob(tx *store.Tx, id string) (Job, bool, error) {
	raw := tx.Bucket(store.PrintJobs, bJobs).Get([]byte(id))
	if raw == nil {
		return Job{}, false, nil
	}
	var j Job
	if err := json.Unmarshal(raw, &j); err != nil {
		return Job{}, false, fmt.Errorf("decode print job %s: %w", id, err)
	}
	return j, true, nil
}

func putJob(tx *store.Tx, j *Job) error {
	raw, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode print job %s: %w", j.ID, err)
	}
	return tx.Bucket(store.PrintJobs, bJobs).Put([]byte(j.ID), raw)
}

// insert stores a new job, assigning its sequence, and queues it.
func insert(tx *store.Tx, j *Job, data []byte, preview string, src *source) error {
	seq, err := tx.Bucket(store.PrintJobs).NextSequence()
	if err != nil {
		return fmt.Errorf("print job sequence: %w", err)
	}
	j.Seq = seq
	if err := putJob(tx, j); err != nil {
		return err
	}
	if err := putPayload(tx, j.ID, data, preview, src); err != nil {
		return err
	}
	if err := tx.Bucket(store.PrintJobs, bLog).Put(store.U64(seq), []byte(j.ID)); err != nil {
		return err
	}
	return tx.Bucket(store.PrintJobs, bQueue, j.Printer).Put(store.U64(seq), []byte(j.ID))
}

func putPayload(tx *store.Tx, id string, data []byte, preview string, src *source) error {
	key := []byte(id)
	if err := tx.Bucket(store.PrintJobs, bData).Put(key, data); err != nil {
		return err
	}
	if err := tx.Bucket(store.PrintJobs, bPreview).Put(key, []byte(preview)); err != nil {
		return err
	}
	if src == nil {
		return nil
	}
	raw, err := json.Marshal(src)
	if err != nil {
		return fmt.Errorf("encode print job source %s: %w", id, err)
	}
	return tx.Bucket(store.PrintJobs, bSource).Put(key, raw)
}

func getSource(tx *store.Tx, id string) (*source, error) {
	raw := tx.Bucket(store.PrintJobs, bSource).Get([]byte(id))
	if raw == nil {
		return nil, nil
	}
	var src source
	if err := json.Unmarshal(raw, &src); err != nil {
		return nil, fmt.Errorf("decode print job source %s: %w", id, err)
	}
	return &src, nil
}

// dequeue removes j from its printer's queue.
func dequeue(tx *store.Tx, j *Job) error {
	if j.Printer == "" {
		return nil
	}
	return tx.Bucket(store.PrintJobs, bQueue, j.Printer).Delete(store.U64(j.Seq))
}

// deleteJob removes every trace of a job.
func deleteJob(tx *store.Tx, j *Job) error {
	key := []byte(j.ID)
	for _, b := range []string{bJobs, bData, bPreview, bSource} {
		if err := tx.Bucket(store.PrintJobs, b).Delete(key); err != nil {
			return err
		}
	}
	if err := dequeue(tx, j); err != nil {
		return err
	}
	return tx.Bucket(store.PrintJobs, bLog).Delete(store.U64(j.Seq))
}

// head returns the first job in a printer's queue.
func (s *Spool) head(printer string) (Job, bool, error) {
	var (
		j  Job
		ok bool
	)
	err := s.db.View(func(tx *store.Tx) error {
		_, id := tx.Bucket(store.PrintJobs, bQueue, printer).First()
		if id == nil {
			return nil
		}
		var err error
		j, ok, err = getJob(tx, string(id))
		if err == nil && !ok {
			return fmt.Errorf("queue of %s names missing job %s", printer, id)
		}
		return err
	})
	return j, ok, err
}

// queued returns a printer's queued jobs in order.
func (s *Spool) queued(printer string) ([]Job, error) {
	var jobs []Job
	err := s.db.View(func(tx *store.Tx) error {
		return tx.Bucket(store.PrintJobs, bQueue, printer).ForEach(func(k, v []byte) error {
			j, ok, err := getJob(tx, string(v))
			if err != nil || !ok {
				return err
			}
			jobs = append(jobs, j)
			return nil
		})
	})
	return jobs, err
}

// update applies fn to the stored job and saves it; a job leaving the
// queued and printing states leaves its printer's queue.
func (s *Spool) update(id string, fn func(j *Job)) (Job, error) {
	var j Job
	err := s.db.Update(func(tx *store.Tx) error {
		var ok bool
		var err error
		j, ok, err = getJob(tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("print job %s: %w", id, ErrUnknownJob)
		}
		fn(&j)
		j.UpdatedAt = time.Now().UTC()
		if j.State.Final() {
			if err := dequeue(tx, &j); err != nil {
				return err
			}
		}
		return putJob(tx, &j)
	})
	return j, err
}

// Job returns the job with the given id.
func (s *Spool) Job(id string) (Job, error) {
	var (
		j  Job
		ok bool
	)
	err := s.db.View(func(tx *store.Tx) error {
		var err error
		j, ok, err = getJob(tx, id)
		return err
	})
	if err == nil && !ok {
		err = fmt.Errorf("print job %q: %w", id, ErrUnknownJob)
	}
	return j, err
}

// Data returns a job's ESC/POS bytes.
func (s *Spool) Data(id string) ([]byte, error) {
	var data []byte
	err := s.db.View(func(tx *store.Tx) error {
		data = tx.Bucket(store.PrintJobs, bData).Get([]byte(id))
		return nil
	})
	if err == nil && data == nil {
		err = fmt.Errorf("print job %q: %w", id, ErrUnknownJob)
	}
	return data, err
}

// Preview returns a job's text preview.
func (s *Spool) Preview(id string) (string, error) {
	var pv []byte
	err := s.db.View(func(tx *store.Tx) error {
		pv = tx.Bucket(store.PrintJobs, bPreview).Get([]byte(id))
		return nil
	})
	if err == nil && pv == nil {
		err = fmt.Errorf("print job %q: %w", id, ErrUnknownJob)
	}
	return string(pv), err
}

// Filter selects jobs; empty fields match everything.
type Filter struct {
	Printer string
	State   State
	OrderID string
	// Limit is how many jobs to return, newest first: default 100, at
	// most 1000.
	Limit int
}

// Jobs returns the jobs that match f, newest first.
func (s *Spool) Jobs(f Filter) ([]Job, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	if f.Printer != "" {
		if _, err := s.printer(f.Printer); err != nil {
			return nil, err
		}
	}
	out := []Job{}
	err := s.db.View(func(tx *store.Tx) error {
		return tx.Bucket(store.PrintJobs, bLog).ScanReverse(func(k, v []byte) (bool, error) {
			j, ok, err := getJob(tx, string(v))
			if err != nil || !ok {
				return true, nil // a damaged row must not hide the others
			}
			if (f.Printer == "" || j.Printer == f.Printer) && (f.State == "" || j.State == f.State) &&
				(f.OrderID == "" || j.OrderID == f.OrderID) {
				out = append(out, j)
			}
			return len(out) < f.Limit, nil
		})
	})
	return out, err
}

// Prune deletes finished jobs (printed, unconfirmed, failed) last updated
// more than MaxAge ago, and the oldest finished jobs beyond MaxRows. It
// returns how many it deleted.
func (s *Spool) Prune() (int, error) {
	cutoff := time.Now().Add(-s.opts.MaxAge)
	n := 0
	err := s.db.Update(func(tx *store.Tx) error {
		n = 0
		lg := tx.Bucket(store.PrintJobs, bLog)
		total := 0
		_ = lg.ForEach(func(k, v []byte) error { total++; return nil })
		var del []Job
		err := lg.Scan(nil, func(k, v []byte) (bool, error) {
			j, ok, err := getJob(tx, string(v))
			if err != nil || !ok {
				// Dangling or damaged: drop the log entry and what is left.
				del = append(del, Job{ID: string(v), Seq: store.ParseU64(k)})
				return true, nil
			}
			over := total-len(del) > s.opts.MaxRows
			old := j.UpdatedAt.Before(cutoff)
			if j.State.Final() && (old || over) {
				del = append(del, j)
				return true, nil
			}
			// Jobs are in submission order: once they are recent and
			// within the row limit, the rest are too.
			return old || over, nil
		})
		if err != nil {
			return err
		}
		for i := range del {
			if err := deleteJob(tx, &del[i]); err != nil {
				return err
			}
		}
		n = len(del)
		return nil
	})
	return n, err
}
