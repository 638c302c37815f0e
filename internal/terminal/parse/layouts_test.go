package parse

import (
	"testing"
	"time"
)

// TestMoreLayouts: text receipts in layouts other than the corpus's, to
// keep the built-in parser from fitting only the corpus.
func TestMoreLayouts(t *testing.T) {
	tests := []struct {
		name, cur, text string
		kind            Kind
		total           int64
		tenders         int
		items           int
	}{
		{"tablet POS with bullets", "USD", `Latte                 $4.50
  Oat Milk            $0.75
Subtotal              $5.25
Tax                   $0.47
Total                 $5.72
Visa •••• 4242        $5.72`, KindSale, 572, 1, 1},
		{"tip before total", "USD", `1 Burger             12.00
   Add Bacon          2.00
Subtotal             14.00
Tax                   1.26
Tip                   2.80
Total                18.06
Visa xxxxxxxxxxxx1111 18.06`, KindSale, 1806, 1, 1},
		{"discounter", "EUR", `EUR
Milch 3,5%                1,09 A
Butter                    2,29 A
Summe                     3,38
Geg. Bar                  5,00
Rückgeld                  1,62`, KindSale, 338, 1, 2},
		{"hypermarché", "EUR", `LAIT DEMI ECREME        0,99
PAIN DE MIE             1,85
2 X 1,20 €
YAOURT NATURE           2,40
TOTAL A PAYER           5,24
CB EMV                  5,24`, KindSale, 524, 1, 3},
		{"supermercado", "EUR", `LECHE ENTERA        1,05
PAN DE MOLDE        1,60
TOTAL (€)           2,65
TARJETA BANCARIA    2,65
IVA BASE IMPONIBLE (€) CUOTA (€)
4%  2,55 0,10`, KindSale, 265, 1, 2},
		{"total to pay, date with dotted time", "GBP", `Datum 03.12.2026 10.15
Sandwich      3.50
Crisps        1.00
Total to pay  4.50
Card          4.50`, KindSale, 450, 1, 2},
		{"size in the name", "USD", `12 oz Latte        4.50
Total              4.50
Cash               5.00
Change             0.50`, KindSale, 450, 1, 1},
		{"amount due with service charge", "USD", `2 Pasta            30.00
Service charge 18%  5.40
Amount due         35.40
Amex               35.40`, KindSale, 3540, 1, 1},
		{"modifier included in the item amount", "USD", `Latte              5.25
  Oat Milk         0.75
Total              5.25
Cash               5.25`, KindSale, 525, 1, 1},
		{"refund banner, positive amounts", "USD", `*** REFUND ***
Shirt             20.00
Total             20.00
Visa              20.00`, KindRefund, 2000, 1, 1},
		{"card slip after the receipt", "EUR", `Brezel            1,20
Kaffee            2,80
SUMME EUR         4,00
girocard          4,00
------ Kundenbeleg ------
Kartenzahlung
girocard
Betrag EUR        4,00
Zahlung erfolgt`, KindSale, 400, 1, 2},
		{"amounts on the line below", "EUR", `Mineralwasser 0,75l Glasflasche
                      3,20
Apfelkuchen mit Sahne 4,10
SUMME
                  7,30 EUR
BAR
                 10,00
Rückgeld           2,70`, KindSale, 730, 1, 2},
		{"yen", "JPY", `Ramen            ¥980
Gyoza            ¥450
Total          ¥1,430
Cash           ¥2,000
Change           ¥570`, KindSale, 1430, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ParseText(tt.text, Options{Currency: tt.cur, Location: time.UTC})
			if r.Kind != tt.kind || r.Total.Amount != tt.total || len(r.Tenders) != tt.tenders {
				t.Fatalf("kind %s total %v tenders %v problems %v", r.Kind, r.Total, r.Tenders, r.Problems)
			}
			if r.Order == nil || len(r.Order.LineItems) != tt.items {
				t.Fatalf("order %+v", r.Order)
			}
			checkOrder(t, r)
			if tt.name == "size in the name" && r.Order.LineItems[0].Name != "12 oz Latte" {
				t.Errorf("name %q", r.Order.LineItems[0].Name)
			}
			if len(r.Problems) != 0 {
				t.Errorf("problems %v", r.Problems)
			}
		})
	}
}
