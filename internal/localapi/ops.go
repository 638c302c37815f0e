package localapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/health"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// RetryQueue reports pending menu-push retries and dead letters per
// integration.
type RetryQueue interface {
	Queue() (retries, dead map[string]int)
}

// QueueRoutes registers GET /v1/queue: depth, bytes and oldest age per
// outbox stream, plus the menu-push retry queue when rq is not nil.
func QueueRoutes(s *Server, ob *outbox.Outbox, rq RetryQueue) {
	s.HandleFunc("GET /v1/queue", StaffAccess, func(w http.ResponseWriter, r *http.Request) {
		out := map[string]any{"streams": QueueView(ob)}
		if rq != nil {
			out["menu_retries"], out["dead_letters"] = rq.Queue()
		}
		WriteJSON(w, http.StatusOK, out)
	})
}

// StreamView is a stream's backlog as the API and CLI show it: the
// health package's view, so /v1/queue, /v1/status and /v1/health agree.
type StreamView = health.Stream

// QueueView is the outbox's backlog per stream, with its dead letters.
func QueueView(ob *outbox.Outbox) []StreamView {
	return health.StreamsOf(ob.Stats(), ob.DeadCount())
}

// SyncLogRoutes registers GET /v1/sync-logs?type=&status=&integration=&since=&limit=.
func SyncLogRoutes(s *Server, a *audit.Logger) {
	s.HandleFunc("GET /v1/sync-logs", StaffAccess, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := audit.Filter{Type: q.Get("type"), Status: audit.Status(q.Get("status")), Integration: q.Get("integration")}
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				WriteError(w, http.StatusBadRequest, "bad_query", "limit must be a positive integer", "limit")
				return
			}
			f.Limit = n
		}
		if v := q.Get("since"); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				WriteError(w, http.StatusBadRequest, "bad_query", "since must be RFC 3339, e.g. 2026-11-23T10:00:00Z", "since")
				return
			}
			f.Since = t
		}
		recs, err := a.Query(f)
		if err != nil {
			internalError(w, "reading the sync log")
			return
		}
		WriteJSON(w, http.StatusOK, map[string]any{"sync_logs": recs})
	})
}
