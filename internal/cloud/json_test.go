package cloud

import (
	"encoding/json"
	"strings"
	"testing"
)

var jsonSeeds = []string{
	``, ` `, `null`, `true`, `false`, `tru`, `nul`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `1e`, `1e+`, `1E-7`, `-12.5e10`,
	`""`, `"a\"b"`, `"\u00e9\uD83D"`, `"\u12G4"`, `"\x"`, "\"\x01\"", "\"\xff\xfe\"", `"unterminated`,
	`{}`, `[]`, `{ }`, `[ ]`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{1:2}`, `[1,2,]`, `[1 2]`, `[,]`, `{"a":[{"b":null}]}`,
	`]`, `}`, `[}`, `{]`, ` [1] `, `[1] x`, `1 2`, "\t{\r\n}\n", `{"a":{"b":{"c":[[[]]]}}}`,
	// Strings longer than the 8-byte words scanString checks at once, with
	// the byte that needs attention at different places in a word.
	`"abcdefghij\"k"`, `"abcdefghijklmnop\u00e9xyz"`, "\"abcdefghi\x1fjk\"", "\"abcdefg\x7f\x80\xff\"", `"abcdefgh"`,
	`"abcdefghijklmno"`, `"abcdefghijklmnop`, `{"abcdefghijklmnop":"qrstuvwx\\yz","a":"1234567\n"}`, "\"12345678\x00\"",
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
}

func TestValidJSON(t *testing.T) {
	for _, s := range jsonSeeds {
		if got, want := validJSON([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%.40q) = %v, json.Valid says %v", s, got, want)
		}
	}
}

// FuzzValidJSON checks that validJSON agrees with encoding/json.Valid.
func FuzzValidJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	data := []byte(`{"id":"ord_123","lines":[{"sku":"A-1","qty":2,"price":{"amount":1250,"currency":"EUR"},"note":"no onions \u00e9"}],"pad":"` + strings.Repeat("x", 800) + `"}`)
	b.Run("validJSON", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			validJSON(data)
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			json.Valid(data)
		}
	})
}

// TestValidJSONWordEdges puts each byte that borders what scanString's
// 8-byte check lets through at every offset of a 24-byte string.
func TestValidJSONWordEdges(t *testing.T) {
	for _, c := range []byte{0x00, 0x1f, 0x20, 0x21, '"', 0x23, 0x5b, '\\', 0x5d, 0x7f, 0x80, 0xff} {
		for p := 0; p < 24; p++ {
			s := []byte(`"` + strings.Repeat("a", 24) + `"`)
			s[1+p] = c
			if got, want := validJSON(s), json.Valid(s); got != want {
				t.Errorf("validJSON(%q) = %v, json.Valid says %v", s, got, want)
			}
		}
	}
}
