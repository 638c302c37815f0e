package localapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/request"
	"github.com/auraconnect/aura-edge/internal/secrets"
)

// MaxWebhookBody bounds a webhook delivery (Toast orders can exceed 600 KB).
const MaxWebhookBody = 4 << 20

// IntegrationDeps are what the integration routes need.
type IntegrationDeps struct {
	Bridge       *bridge.Bridge
	Integrations *integrations.Store
	Audit        *audit.Logger
	Log          *slog.Logger
	// PublicURL is the base URL vendors were told to call; Square signs the
	// full notification URL.
	PublicURL string
	// ManifestDir is where custom vendor manifests named through the API
	// live (<data_dir>/manifests); the API never opens other paths.
	ManifestDir string
}

// ConnectRequest is the body of POST /integrations/pos/connect.
type ConnectRequest struct {
	ID          string            `json:"id,omitempty"`
	Name        string            `json:"name,omitempty"`
	Vendor      string            `json:"vendor"`
	Credentials map[string]string `json:"credentials"`
	Settings    map[string]string `json:"settings,omitempty"`
	// SkipTest stores the integration even when the connection test fails
	// (the vendor is down during installation).
	SkipTest bool `json:"skip_test,omitempty"`
}

// SyncRequest is the body of POST /integrations/pos/sync/menu and /sync/orders.
type SyncRequest = request.MenuPush

// IntegrationRoutes registers the seed's integration endpoints and the
// webhook receiver.
func IntegrationRoutes(s *Server, d IntegrationDeps) {
	s.HandleFunc("POST /integrations/pos/connect", AdminOnly, d.connect)
	s.HandleFunc("GET /integrations/pos/status", AdminOnly, d.status)
	s.HandleFunc("POST /integrations/pos/sync/menu", AdminOnly, d.syncMenu)
	s.HandleFunc("POST /integrations/pos/sync/orders", AdminOnly, d.syncOrders)
	s.HandleFunc("DELETE /integrations/pos/{id}", AdminOnly, d.delete)
	rejectedRoutes(s, d)
	wh := &webhookReceiver{d: d, slots: make(chan struct{}, maxWebhooksInFlight)}
	s.HandleFunc("POST /webhooks/{integration_id}", Public, wh.serve)
}

// maxWebhooksInFlight bounds concurrent webhook deliveries (each may read
// up to MaxWebhookBody before its signature is checked).
const maxWebhooksInFlight = 16

// webhookReceiver is the public webhook route: no bearer token, the
// vendor's signature is the authentication.
type webhookReceiver struct {
	d     IntegrationDeps
	slots chan struct{}
}

func (d IntegrationDeps) record(ctx context.Context, r audit.Record) {
	r.Actor = auth.Actor(ctx)
	d.Audit.Record(ctx, r)
}

func (d IntegrationDeps) connect(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req ConnectRequest
	if err := DecodeJSON(w, r, 64<<10, &req); err != nil {
		WriteDecodeError(w, err)
		d.record(r.Context(), audit.Record{Type: "integration_connect", Status: audit.Rejected, Message: err.Error()})
		return
	}
	fail := func(status int, code, msg, field string) {
		WriteError(w, status, code, msg, field)
		d.record(r.Context(), audit.Record{Type: "integration_connect", Status: audit.Rejected, Integration: req.ID,
			Vendor: req.Vendor, Message: msg, DurationMS: time.Since(start).Milliseconds()})
	}
	drv, err := pos.Lookup(req.Vendor)
	if err != nil {
		fail(http.StatusBadRequest, "unknown_vendor", fmt.Sprintf("unknown vendor %q; known: %s", req.Vendor, strings.Join(pos.Names(), ", ")), "vendor")
		return
	}
	if missing := drv.CheckConfig(req.Credentials, req.Settings); len(missing) > 0 {
		fail(http.StatusBadRequest, "missing_field", fmt.Sprintf("%s needs %s", drv.Name, strings.Join(missing, ", ")), missing[0])
		return
	}
	if m := req.Settings["manifest"]; m != "" {
		// A manifest named through the API is a file in ManifestDir: an
		// API caller must not make the daemon open arbitrary paths.
		if d.ManifestDir == "" || m != filepath.Base(m) || strings.HasPrefix(m, ".") {
			fail(http.StatusBadRequest, "bad_manifest", "settings.manifest names a file in "+d.ManifestDir+
				" (no directories), or send the manifest inline as settings.manifest_yaml", "settings.manifest")
			return
		}
		req.Settings["manifest"] = filepath.Join(d.ManifestDir, m)
	}
	if req.ID != "" && !integrations.ValidID(req.ID) {
		fail(http.StatusBadRequest, "bad_id", "id: use lowercase letters, digits, '-' and '_' (at most 63)", "id")
		return
	}
	creds := make(map[string]secrets.Secret, len(req.Credentials))
	for k, v := range req.Credentials {
		creds[k] = secrets.Secret(v)
	}
	in, err := d.Integrations.Connect(req.ID, drv.Name, req.Name, creds, req.Settings)
	if errors.Is(err, integrations.ErrExists) {
		fail(http.StatusConflict, "exists", fmt.Sprintf("integration %q exists; DELETE it first", req.ID), "id")
		return
	}
	if err != nil {
		fail(http.StatusInternalServerError, "internal", plain(err.Error()), "")
		return
	}
	conn := d.Bridge.TestConnection(r.Context(), in.ID)
	if !conn.OK && !req.SkipTest {
		d.Bridge.Forget(in.ID)
		d.Integrations.Delete(in.ID)
		fail(http.StatusUnprocessableEntity, "connection_failed", "connection test failed, nothing stored: "+conn.Error+
			" (send \"skip_test\": true to store it anyway)", "credentials")
		return
	}
	d.Bridge.Add(in.ID)
	d.record(r.Context(), audit.Record{Type: "integration_connect", Status: audit.Success, Integration: in.ID, Vendor: in.Vendor,
		Message: fmt.Sprintf("connected %s (connection test ok=%v)", in.Vendor, conn.OK), DurationMS: time.Since(start).Milliseconds()})
	WriteJSON(w, http.StatusCreated, map[string]any{"id": in.ID, "vendor": in.Vendor, "connected_on": in.ConnectedOn, "connection": conn})
}

func (d IntegrationDeps) status(w http.ResponseWriter, r *http.Request) {
	live := r.URL.Query().Get("live") != "false"
	st, err := d.Bridge.Status(r.Context(), live)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "internal", plain(err.Error()), "")
		return
	}
	d.record(r.Context(), audit.Record{Type: "integration_status", Status: audit.Success, Message: fmt.Sprintf("%d integrations", len(st))})
	WriteJSON(w, http.StatusOK, map[string]any{"integrations": st})
}

func (d IntegrationDeps) syncMenu(w http.ResponseWriter, r *http.Request) {
	var req SyncRequest
	if err := DecodeJSON(w, r, MaxBody, &req); err != nil {
		WriteDecodeError(w, err)
		return
	}
	menu, err := req.MenuOrLatest(d.Bridge.LatestMenu)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	res, err := d.Bridge.PushMenuWith(r.Context(), menu, req.IntegrationID, req.Options(), auth.Actor(r.Context()))
	d.writeSync(w, r, "menu_sync", res, err)
}

func (d IntegrationDeps) syncOrders(w http.ResponseWriter, r *http.Request) {
	var req request.SyncOrders
	if r.ContentLength != 0 {
		if err := DecodeJSON(w, r, 64<<10, &req); err != nil {
			WriteDecodeError(w, err)
			return
		}
	}
	res, err := d.Bridge.SyncOrders(r.Context(), req.IntegrationID, "api", auth.Actor(r.Context()))
	d.writeSync(w, r, "orders_sync", res, err)
}

func (d IntegrationDeps) writeSync(w http.ResponseWriter, r *http.Request, typ string, res []bridge.Result, err error) {
	var ps model.Problems
	switch {
	case errors.As(err, &ps):
		writeProblems(w, ps, "menu.")
		d.record(r.Context(), audit.Record{Type: typ, Status: audit.Rejected, Message: ps.Error()})
		return
	case errors.Is(err, integrations.ErrNotFound):
		WriteError(w, http.StatusNotFound, "not_found", plain(err.Error()), "integration_id")
		return
	case errors.Is(err, bridge.ErrNoIntegrations):
		WriteError(w, http.StatusConflict, "no_integrations", plain(err.Error()), "")
		return
	case err != nil:
		WriteError(w, http.StatusInternalServerError, "internal", plain(err.Error()), "")
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"results": res})
}

func (d IntegrationDeps) delete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	in, _ := d.Integrations.Get(id)
	err := d.Bridge.Delete(id)
	if errors.Is(err, integrations.ErrNotFound) {
		WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no integration %q", id), "id")
		return
	}
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "internal", plain(err.Error()), "")
		return
	}
	d.record(r.Context(), audit.Record{Type: "integration_delete", Status: audit.Success, Integration: id, Vendor: in.Vendor,
		Message: "integration removed and its credentials destroyed"})
	WriteJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true})
}

func (wh *webhookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	d := wh.d
	select {
	case wh.slots <- struct{}{}:
		defer func() { <-wh.slots }()
	default:
		w.Header().Set("Retry-After", "5")
		WriteError(w, http.StatusServiceUnavailable, "busy", "too many webhook deliveries at once", "")
		return
	}
	id := r.PathValue("integration_id")
	// An unknown integration answers like a bad signature, before the
	// body is read: the route must not tell which ids exist.
	if _, err := d.Integrations.Get(id); err != nil {
		WriteJSON(w, http.StatusUnauthorized, bridge.WebhookReply{Status: http.StatusUnauthorized, State: "rejected", Error: http.StatusText(http.StatusUnauthorized)})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, "too_large", "webhook body too large or unreadable", "")
		return
	}
	url := r.URL.String()
	if d.PublicURL != "" {
		url = strings.TrimRight(d.PublicURL, "/") + r.URL.RequestURI()
	} else if r.Host != "" {
		url = "http://" + r.Host + r.URL.RequestURI()
	}
	rep := d.Bridge.Webhook(r.Context(), id, pos.WebhookRequest{URL: url, Header: r.Header.Clone(), Body: body})
	WriteJSON(w, rep.Status, rep)
}
