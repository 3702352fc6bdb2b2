package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// An unknown SKU or customer is named for what it is, with what to do about it: not a product
// blamed on the customer's id, nor Temporal's error type in the sentence.
func TestPreviewUnknownIDs(t *testing.T) {
	shop := newPreviewShop(t)
	for _, tc := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"--customer", "ann", "--kind", "restock", "--sku", "NOPE-50"},
			`no product with SKU "NOPE-50": import it with starter import products`, "starter status"},
		{[]string{"--customer", "nobody", "--kind", "season"},
			`no customer "nobody": check the id (starter status --customer ID) or import it first`, "starter import products"},
	} {
		_, errOut := shop.run(t, 1, append([]string{"preview"}, tc.args...)...)
		assert.Contains(t, errOut, tc.want, "starter preview %v", tc.args)
		assert.NotContains(t, errOut, tc.not, "starter preview %v", tc.args)
		assert.NotContains(t, errOut, "retryable", "starter preview %v", tc.args)
	}
}
