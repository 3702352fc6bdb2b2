package simulation_test

import (
	"strings"
	"testing"

	"github.com/tailorhq/tailor/internal/simulation"
)

// Found in review of issue #13: the scenario parser checks the customer's id, email and name,
// SKUs and purchase ids, but not the catalogue's free text nor the sale's category or the season's
// collection: a product name with CR/LF or an ANSI escape is accepted and reaches the simulated
// subjects printed to the terminal, although the importer refuses the same product.
func TestScenarioFreeTextFollowsTheImportRules(t *testing.T) {
	const base = `customer: {id: david, email: david@example.com}
catalogue:
  products:
    - {sku: A, product: PRODUCT, name: NAME, category: CATEGORY, price: "10.00", stock: 1}
events:
  - day: 0
    purchase: {sku: A}
`
	for _, tc := range []struct{ field, old, bad string }{
		{"product", "product: PRODUCT", `product: "Trousers\r\nBcc: x"`},
		{"name", "name: NAME", `name: "Grey \u001b[31mred\u001b[0m"`},
		{"category", "category: CATEGORY", `category: "trousers\u0000"`},
	} {
		yaml := strings.Replace(base, tc.old, tc.bad, 1)
		if _, err := simulation.ParseScenario([]byte(yaml), "s.yaml"); err == nil {
			t.Errorf("catalogue %s %s accepted; the importer refuses it (line breaks / control characters)", tc.field, tc.bad)
		}
	}
}
