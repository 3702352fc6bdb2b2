package lifecycle

import "slices"

// Words is one word or phrase in each locale that has it: {"nl": "broeken"}.
type Words map[string]string

// Vocabulary is how a customer reads the shop's words in their own language: colours, sizes,
// categories, collections and product names as they come from the data (normalized, mostly
// English), and the labels the pages use for the shop's categories and kinds of follow-up.
// It comes from the policy's vocabulary section; the basic colour names have Dutch built in.
//
// Each map is keyed by the word as it is stored (Normalize'd; product names as written). A word
// without a translation in the customer's locale is shown as it is stored.
type Vocabulary struct {
	Colors      map[string]Words
	Sizes       map[string]Words
	Categories  map[string]Words
	Collections map[string]Words
	Products    map[string]Words // product name as in the catalogue -> its name per locale
	// Repeat are the (normalized) categories customers buy again, such as socks or data bundles:
	// a selection may offer a SKU the customer bought only in these.
	Repeat []string
	// Labels name the shop's things on the pages, per locale: LabelCategories ("Kinds of
	// clothes") and one per kind of follow-up the customer can choose (restock, sale, season).
	Labels map[string]Words
}

// LabelCategories is the Labels key of the preference page's category field.
const LabelCategories = "categories"

// BuiltinColors are the basic colour names in every locale but English, used when the policy's
// vocabulary does not name a colour.
var builtinColors = map[string]Words{
	"black":      {LocaleDutch: "zwart"},
	"white":      {LocaleDutch: "wit"},
	"grey":       {LocaleDutch: "grijs"},
	"gray":       {LocaleDutch: "grijs"},
	"charcoal":   {LocaleDutch: "antraciet"},
	"silver":     {LocaleDutch: "zilver"},
	"gold":       {LocaleDutch: "goud"},
	"red":        {LocaleDutch: "rood"},
	"burgundy":   {LocaleDutch: "bordeaux"},
	"green":      {LocaleDutch: "groen"},
	"olive":      {LocaleDutch: "olijfgroen"},
	"blue":       {LocaleDutch: "blauw"},
	"light-blue": {LocaleDutch: "lichtblauw"},
	"dark-blue":  {LocaleDutch: "donkerblauw"},
	"navy":       {LocaleDutch: "marineblauw"},
	"brown":      {LocaleDutch: "bruin"},
	"camel":      {LocaleDutch: "camel"},
	"beige":      {LocaleDutch: "beige"},
	"cream":      {LocaleDutch: "crème"},
	"yellow":     {LocaleDutch: "geel"},
	"pink":       {LocaleDutch: "roze"},
	"purple":     {LocaleDutch: "paars"},
	"orange":     {LocaleDutch: "oranje"},
	"turquoise":  {LocaleDutch: "turquoise"},
}

// BuiltinColor returns the built-in name of colour in locale, if there is one.
func BuiltinColor(color, locale string) (string, bool) {
	w, ok := builtinColors[Normalize(color)][locale]
	return w, ok
}

func lookup(m map[string]Words, key, locale string) (string, bool) {
	w, ok := m[key][locale]
	return w, ok && w != ""
}

// Color is colour as a customer in locale reads it: the shop's word, else the built-in one, else
// the colour as stored.
func (v Vocabulary) Color(color, locale string) string {
	if w, ok := lookup(v.Colors, Normalize(color), locale); ok {
		return w
	}
	if w, ok := BuiltinColor(color, locale); ok {
		return w
	}
	return color
}

// Size is size in locale: the shop's word, else the size as stored.
func (v Vocabulary) Size(size, locale string) string {
	if w, ok := lookup(v.Sizes, Normalize(size), locale); ok {
		return w
	}
	return size
}

// Category is category in locale: the shop's word, else the category as stored.
func (v Vocabulary) Category(category, locale string) string {
	if w, ok := lookup(v.Categories, Normalize(category), locale); ok {
		return w
	}
	return category
}

// Collection is collection in locale: the shop's name for it, else the collection as stored.
func (v Vocabulary) Collection(collection, locale string) string {
	if w, ok := lookup(v.Collections, Normalize(collection), locale); ok {
		return w
	}
	return collection
}

// ProductName is a product's name in locale: the shop's translation, else the name as stored.
func (v Vocabulary) ProductName(name, locale string) string {
	if w, ok := lookup(v.Products, name, locale); ok {
		return w
	}
	if w, ok := lookup(v.Products, Normalize(name), locale); ok {
		return w
	}
	return name
}

// Label is the shop's label key in locale, else fallback.
func (v Vocabulary) Label(key, locale, fallback string) string {
	if w, ok := lookup(v.Labels, key, locale); ok {
		return w
	}
	return fallback
}

// Repeats reports whether customers buy category again, so a selection may offer what they bought.
func (v Vocabulary) Repeats(category string) bool {
	return slices.Contains(v.Repeat, Normalize(category))
}
