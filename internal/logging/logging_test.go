package logging

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestProblems(t *testing.T) {
	tests := []struct {
		s    Section
		want []Problem
	}{
		{Defaults(), nil},
		{Section{Level: "WARN", Format: "json"}, nil},
		{Section{Level: "loud", Format: "xml"}, []Problem{
			{"level", `must be debug, info, warn or error (got "loud")`}, {"format", `must be text or json (got "xml")`}}},
	}
	for _, tt := range tests {
		if got := tt.s.Problems(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v: got %q, want %q", tt.s, got, tt.want)
		}
	}
}

// TestNew: what Problems accepts, New builds, at that level and format.
func TestNew(t *testing.T) {
	var b bytes.Buffer
	log, err := New(&b, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown")
	if out := b.String(); strings.Contains(out, "hidden") || !strings.Contains(out, `"msg":"shown"`) {
		t.Fatalf("output: %s", out)
	}
	if _, err := New(&b, "loud", "text"); err == nil {
		t.Fatal("unknown level accepted")
	}
	if _, err := New(&b, "info", "xml"); err == nil {
		t.Fatal("unknown format accepted")
	}
}
