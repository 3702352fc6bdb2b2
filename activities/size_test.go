package activities

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// gmailClipBytes is where Gmail cuts an email's HTML off behind "[Message clipped]", hiding the
// footer with the unsubscribe link and the postal address.
const gmailClipBytes = 102 * 1024

// TestEmailsStayBelowGmailsClipping renders every kind in both languages at its largest: the most
// product cards an email shows, each with the longest name, picture URL and page URL the catalogue
// accepts, a logo and an address, and checks the HTML stays below Gmail's 102 KB.
func TestEmailsStayBelowGmailsClipping(t *testing.T) {
	long := func(prefix string, n int) string { return prefix + strings.Repeat("x", n-len(prefix)) }
	var offers []lifecycle.Offer
	for i := range 6 { // the store's defaultProductLimit: the most cards an email shows
		p := lifecycle.Product{
			SKU: fmt.Sprintf("SKU-%d", i), Name: long("Classic trousers ", lifecycle.MaxNameLen), Category: "trousers",
			Color: long("grey", lifecycle.MaxLabelLen), Size: long("50", lifecycle.MaxLabelLen), PriceCents: 8900, Stock: 1,
			ImageURL: long("https://cdn.shop.example/", lifecycle.MaxURLLen), URL: long("https://shop.example/p/", lifecycle.MaxURLLen),
		}
		offers = append(offers, lifecycle.Offer{Product: p, OfferCents: 7120})
	}
	brand := Brand{Name: long("Atelier ", lifecycle.MaxNameLen), LogoURL: long("https://shop.example/logo", lifecycle.MaxURLLen),
		Accent: "#6d3b2a", PostalAddress: long("Oude Markt 12, Leuven ", 300)}
	for _, locale := range []string{lifecycle.LocaleEnglish, lifecycle.LocaleDutch} {
		for _, kind := range lifecycle.AllKinds {
			f := followUpOf(kind)
			var shown []lifecycle.Offer
			if len(offersFor(kind)) > 0 {
				shown = offers
			}
			e, err := render(customerIn(locale), renderPrefs, f, shown, renderLinks(t), renderPolicy, brand.Name, brand)
			if err != nil {
				t.Fatalf("render %s in %s: %v", kind, locale, err)
			}
			if len(e.HTML) >= gmailClipBytes {
				t.Errorf("%s in %s: the HTML is %d bytes, Gmail clips at %d", kind, locale, len(e.HTML), gmailClipBytes)
			}
			t.Logf("%s.%s: %d bytes of HTML with %d cards", kind, locale, len(e.HTML), len(shown))
		}
	}
}
