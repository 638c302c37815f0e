package secrets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSecretRedacted(t *testing.T) {
	const plain = "sq0csp-very-secret"
	s := Secret(plain)
	type cfg struct {
		Token Secret            `json:"token" yaml:"token"`
		Creds map[string]Secret `json:"creds" yaml:"creds"`
	}
	c := cfg{Token: s, Creds: map[string]Secret{"access_token": s}}

	var outs []string
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%d", "%10s"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, c), fmt.Sprintf(verb, &c))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintln(c), s.String(), s.GoString())
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(y))
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		l := slog.New(h)
		l.Info("connect", "token", s, "creds", c.Creds, "cfg", c)
		l.Info("connect", slog.Any("token", s), slog.Group("g", "t", s))
	}
	outs = append(outs, logs.String())
	for _, o := range outs {
		if strings.Contains(o, plain) {
			t.Errorf("secret leaked: %s", o)
		}
	}
	if !strings.Contains(string(j), `"token":"[redacted]"`) || !strings.Contains(logs.String(), "token=[redacted]") {
		t.Errorf("redaction marker missing:\n%s\n%s", j, logs.String())
	}
	if s.Reveal() != plain {
		t.Fatal("Reveal lost the value")
	}

	// Decoding fills a Secret normally.
	var d cfg
	if err := json.Unmarshal([]byte(`{"token":"abc","creds":{"k":"v"}}`), &d); err != nil || d.Token.Reveal() != "abc" || d.Creds["k"].Reveal() != "v" {
		t.Fatalf("json decode: %v", err)
	}
	if err := yaml.Unmarshal([]byte("token: def\n"), &d); err != nil || d.Token.Reveal() != "def" {
		t.Fatalf("yaml decode: %v", err)
	}
}
