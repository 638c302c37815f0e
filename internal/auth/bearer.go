package auth

import (
	"fmt"
	"strings"
)

// ParseBearer extracts the token from an Authorization header value
// ("Bearer <token>", scheme case-insensitive, RFC 6750). An empty header
// gives ErrNoToken, anything else that is not a Bearer token68 gives
// ErrMalformedToken. Errors never quote the header, which may hold a
// secret.
func ParseBearer(header string) (string, error) {
	if strings.TrimSpace(header) == "" {
		return "", ErrNoToken
	}
	scheme, rest, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("%w: want \"Authorization: Bearer <token>\"", ErrMalformedToken)
	}
	tok := strings.Trim(rest, " ")
	if tok == "" {
		return "", fmt.Errorf("%w: empty token after Bearer", ErrMalformedToken)
	}
	if !isToken68(tok) {
		return "", fmt.Errorf("%w: token has characters a bearer token cannot have", ErrMalformedToken)
	}
	return tok, nil
}

// isToken68 checks RFC 7235's token68: 1*( ALPHA / DIGIT / "-" / "." /
// "_" / "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
