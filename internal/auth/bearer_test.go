package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestParseBearer(t *testing.T) {
	const tok = "ae_abcDEF123-_"
	for _, tc := range []struct {
		header, want string
		err          error
	}{
		{"Bearer " + tok, tok, nil},
		{"bearer " + tok, tok, nil},
		{"BEARER  " + tok + " ", tok, nil},
		{"Bearer abc+/==", "abc+/==", nil},
		{"", "", ErrNoToken},
		{"   ", "", ErrNoToken},
		{"Bearer", "", ErrMalformedToken},
		{"Bearer ", "", ErrMalformedToken},
		{tok, "", ErrMalformedToken},
		{"Basic dXNlcjpwYXNz", "", ErrMalformedToken},
		{"Bearer a b", "", ErrMalformedToken},
		{"Bearer =abc", "", ErrMalformedToken},
		{"Bearer ab=c", "", ErrMalformedToken},
		{"Bearer\t" + tok, "", ErrMalformedToken},
		{"Bearer " + tok + "\x00", "", ErrMalformedToken},
		{"Bearer ünïcode", "", ErrMalformedToken},
	} {
		got, err := ParseBearer(tc.header)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("ParseBearer(%q) = %q, %v; want %q, %v", tc.header, got, err, tc.want, tc.err)
		}
		if err != nil && (strings.Contains(err.Error(), "abc") || strings.Contains(err.Error(), "dXNl")) {
			t.Errorf("error quotes the header: %v", err)
		}
	}
}

func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"Bearer ae_abc", "bearer x", "", "Bearer", "Basic x", "Bearer a==", "Bearer  a  ", "Bearer \xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := ParseBearer(h)
		if err != nil {
			if tok != "" {
				t.Fatalf("token %q with error %v", tok, err)
			}
			if !errors.Is(err, ErrNoToken) && !errors.Is(err, ErrMalformedToken) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if tok == "" || !isToken68(tok) || strings.ContainsAny(tok, " \t\r\n") {
			t.Fatalf("accepted bad token %q from %q", tok, h)
		}
		// Round trip: the canonical header yields the same token.
		if again, err := ParseBearer("Bearer " + tok); err != nil || again != tok {
			t.Fatalf("round trip of %q: %q, %v", tok, again, err)
		}
	})
}
