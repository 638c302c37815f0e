package localapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// Capturer is what the capture routes need from the ingest path.
type Capturer interface {
	Capture(ctx context.Context, orders []model.Order, payments []model.Payment) ([]ingest.Result, error)
}

// CaptureRoutes registers POST /v1/orders and POST /v1/payments. Each takes
// one Aura record or an array, and answers 202 only after the bbolt commit.
func CaptureRoutes(s *Server, c Capturer, log *slog.Logger) {
	s.Handle("POST /v1/orders", TerminalAccess, captureHandler[model.Order](c, log, "orders"))
	s.Handle("POST /v1/payments", TerminalAccess, captureHandler[model.Payment](c, log, "payments"))
}

func captureHandler[T model.Order | model.Payment](c Capturer, log *slog.Logger, kind string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf, err := readBody(w, r, MaxBody)
		defer releaseBody(buf)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				WriteError(w, http.StatusRequestEntityTooLarge, "too_large", "the request body is over 1 MiB; send fewer records per request", "")
				return
			}
			WriteError(w, http.StatusBadRequest, "bad_body", "the request body could not be read to the end; send it again", "")
			return
		}
		if ct := r.Header.Get("Content-Type"); !jsonContentType(ct) {
			errContentType(ct).write(w)
			return
		}
		data := *buf
		var items []T
		single := !bytes.HasPrefix(bytes.TrimSpace(data), []byte("["))
		if single {
			items = make([]T, 1)
			if err := decodeRecord(data, &items[0]); err != nil {
				WriteDecodeError(w, err)
				return
			}
		} else if err := decodeRecordList(data, &items); err != nil {
			WriteDecodeError(w, err)
			return
		}
		if len(items) == 0 {
			WriteError(w, http.StatusBadRequest, "empty", "the request holds no records; send one "+kind[:len(kind)-1]+" or a list of them", "")
			return
		}
		// The decoded records are handed on as they are (no copy).
		var orders []model.Order
		var payments []model.Payment
		switch v := any(&items).(type) {
		case *[]model.Order:
			orders = *v
		case *[]model.Payment:
			payments = *v
		}
		var bad model.Problems
		for i := range items {
			switch v := any(&items[i]).(type) {
			case *model.Order:
				bad = append(bad, localSource(v.Source, i, len(items))...)
			case *model.Payment:
				bad = append(bad, localSource(v.Source, i, len(items))...)
			}
		}
		if len(bad) > 0 {
			writeProblems(w, bad, "")
			return
		}
		debug := log.Enabled(r.Context(), slog.LevelDebug)
		var start time.Time
		if debug { // the attributes below cost allocations even when the level is off
			start = time.Now()
		}
		res, err := c.Capture(r.Context(), orders, payments)
		var ps model.Problems
		switch {
		case errors.As(err, &ps):
			if len(ps) == 0 {
				ps = model.Problems{{Message: "is not valid"}}
			}
			writeProblems(w, ps, "")
			return
		case errors.Is(err, ingest.ErrTooLarge):
			WriteError(w, http.StatusRequestEntityTooLarge, "too_large_for_cloud", err.Error(), "")
			return
		case errors.Is(err, outbox.ErrFull), errors.Is(err, outbox.ErrDiskLow):
			w.Header().Set("Retry-After", "30")
			WriteError(w, http.StatusServiceUnavailable, "outbox_refused", "the buffer for the cloud is full or the disk is nearly full, so nothing was stored; retry after 30 seconds and tell the installer ("+plain(err.Error())+")", "")
			return
		case err != nil:
			log.Error("capture failed", "kind", kind, "err", err)
			internalError(w, "storing the "+kind)
			return
		}
		if debug {
			log.Debug("captured", "kind", kind, "records", len(res), "duration", time.Since(start))
		}
		if single {
			WriteJSON(w, http.StatusAccepted, res[0])
			return
		}
		WriteJSON(w, http.StatusAccepted, map[string]any{"results": res})
	})
}

// decodeRecord and decodeRecordList are decodeRecords for the generic
// handler's T (Go cannot yet say that []T is a request.Records).
func decodeRecord[T model.Order | model.Payment](data []byte, v *T) error {
	switch v := any(v).(type) {
	case *model.Order:
		return decodeRecords(data, v)
	case *model.Payment:
		return decodeRecords(data, v)
	}
	return decodeBytes(data, v)
}

func decodeRecordList[T model.Order | model.Payment](data []byte, v *[]T) error {
	switch v := any(v).(type) {
	case *[]model.Order:
		return decodeRecords(data, v)
	case *[]model.Payment:
		return decodeRecords(data, v)
	}
	return decodeBytes(data, v)
}

// localSource keeps LAN capture from speaking for a POS integration: a
// terminal may not claim a registered vendor's name or an integration id,
// or its record would shadow (and, by de-duplication, suppress) the real
// revision the integration pulls.
func localSource(src model.Source, i, n int) model.Problems {
	p := "source."
	if n > 1 {
		p = "[" + strconv.Itoa(i) + "].source."
	}
	var ps model.Problems
	if _, err := pos.Lookup(src.Vendor); err == nil {
		ps = append(ps, model.Problem{Path: p + "vendor", Message: fmt.Sprintf("%q is a POS integration's vendor; local capture uses its own name, e.g. \"local\" or the terminal's brand", src.Vendor)})
	}
	if strings.HasPrefix(strings.ToLower(src.Vendor), "terminal:") {
		ps = append(ps, model.Problem{Path: p + "vendor", Message: fmt.Sprintf("%q names a till that aura-edge captures itself; local capture uses its own name, e.g. \"local\" or the terminal's brand", src.Vendor)})
	}
	if src.IntegrationID != "" {
		ps = append(ps, model.Problem{Path: p + "integration_id", Message: "is set only by POS integrations, not by local capture"})
	}
	return ps
}
