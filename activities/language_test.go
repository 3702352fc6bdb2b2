package activities

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// dutchShop is a shop whose data is in English and whose policy translates it.
var dutchShop = lifecycle.Policy{Vocabulary: lifecycle.Vocabulary{
	Categories:  map[string]lifecycle.Words{"trousers": {"nl": "broeken"}},
	Collections: map[string]lifecycle.Words{"spring": {"nl": "lente"}},
	Products: map[string]lifecycle.Words{
		"Classic trousers": {"nl": "Klassieke broek"},
		"Data saver 2 GB":  {"nl": "Databespaarder 2 GB"},
	},
}}

// TestRenderDutchHasNoEnglishWord renders every kind in Dutch from a catalogue and preferences in
// English words that have translations (built-in colours, the shop's vocabulary), and checks that
// none of the English words reaches the email and the Dutch ones do.
func TestRenderDutchHasNoEnglishWord(t *testing.T) {
	prefs := lifecycle.Preferences{Colors: []string{"blue", "grey", "navy"}, Sizes: []string{"50"}, Categories: []string{"trousers"}}
	product := lifecycle.Product{SKU: "TR-GREY-OS", Name: "Classic trousers", Category: "trousers", Color: "grey", Size: "50", PriceCents: 8900, Stock: 5}
	english := []string{"blue", "grey", "navy", "trousers", "classic", "spring", "saver", "until your bundle renews", "dear", "customer"}
	// What each kind must show in Dutch, besides the greeting.
	dutch := map[lifecycle.Kind][]string{
		lifecycle.KindSale:    {"broeken", "Klassieke broek", "grijs"},
		lifecycle.KindSeason:  {"blauw, grijs en marineblauw", "lente", "Klassieke broek"},
		lifecycle.KindRestock: {"grijs", "Klassieke broek"},
		lifecycle.KindOffer:   {"Databespaarder 2 GB", "2 GB extra tot uw bundel vernieuwt"},
		lifecycle.KindCare:    {"Klassieke broek"},
		lifecycle.KindCheckin: {"Klassieke broek"},
		lifecycle.KindService: {"Klassieke broek"},
	}
	for _, kind := range lifecycle.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			f := lifecycle.FollowUp{Key: lifecycle.SendKey("c1", kind, "k1"), Kind: kind}
			var offers []lifecycle.Offer
			switch kind {
			case lifecycle.KindSale:
				f.Category, f.DiscountPct = "trousers", 20
				f.ExpiresAt = time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)
				offers = []lifecycle.Offer{{Product: product, OfferCents: lifecycle.Discounted(product.PriceCents, 20)}}
			case lifecycle.KindSeason:
				f.Collection = "spring"
				offers = []lifecycle.Offer{{Product: product, OfferCents: product.PriceCents}}
			case lifecycle.KindRestock, lifecycle.KindInvitation, lifecycle.KindWinback:
				offers = []lifecycle.Offer{{Product: product, OfferCents: product.PriceCents}}
			case lifecycle.KindConfirmation:
				f.Offer = "20% korting op broeken in uw maat"
			case lifecycle.KindOffer:
				f.BundleOffer = &lifecycle.BundleOffer{Name: "Data saver 2 GB", PriceCents: 499,
					Allowance: "2 GB extra until your bundle renews", Allowances: map[string]string{"nl": "2 GB extra tot uw bundel vernieuwt"}}
				f.Metric, f.UsedPct = "data_mb", 80
			case lifecycle.KindCare, lifecycle.KindCheckin, lifecycle.KindService:
				f.PurchaseID, f.ProductName, f.Category = "p1", "Classic trousers", "trousers"
			}
			e, err := render(customerIn(lifecycle.LocaleDutch), prefs, f, offers, renderLinks(t), dutchShop, "", Brand{})
			require.NoError(t, err, "render %s in Dutch", kind)
			for part, body := range map[string]string{"subject": e.Subject, "text": e.Text, "html": e.HTML} {
				for _, word := range english {
					assert.Falsef(t, containsWord(body, word), "%s nl %s contains the English %q:\n%s", kind, part, word, body)
				}
				if part != "subject" {
					assert.Containsf(t, body, "Beste Ann de Vries,", "%s nl %s: the Dutch greeting", kind, part)
					for _, want := range dutch[kind] {
						assert.Containsf(t, body, want, "%s nl %s: the Dutch word", kind, part)
					}
				}
			}
		})
	}
}

// containsWord reports whether word occurs in s as a whole word, ignoring case; URLs and their
// tokens are left out.
func containsWord(s, word string) bool {
	s = regexp.MustCompile(`https?://\S+`).ReplaceAllString(s, " ")
	return regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(word) + `\b`).MatchString(s)
}

func TestGreetingWithAndWithoutName(t *testing.T) {
	for _, tc := range []struct {
		name, locale, want string
	}{
		{"Ann de Vries", lifecycle.LocaleEnglish, "Dear Ann de Vries,"},
		{"", lifecycle.LocaleEnglish, "Dear customer,"},
		{"  ", lifecycle.LocaleEnglish, "Dear customer,"},
		{"Ann de Vries", lifecycle.LocaleDutch, "Beste Ann de Vries,"},
		{"", lifecycle.LocaleDutch, "Beste klant,"},
	} {
		c := customerIn(tc.locale)
		c.Name = tc.name
		for _, kind := range lifecycle.AllKinds {
			e, err := render(c, renderPrefs, followUpOf(kind), offersFor(kind), renderLinks(t), renderPolicy, "", Brand{})
			require.NoError(t, err, "render %s in %s for name %q", kind, tc.locale, tc.name)
			for part, body := range map[string]string{"text": e.Text, "html": letterText(t, e.HTML)} {
				first := strings.SplitN(body, "\n", 2)[0]
				assert.Equalf(t, tc.want, first, "%s %s %s for name %q: the greeting", kind, tc.locale, part, tc.name)
				assert.NotContainsf(t, body, " ,", "%s %s %s for name %q: a gap where the name would be", kind, tc.locale, part, tc.name)
			}
		}
	}
}
