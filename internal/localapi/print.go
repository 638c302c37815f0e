package localapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/request"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// PrintDeps are what the print routes need besides the spool.
type PrintDeps struct {
	// Order looks up a captured order by its Aura id, for requests that
	// name order_id (ingest.Ingest.Order). Nil turns order_id off.
	Order func(id string) (*model.Order, error)
	// NotFound reports whether an error from Order means there is no such
	// order (a 400); other errors are a 500. Nil treats every error as
	// "no such order". With ingest:
	// func(err error) bool { return errors.Is(err, ingest.ErrNotFound) }.
	NotFound func(error) bool
	Log      *slog.Logger
}

// PrintRequest is the body of POST /v1/print: the request layer's Print,
// shared with the print command.
type PrintRequest = request.Print

// PrintResult is the answer to POST /v1/print and reprints.
type PrintResult struct {
	JobID   string      `json:"job_id"`
	State   spool.State `json:"state"`
	Printer string      `json:"printer"`
	Kind    spool.Kind  `json:"kind"`
	// Duplicate is set when the job id existed: nothing new was queued.
	Duplicate bool   `json:"duplicate,omitempty"`
	ReprintOf string `json:"reprint_of,omitempty"`
}

// PrintRoutes registers the printing endpoints:
//
//	POST /v1/print                  queue a receipt, kitchen ticket or test page -> 202
//	POST /v1/print/{id}/reprint     queue job id again with a REPRINT banner -> 202
//	POST /v1/print/reprint-last     a COPY of a printer's last receipt (or kitchen ticket) -> 202
//	POST /v1/print/reprint-order    a COPY of an order's receipt or kitchen tickets -> 202
//	POST /v1/print/{id}/cancel      take a queued job off the queue, or dismiss an unconfirmed one -> 200
//	GET  /v1/print/jobs             jobs, newest first (?printer=&state=&order_id=&limit=)
//	GET  /v1/print/jobs/{id}        one job with its text preview
//	GET  /v1/printers               configured printers with their live state
//	POST /v1/drawer/open            open a cash drawer without a sale (printer, reason) -> 202
//
// Bad input (unknown printer, missing or invalid order, bad kind or job
// id) is a 400 in the API's error shape; the queue keeps running.
func PrintRoutes(s *Server, sp *spool.Spool, d PrintDeps) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	h := printHandlers{sp: sp, d: d}
	s.HandleFunc("POST /v1/print", StaffAccess, h.print)
	s.HandleFunc("POST /v1/print/{id}/reprint", StaffAccess, h.reprint)
	s.HandleFunc("POST /v1/print/reprint-last", StaffAccess, h.reprintLast)
	s.HandleFunc("POST /v1/print/reprint-order", StaffAccess, h.reprintOrder)
	s.HandleFunc("POST /v1/print/{id}/cancel", StaffAccess, h.cancel)
	s.HandleFunc("GET /v1/print/jobs", StaffAccess, h.jobs)
	s.HandleFunc("GET /v1/print/jobs/{id}", StaffAccess, h.job)
	s.HandleFunc("GET /v1/printers", StaffAccess, h.printers)
	s.HandleFunc("POST /v1/drawer/open", StaffAccess, h.openDrawer)
}

type printHandlers struct {
	sp *spool.Spool
	d  PrintDeps
}

func (h printHandlers) print(w http.ResponseWriter, r *http.Request) {
	var req PrintRequest
	if err := DecodeJSON(w, r, MaxBody, &req); err != nil {
		WriteDecodeError(w, err)
		return
	}
	if err := req.Validate(h.sp.Names()); err != nil {
		writeRequestError(w, err)
		return
	}
	sr, err := req.SpoolRequest(request.OrderLookup{Order: h.d.Order, NotFound: h.d.NotFound})
	if err != nil {
		var re *request.Error
		if errors.As(err, &re) {
			writeRequestError(w, err)
			return
		}
		h.d.Log.Error("look up order to print", "order_id", req.OrderID, "err", err)
		internalError(w, "looking up the order")
		return
	}
	j, created, err := h.sp.Submit(r.Context(), sr)
	if err != nil {
		h.writeSpoolError(w, err)
		return
	}
	h.d.Log.Debug("print requested", "job_id", j.ID, "printer", j.Printer, "kind", j.Kind, "created", created)
	WriteJSON(w, http.StatusAccepted, PrintResult{JobID: j.ID, State: j.State, Printer: j.Printer, Kind: j.Kind,
		Duplicate: !created, ReprintOf: j.ReprintOf})
}

// writeRequestError writes a request layer's refusal as a 400.
func writeRequestError(w http.ResponseWriter, err error) {
	var re *request.Error
	if errors.As(err, &re) {
		WriteError(w, http.StatusBadRequest, re.Code, re.Message, re.Field)
		return
	}
	WriteError(w, http.StatusBadRequest, "bad_request", plain(err.Error()), "")
}

func (h printHandlers) writeSpoolError(w http.ResponseWriter, err error) {
	var ps model.Problems
	switch {
	case errors.As(err, &ps) && len(ps) > 0:
		writeProblems(w, ps, "order.")
	case request.SpoolError(err) != nil:
		re := request.SpoolError(err)
		WriteError(w, http.StatusBadRequest, re.Code, re.Message, re.Field)
	case errors.Is(err, spool.ErrUnknownJob):
		WriteError(w, http.StatusNotFound, "unknown_job", plain(err.Error()), "")
	case errors.Is(err, spool.ErrNotCancellable):
		WriteError(w, http.StatusConflict, "not_cancellable", plain(err.Error())+"; only queued and unconfirmed jobs can be cancelled", "")
	default:
		h.d.Log.Error("queue print job", "err", err)
		internalError(w, "queueing the print job")
	}
}

func (h printHandlers) reprint(w http.ResponseWriter, r *http.Request) {
	var req struct {
		JobID string `json:"job_id,omitempty"`
	}
	if r.ContentLength != 0 {
		if err := DecodeJSON(w, r, 4096, &req); err != nil {
			WriteDecodeError(w, err)
			return
		}
	}
	if req.JobID != "" {
		if err := spool.CheckID(req.JobID); err != nil {
			WriteError(w, http.StatusBadRequest, "bad_job_id", plain(err.Error()), "job_id")
			return
		}
	}
	j, created, err := h.sp.ReprintWith(r.Context(), r.PathValue("id"),
		spool.ReprintOptions{ID: req.JobID, Actor: auth.Actor(r.Context())})
	if err != nil {
		h.writeSpoolError(w, err)
		return
	}
	WriteJSON(w, http.StatusAccepted, PrintResult{JobID: j.ID, State: j.State, Printer: j.Printer, Kind: j.Kind,
		Duplicate: !created, ReprintOf: j.ReprintOf})
}

func (h printHandlers) jobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := spool.Filter{Printer: q.Get("printer"), OrderID: q.Get("order_id")}
	if v := q.Get("state"); v != "" {
		st, err := spool.ParseState(v)
		if err != nil {
			WriteError(w, http.StatusBadRequest, "bad_query", plain(err.Error()), "state")
			return
		}
		f.State = st
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			WriteError(w, http.StatusBadRequest, "bad_query", "limit must be a positive integer", "limit")
			return
		}
		f.Limit = n
	}
	jobs, err := h.sp.Jobs(f)
	if errors.Is(err, spool.ErrUnknownPrinter) {
		WriteError(w, http.StatusBadRequest, "unknown_printer", plain(err.Error()), "printer")
		return
	}
	if err != nil {
		h.d.Log.Error("list print jobs", "err", err)
		internalError(w, "listing print jobs")
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"jobs": jobs})
}

func (h printHandlers) job(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	j, err := h.sp.Job(id)
	if err != nil {
		h.writeSpoolError(w, err)
		return
	}
	pv, _ := h.sp.Preview(id)
	WriteJSON(w, http.StatusOK, map[string]any{"job": j, "preview": pv})
}

func (h printHandlers) printers(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]any{"printers": h.sp.Printers()})
}

func (h printHandlers) cancel(w http.ResponseWriter, r *http.Request) {
	j, err := h.sp.Cancel(r.PathValue("id"), auth.Actor(r.Context()))
	if err != nil {
		h.writeSpoolError(w, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"job": j})
}

// ReprintLastRequest is the body of POST /v1/print/reprint-last.
type ReprintLastRequest struct {
	Printer string `json:"printer"`
	// Kind is receipt (the default) or kitchen.
	Kind string `json:"kind,omitempty"`
	// JobID makes the request idempotent; optional.
	JobID string `json:"job_id,omitempty"`
}

// reprintLast serves POST /v1/print/reprint-last: a COPY of the last
// receipt (or kitchen ticket) printed on a printer, audited with the
// token's name.
func (h printHandlers) reprintLast(w http.ResponseWriter, r *http.Request) {
	var req ReprintLastRequest
	if err := DecodeJSON(w, r, 4096, &req); err != nil {
		WriteDecodeError(w, err)
		return
	}
	if strings.TrimSpace(req.Printer) == "" {
		WriteError(w, http.StatusBadRequest, "missing_printer", "printer is required (one of: "+strings.Join(h.sp.Names(), ", ")+")", "printer")
		return
	}
	kind, ok := reprintKind(w, req.Kind, false)
	if !ok || !checkJobID(w, req.JobID) {
		return
	}
	j, created, err := h.sp.ReprintLast(r.Context(), req.Printer, kind,
		spool.ReprintOptions{ID: req.JobID, Actor: auth.Actor(r.Context())})
	if err != nil {
		h.writeReprintError(w, err)
		return
	}
	WriteJSON(w, http.StatusAccepted, PrintResult{JobID: j.ID, State: j.State, Printer: j.Printer, Kind: j.Kind,
		Duplicate: !created, ReprintOf: j.ReprintOf})
}

// ReprintOrderRequest is the body of POST /v1/print/reprint-order.
type ReprintOrderRequest struct {
	OrderID string `json:"order_id"`
	// Kind is receipt or kitchen (every station's ticket).
	Kind string `json:"kind"`
	// Printer prints the copies there instead of where they printed.
	Printer string `json:"printer,omitempty"`
	// JobID makes the request idempotent; optional.
	JobID string `json:"job_id,omitempty"`
}

// reprintOrder serves POST /v1/print/reprint-order: a COPY of a recent
// order's receipt, or of each of its kitchen tickets, audited with the
// token's name.
func (h printHandlers) reprintOrder(w http.ResponseWriter, r *http.Request) {
	var req ReprintOrderRequest
	if err := DecodeJSON(w, r, 4096, &req); err != nil {
		WriteDecodeError(w, err)
		return
	}
	if strings.TrimSpace(req.OrderID) == "" {
		WriteError(w, http.StatusBadRequest, "missing_order", "order_id is required: the Aura id of the order to print again", "order_id")
		return
	}
	kind, ok := reprintKind(w, req.Kind, true)
	if !ok || !checkJobID(w, req.JobID) {
		return
	}
	jobs, err := h.sp.ReprintOrder(r.Context(), req.OrderID, kind,
		spool.ReprintOptions{ID: req.JobID, Printer: req.Printer, Actor: auth.Actor(r.Context())})
	if err != nil {
		h.writeReprintError(w, err)
		return
	}
	out := make([]PrintResult, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, PrintResult{JobID: j.ID, State: j.State, Printer: j.Printer, Kind: j.Kind, ReprintOf: j.ReprintOf})
	}
	WriteJSON(w, http.StatusAccepted, map[string]any{"jobs": out})
}

// reprintKind checks a reprint's kind: receipt or kitchen; empty is a
// receipt unless required.
func reprintKind(w http.ResponseWriter, k string, required bool) (spool.Kind, bool) {
	switch kind := spool.Kind(k); kind {
	case spool.KindReceipt, spool.KindKitchen:
		return kind, true
	case "":
		if !required {
			return spool.KindReceipt, true
		}
		WriteError(w, http.StatusBadRequest, "missing_kind", "kind is required: receipt or kitchen", "kind")
		return "", false
	}
	WriteError(w, http.StatusBadRequest, "bad_kind", fmt.Sprintf("kind %q: want receipt or kitchen", k), "kind")
	return "", false
}

func checkJobID(w http.ResponseWriter, id string) bool {
	if id == "" {
		return true
	}
	if err := spool.CheckID(id); err != nil {
		WriteError(w, http.StatusBadRequest, "bad_job_id", plain(err.Error()), "job_id")
		return false
	}
	return true
}

// writeReprintError is writeSpoolError, with "nothing to copy" as a 404
// that says so.
func (h printHandlers) writeReprintError(w http.ResponseWriter, err error) {
	if errors.Is(err, spool.ErrUnknownJob) {
		WriteError(w, http.StatusNotFound, "nothing_to_reprint", plain(err.Error()), "")
		return
	}
	h.writeSpoolError(w, err)
}
