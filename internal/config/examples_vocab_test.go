package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/config"
)

// TestDemoPoliciesTranslateTheirWords: the demo policies load, and what a Dutch customer of each
// reads is in Dutch.
func TestDemoPoliciesTranslateTheirWords(t *testing.T) {
	for _, tc := range []struct{ file, product, want string }{
		{"../../examples/demo/lifecycle.yaml", "Classic trousers", "Klassieke broek"},
		{"../../examples/demo-telecom/lifecycle.yaml", "Data saver 2 GB", "Databespaarder 2 GB"},
	} {
		p, err := config.LoadPolicy(tc.file)
		require.NoError(t, err, tc.file)
		assert.Equal(t, tc.want, p.Vocabulary.ProductName(tc.product, "nl"), tc.file)
		assert.True(t, p.Vocabulary.Repeats("data-bundle"), "%s: data bundles are bought again", tc.file)
		for _, o := range p.Usage.Offers {
			assert.NotEqual(t, o.Allowance, o.AllowanceIn("nl"), "%s: offer %s has a Dutch allowance", tc.file, o.Name)
			assert.NotEqual(t, o.Name, p.Vocabulary.ProductName(o.Name, "nl"), "%s: offer %s has a Dutch name", tc.file, o.Name)
		}
	}
}
