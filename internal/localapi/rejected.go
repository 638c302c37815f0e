package localapi

import (
	"errors"
	"net/http"

	"github.com/auraconnect/aura-edge/internal/bridge"
)

// rejectedRoutes registers the records a pull could not represent, set
// aside by the bridge (admin only: they hold the vendor's raw record):
//
//	GET /integrations/pos/rejected                 list them (no raw record)
//	GET /integrations/pos/{id}/rejected/{key}      one, with the vendor's record
func rejectedRoutes(s *Server, d IntegrationDeps) {
	s.HandleFunc("GET /integrations/pos/rejected", AdminOnly, func(w http.ResponseWriter, r *http.Request) {
		rs, err := d.Bridge.Rejected(r.URL.Query().Get("integration_id"))
		if err != nil {
			WriteError(w, http.StatusInternalServerError, "internal", plain(err.Error()), "")
			return
		}
		WriteJSON(w, http.StatusOK, map[string]any{"rejected": rs})
	})
	s.HandleFunc("GET /integrations/pos/{id}/rejected/{key}", AdminOnly, func(w http.ResponseWriter, r *http.Request) {
		rec, err := d.Bridge.RejectedOne(r.PathValue("id"), r.PathValue("key"))
		switch {
		case errors.Is(err, bridge.ErrNoRejected):
			WriteError(w, http.StatusNotFound, "not_found", "no rejected record with this integration and key: list them with GET /integrations/pos/rejected (aura-edge rejected)", "key")
		case err != nil:
			WriteError(w, http.StatusInternalServerError, "internal", plain(err.Error()), "")
		default:
			WriteJSON(w, http.StatusOK, rec)
		}
	})
}
