package pos

import (
	"encoding/json"
	"errors"
	"fmt"
)

// MaxRejectedRaw bounds the vendor record kept with a Rejected (bytes); a
// longer record is kept truncated (RawTruncated is set).
const MaxRejectedRaw = 64 << 10

// Rejected is a pulled record that could not become an Aura order or
// payment. Adapters return it in PullResult.Rejected instead of dropping
// it; the host audits it and keeps it for a person to look at.
type Rejected struct {
	// Kind is "order" or "payment".
	Kind string `json:"kind"`
	// VendorID is the vendor's id of the record, when it could be read.
	VendorID string `json:"vendor_id,omitempty"`
	// Reason says what is wrong with the record, in words.
	Reason string `json:"reason"`
	// Raw is the vendor's record as received (JSON), when there is one.
	Raw json.RawMessage `json:"raw,omitempty"`
	// RawTruncated is set when Raw was cut at MaxRejectedRaw (and is then
	// not valid JSON on its own; it is kept as a JSON string).
	RawTruncated bool `json:"raw_truncated,omitempty"`
}

// Reject records that the record raw (JSON, may be nil) of the given kind
// ("order" or "payment") and vendor id could not be represented because
// of err. Adapters call it where they used to log and skip.
func (r *PullResult) Reject(kind, vendorID string, raw []byte, err error) {
	rj := Rejected{Kind: kind, VendorID: vendorID, Reason: "rejected without a reason"}
	if err != nil {
		rj.Reason = err.Error()
	}
	switch {
	case len(raw) == 0:
	case len(raw) > MaxRejectedRaw:
		s, _ := json.Marshal(string(raw[:MaxRejectedRaw]))
		rj.Raw, rj.RawTruncated = s, true
	case json.Valid(raw):
		rj.Raw = append(json.RawMessage(nil), raw...)
	default:
		s, _ := json.Marshal(string(raw))
		rj.Raw = s
	}
	r.Rejected = append(r.Rejected, rj)
}

// RejectValue is Reject for a record the adapter holds decoded (v is
// marshalled to JSON; a value that does not marshal is kept without Raw).
func (r *PullResult) RejectValue(kind, vendorID string, v any, err error) {
	raw, merr := json.Marshal(v)
	if merr != nil {
		raw = nil
	}
	r.Reject(kind, vendorID, raw, err)
}

// Unreadable is the error for a vendor record that does not decode: it
// names the field and what was found, in words rather than the decoder's
// Go types.
func Unreadable(what string, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("the %s cannot be read: field %q holds a %s where the vendor documents something else", what, te.Field, te.Value)
	case errors.As(err, &te):
		return fmt.Errorf("the %s cannot be read: it is a %s, not an object", what, te.Value)
	case errors.As(err, &se):
		return fmt.Errorf("the %s cannot be read: not valid JSON at byte %d", what, se.Offset)
	case err == nil:
		return fmt.Errorf("the %s cannot be read", what)
	}
	return fmt.Errorf("the %s cannot be read: %w", what, err)
}
