package localapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// DeadLetterRoutes registers the outbox dead letters (events the cloud
// broker refused, set aside so the rest keeps flowing):
//
//	GET    /v1/queue/dead             list them (no data)
//	GET    /v1/queue/dead/{id}        one, with its data
//	POST   /v1/queue/dead/{id}/retry  queue it again, under its original id
//	DELETE /v1/queue/dead/{id}        drop it for good
//
// Retry and drop are audited with the caller's token name. None of these
// routes has a policy rule, so they are admin-only.
func DeadLetterRoutes(s *Server, ob *outbox.Outbox, a *audit.Logger, log *slog.Logger) {
	s.HandleFunc("GET /v1/queue/dead", AdminOnly, func(w http.ResponseWriter, r *http.Request) {
		dls, err := ob.DeadLetters()
		if err != nil {
			WriteError(w, http.StatusInternalServerError, "internal", err.Error(), "")
			return
		}
		if dls == nil {
			dls = []outbox.DeadLetter{}
		}
		WriteJSON(w, http.StatusOK, map[string]any{"dead_letters": dls})
	})
	s.HandleFunc("GET /v1/queue/dead/{id}", AdminOnly, func(w http.ResponseWriter, r *http.Request) {
		dl, err := ob.DeadLetterData(r.PathValue("id"))
		if writeDeadError(w, err) {
			return
		}
		WriteJSON(w, http.StatusOK, dl)
	})
	s.HandleFunc("POST /v1/queue/dead/{id}/retry", AdminOnly, func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		dl, _ := ob.DeadLetterData(id)
		ap, err := ob.RetryDead(id)
		if errors.Is(err, outbox.ErrFull) || errors.Is(err, outbox.ErrDiskLow) {
			w.Header().Set("Retry-After", "30")
			WriteError(w, http.StatusServiceUnavailable, "outbox_refused", err.Error(), "")
			return
		}
		if writeDeadError(w, err) {
			return
		}
		recordDead(r, a, log, fmt.Sprintf("dead letter %s (%s %s, %s) queued again at the tail of %s", id, dl.Type, dl.Subject, dl.Reason, dl.Stream))
		WriteJSON(w, http.StatusOK, map[string]any{"id": ap.ID, "stream": ap.Stream, "seq": ap.Seq, "status": "queued"})
	})
	s.HandleFunc("DELETE /v1/queue/dead/{id}", AdminOnly, func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		dl, err := ob.DropDead(id)
		if writeDeadError(w, err) {
			return
		}
		recordDead(r, a, log, fmt.Sprintf("dead letter %s (%s %s on %s, %d bytes) dropped: it will never reach the cloud", id, dl.Type, dl.Subject, dl.Stream, dl.Bytes))
		WriteJSON(w, http.StatusOK, map[string]any{"id": id, "status": "dropped"})
	})
}

func writeDeadError(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, outbox.ErrNoDeadLetter):
		WriteError(w, http.StatusNotFound, "not_found", "no dead letter with this id: list them with GET /v1/queue/dead (aura-edge queue dead)", "id")
	default:
		WriteError(w, http.StatusInternalServerError, "internal", err.Error(), "")
	}
	return true
}

// recordDead audits an admin's action on a dead letter.
func recordDead(r *http.Request, a *audit.Logger, log *slog.Logger, msg string) {
	actor := "unknown"
	if t, ok := auth.FromContext(r.Context()); ok {
		actor = t.Actor()
	}
	if a == nil {
		return
	}
	if _, err := a.Record(r.Context(), audit.Record{Type: "dead_letter", Status: audit.Success, Message: msg, Actor: actor}); err != nil {
		log.Error("audit dead letter action", "err", err, "message", msg)
	}
}
