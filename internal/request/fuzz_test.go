package request

import (
	"errors"
	"strings"
	"testing"
)

// FuzzConfigSet feeds arbitrary bodies to the decoder and the config.set
// check: nothing panics, every refusal is an *Error with a code, and no
// message speaks Go.
func FuzzConfigSet(f *testing.F) {
	for _, s := range []string{
		`{"set":{"printers.front.auto_print":"kitchen"},"by":"Maria"}`,
		`{"set":{"integrations.sq-1.poll_interval":null}}`,
		`{"set":{"a.b":1}}`, `{"set":[]}`, `{"set":{}}`, `{"by":5}`, `{"set":{"printers..auto_print":""}}`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req ConfigSet
		err := Decode(body, &req)
		if err == nil {
			err = req.Validate()
			if err == nil {
				return
			}
		}
		var re *Error
		if !errors.As(err, &re) || re.Code == "" || re.Message == "" {
			t.Fatalf("refusal without a code: %v", err)
		}
		// The user's own key is echoed (it may look like anything).
		msg := re.Message
		if re.Field != "" {
			msg = strings.ReplaceAll(msg, re.Field, "")
			msg = strings.ReplaceAll(msg, strings.TrimPrefix(re.Field, "set."), "")
		}
		if Plain(msg) != msg || strings.Contains(msg, "json:") {
			t.Fatalf("message speaks Go: %q", re.Message)
		}
	})
}
