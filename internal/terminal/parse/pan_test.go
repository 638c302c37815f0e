package parse

import "testing"

func TestMaskPANs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"VISA 4111111111111111", "VISA ************1111"},
		{"card 4111 1111 1111 1111 ok", "card **** **** **** 1111 ok"},
		{"5500-0000-0000-0004", "****-****-****-0004"},
		{"amex 378282246310005 exp 12/28", "amex ***********0005 exp 12/28"},
		{"not luhn 4111111111111112", "not luhn 4111111111111112"},
		{"short 411111111111", "short 411111111111"},
		{"total 1234.56", "total 1234.56"},
		{"4111111111111111 1226", "************1111 1226"},
		{"ref 12345678901234567890123", "ref 12345678901234567890123"},
		{"", ""},
		{"Bon 0042  12.50", "Bon 0042  12.50"},
		{"6011 0009 9013 9424", "**** **** **** 9424"},
	}
	for _, tt := range tests {
		if got := MaskPANs(tt.in); got != tt.want {
			t.Errorf("MaskPANs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
