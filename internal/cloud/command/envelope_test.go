package command

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

func TestDecodeCommand(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		code    string // "" means it decodes
		data    string // expected exact data bytes
	}{
		{"minimal", `{"specversion":"1.0","id":"a","type":"ping"}`, "", ""},
		{"data kept byte for byte", `{"specversion":"1.0","id":"a","type":"print","data": { "b" : [1, 2.50, "\u00e9"] } }`, "", `{ "b" : [1, 2.50, "\u00e9"] }`},
		{"data null", `{"specversion":"1.0","id":"a","type":"print","data":null}`, "", `null`},
		{"extensions ignored", `{"specversion":"1.0","id":"a","type":"ping","traceparent":"00-x","n":[1]}`, "", ""},
		{"not json", `hello`, CodeMalformed, ""},
		{"not an object", `["ping"]`, CodeMalformed, ""},
		{"truncated", `{"specversion":"1.0","id":"a"`, CodeMalformed, ""},
		{"trailing data", `{"specversion":"1.0","id":"a","type":"ping"} {}`, CodeMalformed, ""},
		{"duplicate member", `{"specversion":"1.0","id":"a","id":"b","type":"ping"}`, CodeMalformed, ""},
		{"duplicate data", `{"specversion":"1.0","id":"a","type":"ping","data":1,"data":2}`, CodeMalformed, ""},
		{"wrong specversion", `{"specversion":"0.3","id":"a","type":"ping"}`, CodeMalformed, ""},
		{"missing id", `{"specversion":"1.0","type":"ping"}`, CodeMalformed, ""},
		{"missing type", `{"specversion":"1.0","id":"a"}`, CodeMalformed, ""},
		{"id not a string", `{"specversion":"1.0","id":7,"type":"ping"}`, CodeMalformed, ""},
		{"newline in id", `{"specversion":"1.0","id":"a\nb","type":"ping"}`, CodeMalformed, ""},
		{"newline in type", `{"specversion":"1.0","id":"a","type":"ping\nx"}`, CodeMalformed, ""},
		{"long id", `{"specversion":"1.0","id":"` + strings.Repeat("a", 201) + `","type":"ping"}`, CodeMalformed, ""},
		{"bad time", `{"specversion":"1.0","id":"a","type":"ping","time":"yesterday"}`, CodeMalformed, ""},
		{"bad expires", `{"specversion":"1.0","id":"a","type":"ping","expires":"2026-13-01T00:00:00Z"}`, CodeMalformed, ""},
		{"too large", `{"specversion":"1.0","id":"a","type":"ping","data":"` + strings.Repeat("x", MaxSize) + `"}`, CodeTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := Decode([]byte(tt.payload))
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if string(env.Data) != tt.data {
					t.Errorf("data %q, want %q", env.Data, tt.data)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Code != tt.code || !errors.Is(err, ErrRefused) {
				t.Fatalf("error %v, want code %s", err, tt.code)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	v, err := newVerifier(testStore, []string{testKeyB64()}, allowUnsigned)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tests := []struct {
		name   string
		env    *Envelope
		code   string // "" means accepted
		signed bool
	}{
		{"signed", signed(command("print", "c1", `{"a":1}`, nil)), "", true},
		{"signed without keyid", alter(signed(command("print", "c2", `{"a":1}`, nil)), func(e *Envelope) { e.KeyID = "" }), "", true},
		{"signed without data", signed(command("print", "c3", "", nil)), "", true},
		{"unsigned allowed", command("ping", "c4", "", nil), "", false},
		{"unsigned refused", command("print", "c5", `{}`, nil), CodeUnsigned, false},
		{"signed allowed-unsigned type is still checked", alter(signed(command("ping", "c6", "", nil)), func(e *Envelope) { e.ID = "c6x" }), CodeBadSignature, false},
		{"other key", signedBy(command("print", "c7", `{}`, nil), false), CodeBadSignature, false},
		{"other key named", signedBy(command("print", "c8", `{}`, nil), true), CodeUnknownKey, false},
		{"altered data", alter(signed(command("print", "c9", `{"n":1}`, nil)), func(e *Envelope) { e.Data = json.RawMessage(`{"n":2}`) }), CodeBadSignature, false},
		{"altered id", alter(signed(command("print", "c10", `{}`, nil)), func(e *Envelope) { e.ID = "c11" }), CodeBadSignature, false},
		{"altered type", alter(signed(command("print", "c12", `{}`, nil)), func(e *Envelope) { e.Type = "menu.push" }), CodeBadSignature, false},
		{"altered expires", alter(signed(command("print", "c13", `{}`, nil)), func(e *Envelope) { e.Expires = "2099-01-01T00:00:00Z" }), CodeBadSignature, false},
		{"other store", alter(command("print", "c14", `{}`, nil), func(e *Envelope) { e.Sign("store-2", testKey) }), CodeBadSignature, false},
		{"signature not base64", alter(signed(command("print", "c15", `{}`, nil)), func(e *Envelope) { e.Signature = "!!" }), CodeBadSignature, false},
		{"signature too short", alter(signed(command("print", "c16", `{}`, nil)), func(e *Envelope) { e.Signature = "AAAA" }), CodeBadSignature, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Through the wire form, as the link sees it.
			env, err := Decode(marshal(t, tt.env))
			if err != nil {
				t.Fatal(err)
			}
			signed, keyID, cerr := v.verify(env)
			if tt.code == "" {
				if cerr != nil {
					t.Fatalf("refused: %v", cerr)
				}
				if signed != tt.signed || (signed && keyID != KeyID(testKey.Public().(ed25519.PublicKey))) {
					t.Errorf("signed %v key %q", signed, keyID)
				}
				if _, cerr := checkExpiry(env, signed, now); cerr != nil {
					t.Errorf("expiry: %v", cerr)
				}
				return
			}
			if cerr == nil || cerr.Code != tt.code || cerr.Status != StatusRejected {
				t.Fatalf("got %v, want %s", cerr, tt.code)
			}
		})
	}
}

func TestCheckExpiry(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		expires string
		signed  bool
		code    string
	}{
		{"2026-05-01T12:00:01Z", true, ""},
		{"2026-05-01T12:00:00Z", true, CodeExpired},
		{"2026-05-01T13:59:00+02:00", true, CodeExpired},
		{"", true, CodeExpired},
		{"", false, ""},
		{"2026-05-01T11:00:00Z", false, CodeExpired},
		{"2026-05-02T12:00:00Z", true, ""},           // a day ahead: fine
		{"2026-05-03T12:00:00Z", true, CodeExpired},  // two days ahead: too long-lived
		{"2036-05-01T12:00:00Z", false, CodeExpired}, // years ahead
	} {
		_, cerr := checkExpiry(&Envelope{Expires: tt.expires}, tt.signed, now)
		if (cerr == nil) != (tt.code == "") || (cerr != nil && cerr.Code != tt.code) {
			t.Errorf("expires %q signed %v: %v, want %q", tt.expires, tt.signed, cerr, tt.code)
		}
	}
}

func TestParsePublicKey(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{base64.StdEncoding.EncodeToString(pub), base64.StdEncoding.EncodeToString(spki), " " + testKeyB64() + "\n"} {
		k, err := ParsePublicKey(s)
		if err != nil || !k.Equal(pub) {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"", "YWJj", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 44))} {
		if _, err := ParsePublicKey(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

// The test vector in SIGNING.md.
const (
	vectorSeed   = "aura-edge signing.md test vector" // 32 bytes
	vectorStore  = "store-1"
	vectorSigned = "aura-cmd-v1\n0191b4a2-7c1e-7a3b-9f00-5c2d8e4f6a10\nprint\nstore-1\n2026-05-01T12:00:00Z\n2026-05-01T12:05:00Z\n"
)

// TestSigningVector checks the worked example in SIGNING.md: signed bytes,
// key id and signature.
func TestSigningVector(t *testing.T) {
	key := ed25519.NewKeyFromSeed([]byte(vectorSeed))
	env := &Envelope{
		SpecVersion: "1.0", ID: "0191b4a2-7c1e-7a3b-9f00-5c2d8e4f6a10", Source: "aura-cloud", Type: "print",
		Time: "2026-05-01T12:00:00Z", DataContentType: "application/json", Expires: "2026-05-01T12:05:00Z",
		Data: json.RawMessage(`{"printer":"front","text":"Hello"}`),
	}
	env.Sign(vectorStore, key)
	signedBytes := string(SignedBytes(env.ID, env.Type, vectorStore, env.Time, env.Expires, env.Data))
	doc, err := os.ReadFile("SIGNING.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
		env.KeyID,
		env.Signature,
		signedBytes[strings.LastIndexByte(signedBytes, '\n')+1:], // the data hash
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("SIGNING.md lacks %q", want)
		}
	}
	if !strings.HasPrefix(signedBytes, vectorSigned) {
		t.Errorf("signed bytes %q", signedBytes)
	}
	b, _ := env.Marshal()
	v, _ := newVerifier(vectorStore, []string{base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))}, nil)
	dec, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, cerr := v.verify(dec); cerr != nil {
		t.Fatal(cerr)
	}
	if !bytes.Contains(doc, b) {
		t.Errorf("SIGNING.md lacks the payload %s", b)
	}
}

// TestOpenSSLExample runs SIGNING.md's shell example (testdata/sign-command.sh,
// which SIGNING.md quotes verbatim) with a key made by openssl, and checks
// that the link accepts the result.
func TestOpenSSLExample(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("testdata", "sign-command.sh"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("SIGNING.md")
	if err != nil {
		t.Fatal(err)
	}
	body := script[bytes.Index(script, []byte("set -eu")):]
	if !bytes.Contains(doc, body) {
		t.Error("SIGNING.md does not quote testdata/sign-command.sh verbatim")
	}
	testkit.Need(t, "openssl", "apt-get install openssl")
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	if out, err := exec.Command("openssl", "genpkey", "-algorithm", "ed25519", "-out", key).CombinedOutput(); err != nil {
		t.Fatalf("genpkey: %v %s", err, out)
	}
	spki, err := exec.Command("sh", "-c", `openssl pkey -in "$0" -pubout -outform DER | openssl base64 -A`, key).Output()
	if err != nil {
		t.Fatal(err)
	}
	v, err := newVerifier("store-9", []string{string(spki)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", filepath.Join("testdata", "sign-command.sh"))
	cmd.Env = append(os.Environ(), "KEY="+key, "STORE_ID=store-9", "TYPE=print", `DATA={"printer":"front", "text":"Grüße"}`)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("script: %v", err)
	}
	env, err := Decode(out)
	if err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	signed, keyID, cerr := v.verify(env)
	if cerr != nil || !signed {
		t.Fatalf("openssl-signed command refused: %v\n%s", cerr, out)
	}
	if _, cerr := checkExpiry(env, signed, time.Now()); cerr != nil {
		t.Fatal(cerr)
	}
	pub, _ := ParsePublicKey(string(spki))
	if keyID != KeyID(pub) {
		t.Errorf("key id %q, want %q", keyID, KeyID(pub))
	}
}

// FuzzCommandEnvelope feeds arbitrary payloads to the decoder and the
// verifier: nothing panics, decoded data is the payload's own bytes and
// valid JSON, an envelope survives Marshal and Decode unchanged, and
// nothing the fuzzer makes up verifies unless the test key signed exactly
// those bytes.
func FuzzCommandEnvelope(f *testing.F) {
	v, err := newVerifier(testStore, []string{testKeyB64()}, allowUnsigned)
	if err != nil {
		f.Fatal(err)
	}
	signedByUs := map[string]bool{}
	seed := func(env *Envelope) {
		b, err := env.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		if env.Signature != "" {
			signedByUs[string(SignedBytes(env.ID, env.Type, testStore, env.Time, env.Expires, env.Data))] = true
		}
		f.Add(b)
	}
	seed(signed(command("print", "f1", `{"printer":"front","text":"x"}`, nil)))
	seed(signed(command("menu.push", "f2", `[1,2,{"a":null}]`, nil)))
	seed(signed(command("orders.sync", "f3", "", nil)))
	seed(alter(signed(command("print", "f4", `{}`, nil)), func(e *Envelope) { e.KeyID = "" }))
	seed(command("ping", "f5", "", nil))
	seed(signedBy(command("print", "f6", `{}`, nil), true))
	for _, s := range []string{``, `{}`, `[]`, `{"specversion":"1.0"}`, `{"id":1}`, `{"specversion":"1.0","id":"x","type":"ping","data":`, `{"a":{"b":[[[[]]]]}}`, `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		_ = bestEffortID(nil, payload)
		env, err := Decode(payload)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.Code == "" {
				t.Fatalf("error without a code: %v", err)
			}
			_ = bestEffortID(env, payload)
			return
		}
		if env.ID == "" || env.Type == "" {
			t.Fatal("decoded without id or type")
		}
		if env.Data != nil && (!json.Valid(env.Data) || !bytes.Contains(payload, env.Data)) {
			t.Fatalf("data %q is not the payload's own JSON", env.Data)
		}
		b, err := env.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) <= MaxSize {
			again, err := Decode(b)
			if err != nil {
				t.Fatalf("re-decode %s: %v", b, err)
			}
			if *envNoData(again) != *envNoData(env) || !bytes.Equal(again.Data, env.Data) {
				t.Fatalf("round trip changed the envelope: %+v vs %+v", again, env)
			}
		}
		signed, _, cerr := v.verify(env)
		if cerr == nil && signed && !signedByUs[string(SignedBytes(env.ID, env.Type, testStore, env.Time, env.Expires, env.Data))] {
			t.Fatalf("forged command verified: %s", payload)
		}
		_, _ = checkExpiry(env, signed, time.Now())
	})
}

// envNoData is env's string members, for comparing.
func envNoData(env *Envelope) *[9]string {
	return &[9]string{env.SpecVersion, env.ID, env.Source, env.Type, env.Time, env.DataContentType, env.Expires, env.KeyID, env.Signature}
}

// TestGoExample runs SIGNING.md's Go example (testdata/sign-command.go,
// quoted verbatim) and checks it prints the test vector.
func TestGoExample(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "sign-command.go"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("SIGNING.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, src) {
		t.Error("SIGNING.md does not quote testdata/sign-command.go verbatim")
	}
	goBin := testkit.Need(t, "go", "https://go.dev/dl")
	out, err := exec.Command(goBin, "run", filepath.Join("testdata", "sign-command.go")).Output()
	if err != nil {
		t.Fatalf("go run: %v", err)
	}
	key := ed25519.NewKeyFromSeed([]byte(vectorSeed))
	env := &Envelope{
		SpecVersion: "1.0", ID: "0191b4a2-7c1e-7a3b-9f00-5c2d8e4f6a10", Source: "aura-cloud", Type: "print",
		Time: "2026-05-01T12:00:00Z", DataContentType: "application/json", Expires: "2026-05-01T12:05:00Z",
		Data: json.RawMessage(`{"printer":"front","text":"Hello"}`),
	}
	env.Sign(vectorStore, key)
	want, _ := env.Marshal()
	if got := bytes.TrimSpace(out); !bytes.Equal(got, want) {
		t.Errorf("example prints\n%s\nwant\n%s", got, want)
	}
}
