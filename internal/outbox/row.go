package outbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	"github.com/google/uuid"
)

// A stored row (value of <stream>/rows, key store.U64(seq)):
//
//	[0]      version (1)
//	[1:17]   id, the UUIDv7 bytes
//	[17:25]  append time, Unix ns (big endian int64)
//	[25:33]  subject seq
//	[33:37]  attempts
//	[37:45]  first attempt, Unix ns (0 = never)
//	[45:53]  last attempt, Unix ns (0 = never)
//	uvarint len + type, uvarint len + subject, then data to the end
//
// The attempt fields have a fixed width so MarkAttempt rewrites them in place
// and a row's size never changes after append.
const (
	rowVersion   = 1
	rowHeader    = 53
	offAttempts  = 33
	offFirst     = 37
	offLast      = 45
	keyOverhead  = 8 // the U64 key, counted in StreamStats.Bytes
	maxKeyLength = 1024
)

var errShortRow = errors.New("short row")

// rowSize is the stored size of a row plus its key.
func rowSize(e *Entry) int64 {
	return int64(rowHeader + uvarintLen(len(e.Type)) + len(e.Type) +
		uvarintLen(len(e.Subject)) + len(e.Subject) + len(e.Data) + keyOverhead)
}

func uvarintLen(n int) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], uint64(n))
}

func encodeRow(id uuid.UUID, at time.Time, subjectSeq uint64, e *Entry) []byte {
	b := make([]byte, rowHeader, rowSize(e)-keyOverhead)
	b[0] = rowVersion
	copy(b[1:17], id[:])
	binary.BigEndian.PutUint64(b[17:25], uint64(unixNano(at)))
	binary.BigEndian.PutUint64(b[25:33], subjectSeq)
	// attempts and attempt times start at zero.
	b = binary.AppendUvarint(b, uint64(len(e.Type)))
	b = append(b, e.Type...)
	b = binary.AppendUvarint(b, uint64(len(e.Subject)))
	b = append(b, e.Subject...)
	return append(b, e.Data...)
}

// decodeRow copies v into a Row.
func decodeRow(stream Stream, seq uint64, v []byte) (Row, error) {
	if len(v) < rowHeader || v[0] != rowVersion {
		return Row{}, errShortRow
	}
	id, _ := uuid.FromBytes(v[1:17])
	r := Row{
		Stream:       stream,
		Seq:          seq,
		ID:           id.String(),
		Time:         fromUnixNano(int64(binary.BigEndian.Uint64(v[17:25]))),
		SubjectSeq:   binary.BigEndian.Uint64(v[25:33]),
		Attempts:     int(binary.BigEndian.Uint32(v[offAttempts:])),
		FirstAttempt: fromUnixNano(int64(binary.BigEndian.Uint64(v[offFirst:]))),
		LastAttempt:  fromUnixNano(int64(binary.BigEndian.Uint64(v[offLast:]))),
	}
	rest := v[rowHeader:]
	typ, rest, ok := readString(rest)
	if !ok {
		return Row{}, errShortRow
	}
	subject, rest, ok := readString(rest)
	if !ok {
		return Row{}, errShortRow
	}
	r.Type, r.Subject, r.Data = typ, subject, bytes.Clone(rest)
	return r, nil
}

// decodeRowInto is decodeRow into r, reusing r's Data buffer, and its Type
// and Subject when the stored ones are the same.
func decodeRowInto(r *Row, stream Stream, seq uint64, v []byte) error {
	if len(v) < rowHeader || v[0] != rowVersion {
		return errShortRow
	}
	rest := v[rowHeader:]
	typ, rest, ok := readBytes(rest)
	if !ok {
		return errShortRow
	}
	subject, rest, ok := readBytes(rest)
	if !ok {
		return errShortRow
	}
	id, _ := uuid.FromBytes(v[1:17])
	r.Stream, r.Seq, r.ID = stream, seq, id.String()
	r.Time = fromUnixNano(int64(binary.BigEndian.Uint64(v[17:25])))
	r.SubjectSeq = binary.BigEndian.Uint64(v[25:33])
	r.Attempts = int(binary.BigEndian.Uint32(v[offAttempts:]))
	r.FirstAttempt = fromUnixNano(int64(binary.BigEndian.Uint64(v[offFirst:])))
	r.LastAttempt = fromUnixNano(int64(binary.BigEndian.Uint64(v[offLast:])))
	if string(typ) != r.Type {
		r.Type = string(typ)
	}
	if string(subject) != r.Subject {
		r.Subject = string(subject)
	}
	r.Data = append(r.Data[:0], rest...)
	return nil
}

func readBytes(b []byte) ([]byte, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}

// rowTime returns a stored row's append time without decoding the rest.
func rowTime(v []byte) time.Time {
	if len(v) < rowHeader {
		return time.Time{}
	}
	return fromUnixNano(int64(binary.BigEndian.Uint64(v[17:25])))
}

// markAttempt records one more attempt at t in the stored row v, in place.
func markAttempt(v []byte, t time.Time) bool {
	if len(v) < rowHeader || v[0] != rowVersion {
		return false
	}
	n := binary.BigEndian.Uint32(v[offAttempts:])
	if n < ^uint32(0) {
		n++
	}
	binary.BigEndian.PutUint32(v[offAttempts:], n)
	if binary.BigEndian.Uint64(v[offFirst:]) == 0 {
		binary.BigEndian.PutUint64(v[offFirst:], uint64(unixNano(t)))
	}
	binary.BigEndian.PutUint64(v[offLast:], uint64(unixNano(t)))
	return true
}

func readString(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", nil, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}

// unixNano maps the zero time to 0 so "never" survives a round trip.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// A dedupe record (value of keys, key DedupeKey):
//
//	[0]      version (1)
//	[1:9]    seq
//	[9:17]   subject seq
//	[17:33]  id
//	[33:41]  append time, Unix ns
//	[41:49]  position in keyorder
//	[49:]    stream name
type dedupeRec struct {
	stream     Stream
	seq        uint64
	subjectSeq uint64
	id         uuid.UUID
	at         int64
	order      uint64
}

const dedupeHeader = 49

func (d *dedupeRec) encode() []byte {
	b := make([]byte, dedupeHeader, dedupeHeader+len(d.stream))
	b[0] = 1
	binary.BigEndian.PutUint64(b[1:9], d.seq)
	binary.BigEndian.PutUint64(b[9:17], d.subjectSeq)
	copy(b[17:33], d.id[:])
	binary.BigEndian.PutUint64(b[33:41], uint64(d.at))
	binary.BigEndian.PutUint64(b[41:49], d.order)
	return append(b, d.stream...)
}

func decodeDedupe(v []byte) (dedupeRec, bool) {
	if len(v) < dedupeHeader || v[0] != 1 {
		return dedupeRec{}, false
	}
	d := dedupeRec{
		stream:     Stream(v[dedupeHeader:]),
		seq:        binary.BigEndian.Uint64(v[1:9]),
		subjectSeq: binary.BigEndian.Uint64(v[9:17]),
		at:         int64(binary.BigEndian.Uint64(v[33:41])),
		order:      binary.BigEndian.Uint64(v[41:49]),
	}
	copy(d.id[:], v[17:33])
	return d, d.stream.Valid()
}

func (d *dedupeRec) appended() Appended {
	return Appended{ID: d.id.String(), Stream: d.stream, Seq: d.seq, SubjectSeq: d.subjectSeq, Duplicate: true}
}

// A subject record (value of subjects, key Subject): last SubjectSeq, the
// last use in Unix ns, then (since the layout with subject refs) the
// caller's ref (SetSubjectRef), all big endian. A record of 16 bytes was
// written before refs existed and has ref 0.
func encodeSubject(seq uint64, at int64, ref uint64) []byte {
	if ref == 0 {
		b := make([]byte, 16)
		binary.BigEndian.PutUint64(b[:8], seq)
		binary.BigEndian.PutUint64(b[8:], uint64(at))
		return b
	}
	b := make([]byte, 24)
	binary.BigEndian.PutUint64(b[:8], seq)
	binary.BigEndian.PutUint64(b[8:16], uint64(at))
	binary.BigEndian.PutUint64(b[16:], ref)
	return b
}

// isSubject tells a subject record from a scoped dedupe record kept in the
// same bucket (scopedKey).
func isSubject(v []byte) bool { return len(v) == 16 || len(v) == 24 }

func decodeSubject(v []byte) (seq uint64, at int64, ref uint64) {
	switch len(v) {
	case 16:
		return binary.BigEndian.Uint64(v[:8]), int64(binary.BigEndian.Uint64(v[8:])), 0
	case 24:
		return binary.BigEndian.Uint64(v[:8]), int64(binary.BigEndian.Uint64(v[8:16])), binary.BigEndian.Uint64(v[16:])
	}
	return 0, 0, 0
}
