package localapi

import (
	"net/http"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// DrawerRequest is the body of POST /v1/drawer/open.
type DrawerRequest struct {
	Printer string `json:"printer"`
	// Reason is why the drawer is opened without a sale ("no sale",
	// "change"); it goes to the audit log with who asked. Required.
	Reason string `json:"reason"`
	// JobID makes the request idempotent; optional.
	JobID string `json:"job_id,omitempty"`
}

// openDrawer serves POST /v1/drawer/open: a drawer kick on the printer's
// configured pin, queued like a print job (202), audited with the token's
// name and the reason.
func (h printHandlers) openDrawer(w http.ResponseWriter, r *http.Request) {
	var req DrawerRequest
	if err := DecodeJSON(w, r, 4096, &req); err != nil {
		WriteDecodeError(w, err)
		return
	}
	if req.JobID != "" {
		if err := spool.CheckID(req.JobID); err != nil {
			WriteError(w, http.StatusBadRequest, "bad_job_id", err.Error(), "job_id")
			return
		}
	}
	j, created, err := h.sp.OpenDrawer(r.Context(), req.JobID, req.Printer, req.Reason, auth.Actor(r.Context()))
	if err != nil {
		h.writeSpoolError(w, err)
		return
	}
	WriteJSON(w, http.StatusAccepted, PrintResult{JobID: j.ID, State: j.State, Printer: j.Printer, Kind: j.Kind, Duplicate: !created})
}
