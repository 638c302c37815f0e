package outbox

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestRowRoundTrip(t *testing.T) {
	id := uuid.Must(uuid.NewV7())
	at := time.Unix(1700000000, 123)
	for _, e := range []Entry{
		{Type: "com.auraconnect.order.v1", Subject: "ord_1", Data: []byte(`{"a":1}`)},
		{Type: "t"},
		{Type: "t", Subject: string(bytes.Repeat([]byte("s"), 300)), Data: bytes.Repeat([]byte("d"), 5000)},
	} {
		v := encodeRow(id, at, 7, &e)
		if int64(len(v)+keyOverhead) != rowSize(&e) {
			t.Fatalf("rowSize %d, encoded %d", rowSize(&e), len(v)+keyOverhead)
		}
		r, err := decodeRow(Orders, 3, v)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != id.String() || !r.Time.Equal(at) || r.SubjectSeq != 7 || r.Type != e.Type || r.Subject != e.Subject ||
			!bytes.Equal(r.Data, e.Data) || r.Seq != 3 || r.Attempts != 0 || !r.FirstAttempt.IsZero() {
			t.Fatalf("round trip: %+v", r)
		}
		v2 := bytes.Clone(v)
		if !markAttempt(v2, at.Add(time.Second)) || len(v2) != len(v) {
			t.Fatal("markAttempt failed")
		}
		r2, _ := decodeRow(Orders, 3, v2)
		if r2.Attempts != 1 || !r2.FirstAttempt.Equal(at.Add(time.Second)) || r2.Data == nil && e.Data != nil {
			t.Fatalf("after attempt: %+v", r2)
		}
	}
}

// FuzzDecodeRow feeds arbitrary bytes to the stored-format decoders: they
// must never panic, and a row that decodes must re-encode to the same bytes.
func FuzzDecodeRow(f *testing.F) {
	id := uuid.Must(uuid.NewV7())
	f.Add(encodeRow(id, time.Unix(1700000000, 0), 1, &Entry{Type: "t", Subject: "s", Data: []byte(`{}`)}))
	f.Add(encodeRow(id, time.Time{}, 0, &Entry{Type: "com.auraconnect.order.v1"}))
	d := dedupeRec{stream: Orders, seq: 1, subjectSeq: 2, id: id, at: 3, order: 4}
	f.Add(d.encode())
	f.Add([]byte{})
	f.Add([]byte{1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, v []byte) {
		if r, err := decodeRow(Orders, 1, v); err == nil {
			if r.Attempts == 0 && r.FirstAttempt.IsZero() && r.LastAttempt.IsZero() && v[0] == rowVersion {
				e := Entry{Type: r.Type, Subject: r.Subject, Data: r.Data}
				u := uuid.MustParse(r.ID)
				if got := encodeRow(u, r.Time, r.SubjectSeq, &e); !bytes.Equal(got, v) && isCanonical(v) {
					t.Fatalf("re-encode differs:\n%x\n%x", got, v)
				}
			}
			markAttempt(bytes.Clone(v), time.Now())
		}
		rowTime(v)
		if d, ok := decodeDedupe(v); ok {
			if got := d.encode(); !bytes.Equal(got, v) {
				t.Fatalf("dedupe re-encode differs:\n%x\n%x", got, v)
			}
		}
		decodeSubject(v)
	})
}

// isCanonical reports whether v uses minimal varints and zero attempt
// fields, the only form encodeRow writes.
func isCanonical(v []byte) bool {
	for _, b := range v[offAttempts:rowHeader] {
		if b != 0 {
			return false
		}
	}
	rest := v[rowHeader:]
	for range 2 {
		n, k := uvarintDecode(rest)
		if k != uvarintLen(int(n)) {
			return false
		}
		rest = rest[k+int(n):]
	}
	return true
}

func uvarintDecode(b []byte) (uint64, int) {
	var x uint64
	var s uint
	for i, c := range b {
		if c < 0x80 {
			return x | uint64(c)<<s, i + 1
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, 0
}
