package localapi

import (
	"net/http"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/request"
)

// DrawerRequest is the body of POST /v1/drawer/open: the request layer's
// Drawer, shared with the drawer.open command.
type DrawerRequest = request.Drawer

// openDrawer serves POST /v1/drawer/open: a drawer kick on the printer's
// configured pin, queued like a print job (202), audited with the token's
// name and the reason.
func (h printHandlers) openDrawer(w http.ResponseWriter, r *http.Request) {
	var req DrawerRequest
	if err := DecodeJSON(w, r, 4096, &req); err != nil {
		WriteDecodeError(w, err)
		return
	}
	if err := req.Validate(); err != nil {
		writeRequestError(w, err)
		return
	}
	if req.By != "" {
		WriteError(w, http.StatusBadRequest, "bad_request", "by: leave it out; the local API records the token's name", "by")
		return
	}
	j, created, err := h.sp.OpenDrawer(r.Context(), req.JobID, req.Printer, req.Reason, auth.Actor(r.Context()))
	if err != nil {
		h.writeSpoolError(w, err)
		return
	}
	WriteJSON(w, http.StatusAccepted, PrintResult{JobID: j.ID, State: j.State, Printer: j.Printer, Kind: j.Kind, Duplicate: !created})
}
