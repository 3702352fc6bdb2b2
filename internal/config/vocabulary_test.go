package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

func TestParseVocabulary(t *testing.T) {
	p, err := config.ParsePolicy([]byte(`
vocabulary:
  colors:
    Navy: {nl: donkerblauw}
  categories:
    trousers: {en: trousers, nl: broeken}
    Socks: {nl: sokken, repeat: true}
    data-bundle: {repeat: true}
  collections:
    spring-2026: {en: Spring 2026, nl: Lente 2026}
  products:
    Classic trousers: {nl: Klassieke broek}
  labels:
    categories: {en: Kinds of bundles, nl: Soorten bundels}
    sale: {nl: Acties op bundels}
`), "policy.yaml")
	require.NoError(t, err)
	v := p.Vocabulary
	for _, tc := range []struct{ got, want string }{
		{v.Color("navy", "nl"), "donkerblauw"}, // the shop's word over the built-in marineblauw
		{v.Color("grey", "nl"), "grijs"},       // built in
		{v.Color("grey", "en"), "grey"},
		{v.Category("Trousers", "nl"), "broeken"},
		{v.Category("socks", "nl"), "sokken"},
		{v.Category("shirts", "nl"), "shirts"}, // no word: as stored
		{v.Collection("spring-2026", "nl"), "Lente 2026"},
		{v.ProductName("Classic trousers", "nl"), "Klassieke broek"},
		{v.Label(lifecycle.LabelCategories, "nl", "Categorieën"), "Soorten bundels"},
		{v.Label(string(lifecycle.KindSale), "en", "Sales on what I like"), "Sales on what I like"},
	} {
		assert.Equal(t, tc.want, tc.got)
	}
	assert.Equal(t, []string{"data-bundle", "socks"}, v.Repeat, "categories bought again")
	assert.True(t, v.Repeats("Socks"))
	assert.False(t, v.Repeats("trousers"))
}

func TestParseVocabularyProblems(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"vocabulary:\n  colors:\n    navy: {de: dunkelblau}\n", "policy.yaml:3: field de not found in vocabulary.colors.navy (known: en, nl)"},
		{"vocabulary:\n  colors:\n    navy: {}\n", "vocabulary.colors.navy: gives no word"},
		{"vocabulary:\n  categories:\n    socks: {repeat: yes please}\n", `policy.yaml:3: vocabulary.categories.socks.repeat: "yes please" is not true or false`},
		{"vocabulary:\n  labels:\n    kinds: {nl: soorten}\n", "field kinds not found in vocabulary.labels (known: categories, restock, sale, season)"},
	} {
		_, err := config.ParsePolicy([]byte(tc.yaml), "policy.yaml")
		require.Error(t, err, "policy %q", tc.yaml)
		assert.Contains(t, err.Error(), tc.want, "policy %q", tc.yaml)
	}
}
