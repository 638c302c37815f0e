package model

import (
	"strings"
	"sync"
)

// The ISO 4217 currency codes, current and historic, by the number of
// decimal digits of their minor unit: the 300 codes that
// golang.org/x/text/currency knows (CLDR), with its standard rounding.
// A table of our own because the package brings the CLDR language tables
// (180 KB of the release binary) for these two questions;
// TestCurrencyTable checks every three-letter code against it.
const (
	currencies0 = "ADP AFN ALL AMD BIF BYR CLP COP DJF ESP GNF GYD IDR IQD IRR ISK ITL JPY KMF KPW KRW LAK LBP LUF MGA MGF MMK MNT MRO MUR PKR PYG RSD RWF SLL SOS STD SYP TMM TRL TZS UGX UYI UZS VND VUV XAF XOF XPF YER ZMK ZWD"
	currencies2 = "AED AFA ALK ANG AOA AOK AON AOR ARA ARL ARM ARP ARS ATS AUD AWG AZM AZN BAD BAM BAN BBD BDT BEC BEF BEL BGL BGM BGN BGO BMD BND BOB BOL BOP BOV BRB BRC BRE BRL BRN BRR BRZ BSD BTN BUK BWP BYB BYN BZD " +
		"CAD CDF CHE CHF CHW CLE CNH CNX CNY COU CRC CSD CSK CUC CUP CVE CYP CZK DDM DEM DKK DOP DZD ECS ECV EEK EGP ERN ESA ESB ETB EUR FIM FJD FKP FRF GBP GEK GEL GHC GHS GIP GMD GNS GQE GRD GTQ GWE GWP " +
		"HKD HNL HRD HRK HTG HUF IEP ILP ILR ILS INR ISJ JMD KES KGS KHR KRH KRO KYD KZT LKR LRD LSL LTL LTT LUC LUL LVL LVR MAD MAF MCF MDC MDL MKD MKN MLF MOP MTL MTP MVP MVR MWK MXN MXP MXV MYR MZE MZM MZN " +
		"NAD NGN NIC NIO NLG NOK NPR NZD PAB PEI PEN PES PGK PHP PLN PLZ PTE QAR RHD ROL RON RUB RUR SAR SBD SCR SDD SDG SDP SEK SGD SHP SIT SKK SRD SRG SSP STN SUR SVC SZL THB TJR TJS TMT TOP TPE TRY TTD TWD " +
		"UAH UAK UGS USD USN USS UYP UYU VEB VEF VNN WST XAG XAU XBA XBB XBC XBD XCD XDR XEU XFO XFU XPD XPT XRE XSU XTS XUA XXX YDD YUD YUM YUN YUR ZAL ZAR ZMW ZRN ZRZ ZWL ZWR"
	currencies3 = "BHD JOD KWD LYD OMR TND"
	currencies4 = "CLF"
)

// currencyDigits maps each code to its minor unit's decimal digits.
var currencyDigits = sync.OnceValue(func() map[string]int {
	m := make(map[string]int, 300)
	for digits, list := range []string{0: currencies0, 2: currencies2, 3: currencies3, 4: currencies4} {
		for _, code := range strings.Fields(list) {
			m[code] = digits
		}
	}
	return m
})

// lookupCurrency returns the minor unit digits of an ISO 4217 code, in
// any letter case.
func lookupCurrency(code string) (digits int, ok bool) {
	if len(code) != 3 {
		return 0, false
	}
	var up [3]byte
	for i := range 3 {
		c := code[i]
		switch {
		case c >= 'A' && c <= 'Z':
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		default:
			return 0, false
		}
		up[i] = c
	}
	digits, ok = currencyDigits()[string(up[:])]
	return digits, ok
}
