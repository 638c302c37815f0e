package parse

// MaskPANs replaces all but the last four digits of anything that looks like
// a payment card number (a Luhn-valid run of 13 to 19 digits, possibly
// grouped with single spaces or dashes) with '*'. Other text is unchanged.
func MaskPANs(s string) string {
	var out []byte // allocated on the first mask
	i := 0
	for i < len(s) {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			i++
			continue
		}
		// collect a run of digits joined by single separators
		var pos []int // byte offsets of the digits
		j := i
		for j < len(s) {
			if isDigit(s[j]) {
				pos = append(pos, j)
				j++
				continue
			}
			if (s[j] == ' ' || s[j] == '-') && j+1 < len(s) && isDigit(s[j+1]) && len(pos) > 0 {
				j++
				continue
			}
			break
		}
		if masked := maskRun(s, pos); masked != nil {
			if out == nil {
				out = []byte(s)
			}
			for _, p := range masked {
				out[p] = '*'
			}
		}
		i = j
	}
	if out == nil {
		return s
	}
	return string(out)
}

// maskRun returns the positions to mask in the digit run at pos: the longest
// Luhn-valid window of 13..19 digits that starts and ends on a group
// boundary, or the run itself. Windows let a PAN followed by other digits
// (an expiry, an amount) still be found.
func maskRun(s string, pos []int) []int {
	n := len(pos)
	if n < 13 {
		return nil
	}
	var mask []int
	for a := 0; a+13 <= n; a++ {
		if a > 0 && pos[a] == pos[a-1]+1 {
			continue // not the start of a group
		}
		if s[pos[a]] == '0' {
			continue // card numbers never start with 0 (ISO/IEC 7812)
		}
		for b := min(n, a+19); b >= a+13; b-- {
			if b < n && pos[b] == pos[b-1]+1 {
				continue // not the end of a group
			}
			if luhn(s, pos[a:b]) {
				mask = append(mask, pos[a:b-4]...)
				a = b - 1
				break
			}
		}
	}
	return mask
}

func luhn(s string, pos []int) bool {
	sum := 0
	for k := len(pos) - 1; k >= 0; k-- {
		d := int(s[pos[k]] - '0')
		if (len(pos)-1-k)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
