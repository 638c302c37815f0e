package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/store"
)

// BenchmarkCaptureWrittenFixedBatch captures b.N 1 KiB orders in commits
// of exactly 32 (as 32 clients share a Batch commit when the disk keeps
// up) and reports the bytes handed to write(2) per order: the pages each
// order dirties, a figure neither the load nor the batch sizes the load
// makes can move. External ids are sequential (a till's order numbers:
// the dedupe keys then append) or random (Square's, Toast's GUIDs: every
// key lands on a random page).
func BenchmarkCaptureWrittenFixedBatch(b *testing.B) {
	b.Run("sequential", func(b *testing.B) { benchWritten(b, func(k int) string { return fmt.Sprintf("W-%09d", k) }) })
	b.Run("random", func(b *testing.B) {
		benchWritten(b, func(k int) string {
			h := sha256.Sum256([]byte(strconv.Itoa(k)))
			return hex.EncodeToString(h[:12])
		})
	})
}

func benchWritten(b *testing.B, ext func(int) string) {
	const per = 32
	in, _ := newIngest(b)
	note := strings.Repeat("x", 1024-len(mustJSON(b, order(model.Source{Vendor: "local", ExternalID: "W-000000000"}, ""))))
	b.ResetTimer()
	w0 := writtenBytes()
	for i := 0; i < b.N; i += per {
		orders := make([]model.Order, 0, per)
		for k := i; k < min(i+per, b.N); k++ {
			orders = append(orders, order(model.Source{Vendor: "local", ExternalID: ext(k)}, note))
		}
		if ps := PrepareOrders(orders); len(ps) > 0 {
			b.Fatal(ps)
		}
		err := in.db.Update(func(tx *store.Tx) error {
			_, _, err := in.CaptureTx(tx, orders, nil)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// The subjects index's changes are merged later, many per commit:
	// what that writes is the captures' too.
	in.ob.WaitMerge()
	if err := in.ob.MergeSubjects(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if w := writtenBytes() - w0; w > 0 {
		b.ReportMetric(float64(w)/float64(b.N), "written_B/order")
	}
}
