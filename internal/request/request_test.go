package request

import (
	"errors"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct{ body, code, says, field string }{
		{`{"printer":"front","kind":"test"}`, "", "", ""},
		{``, "bad_json", "the body is empty", ""},
		{`{"printer":`, "bad_json", "ends too early", ""},
		{`{"printer":5}`, "bad_type", "printer: must be text, not a number", "printer"},
		{`{"printer":"a","colour":"red"}`, "unknown_field", "colour: is not a field of this request", "colour"},
		{`{"printer":"a"} {}`, "bad_json", "more data after the JSON value", ""},
		{`[1]`, "bad_type", "the body must be an object, not a list", ""},
	} {
		var p Print
		err := Decode([]byte(tc.body), &p)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.body, err)
			}
			continue
		}
		var re *Error
		if !errors.As(err, &re) || re.Code != tc.code || !strings.Contains(re.Message, tc.says) || re.Field != tc.field {
			t.Errorf("%s: %+v, want %s %q at %q", tc.body, err, tc.code, tc.says, tc.field)
		}
	}
}

func TestPrintValidate(t *testing.T) {
	for _, tc := range []struct {
		req  Print
		code string
	}{
		{Print{Printer: "front", Kind: "test"}, ""},
		{Print{Printer: "front", Kind: "receipt", OrderID: "ord_1"}, ""},
		{Print{Kind: "test"}, "missing_printer"},
		{Print{Printer: "front"}, "missing_kind"},
		{Print{Printer: "front", Kind: "raw"}, "bad_kind"},
		{Print{Printer: "front", Kind: "receipt"}, "missing_order"},
		{Print{Printer: "front", Kind: "test", JobID: strings.Repeat("x", 500)}, "bad_job_id"},
	} {
		err := tc.req.Validate([]string{"front"})
		var re *Error
		if (tc.code == "") != (err == nil) || (err != nil && (!errors.As(err, &re) || re.Code != tc.code)) {
			t.Errorf("%+v: %v, want %q", tc.req, err, tc.code)
		}
	}
}

func TestConfigSetValidate(t *testing.T) {
	v := "kitchen"
	for _, tc := range []struct {
		req  ConfigSet
		says string
	}{
		{ConfigSet{Set: map[string]*string{"printers.front.auto_print": &v}}, ""},
		{ConfigSet{Set: map[string]*string{"printers.front.auto_print": nil}}, ""},
		{ConfigSet{}, "name at least one setting"},
		{ConfigSet{Set: map[string]*string{"cloud.broker": &v}}, `"cloud.broker" cannot be changed at runtime`},
	} {
		err := tc.req.Validate()
		if (tc.says == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.says)) {
			t.Errorf("%+v: %v, want %q", tc.req, err, tc.says)
		}
	}
}
