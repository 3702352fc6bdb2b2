package activities

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tailorhq/tailor/internal/browsertest"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// galleryCatalogue is a small shop with pictures: what a sale, a season selection, an invitation
// or a win-back shows as cards (the first two at the full price, the third discounted in a sale).
var galleryCatalogue = []lifecycle.Product{
	{SKU: "TR-GREY-50", Name: "Classic trousers", Category: "trousers", Color: "grey", Size: "50", PriceCents: 8900, Stock: 3},
	{SKU: "CH-NAVY-50", Name: "Chinos", Category: "trousers", Color: "navy", Size: "50", PriceCents: 6900, Stock: 2},
	{SKU: "WT-BLUE-50", Name: "Wool trousers, pleated", Category: "trousers", Color: "blue", Size: "50", PriceCents: 12900, Stock: 1},
}

// garmentColors paint the test pictures: a garment's colour on a light background.
var garmentColors = map[string]color.RGBA{
	"grey": {0x8d, 0x8d, 0x8a, 0xff}, "navy": {0x27, 0x33, 0x52, 0xff}, "blue": {0x3d, 0x5f, 0x8f, 0xff},
}

// trousersPNG draws a pair of trousers in c: a picture a catalogue could have, made here so the
// test needs no network.
func trousersPNG(c color.RGBA) []byte {
	const w, h = 192, 240
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{0xf1, 0xed, 0xe6, 0xff}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, bg)
		}
	}
	for y := 30; y < 220; y++ {
		spread := (y - 30) / 12 // the legs open towards the hem
		for x := 56 - spread; x < 136+spread; x++ {
			inGap := y > 80 && x > 92-spread/3 && x < 100+spread/3
			if !inGap {
				img.Set(x, y, c)
			}
		}
	}
	for x := 56; x < 136; x++ { // the waistband
		for y := 30; y < 40; y++ {
			img.Set(x, y, color.RGBA{c.R / 2, c.G / 2, c.B / 2, 0xff})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// galleryShop serves the catalogue's pictures and the shop's logo, as the shop's site would.
func galleryShop(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for _, p := range galleryCatalogue {
		pic := trousersPNG(garmentColors[p.Color])
		mux.HandleFunc("/img/"+p.SKU+".png", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(pic)
		})
	}
	mux.HandleFunc("/logo.svg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="80" viewBox="0 0 400 80">`+
			`<text x="0" y="52" font-family="Georgia, serif" font-size="40" fill="#6d3b2a" letter-spacing="2">Atelier Verhoeven</text>`+
			`<rect x="0" y="66" width="64" height="3" fill="#6d3b2a"/></svg>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// galleryOffers are the cards of kind: with pictures and links from shop.
func galleryOffers(kind lifecycle.Kind, shop string) []lifecycle.Offer {
	var offers []lifecycle.Offer
	for _, p := range galleryCatalogue {
		p.ImageURL = shop + "/img/" + p.SKU + ".png"
		p.URL = shop + "/products/" + strings.ToLower(p.SKU)
		o := lifecycle.Offer{Product: p, OfferCents: p.PriceCents}
		if kind == lifecycle.KindSale {
			o.OfferCents = lifecycle.Discounted(p.PriceCents, 20)
		}
		offers = append(offers, o)
	}
	switch kind {
	case lifecycle.KindRestock:
		return offers[:1]
	case lifecycle.KindSale, lifecycle.KindSeason, lifecycle.KindInvitation, lifecycle.KindWinback:
		return offers
	}
	return nil
}

// galleryPolicy is renderPolicy with the words a Dutch tailor's shop configures (the policy's
// vocabulary, as in examples/demo/lifecycle.yaml): the Dutch emails name the products, the
// category and the collection in Dutch, as a customer of that shop would read them.
var galleryPolicy = func() lifecycle.Policy {
	p := renderPolicy
	p.Vocabulary = lifecycle.Vocabulary{
		Categories:  map[string]lifecycle.Words{"trousers": {lifecycle.LocaleDutch: "broeken"}},
		Collections: map[string]lifecycle.Words{"autumn/winter": {lifecycle.LocaleDutch: "Herfst/Winter"}},
		Products: map[string]lifecycle.Words{
			"Classic trousers":       {lifecycle.LocaleDutch: "Klassieke pantalon"},
			"Chinos":                 {lifecycle.LocaleDutch: "Chino"},
			"Wool trousers, pleated": {lifecycle.LocaleDutch: "Wollen pantalon met plooien"},
			"Data top-up":            {lifecycle.LocaleDutch: "Extra data"},
		},
	}
	return p
}()

// galleryBrands are the two looks the gallery shows: a shop named in MAIL_FROM with its address
// (English), and one with a logo and its own accent colour (Dutch).
func galleryBrand(locale, shop string) (string, Brand) {
	if locale == lifecycle.LocaleDutch {
		return "Atelier Verhoeven", Brand{Name: "Atelier Verhoeven", LogoURL: shop + "/logo.svg", Accent: "#6d3b2a",
			PostalAddress: "Oude Markt 12, 3000 Leuven, België"}
	}
	return "Smith & Daughters", Brand{PostalAddress: "14 Savile Row, London W1S 3JN, United Kingdom"}
}

// TestEmailGallery renders every kind in both languages as the worker would (with pictures, a
// shop's name or logo and postal address), opens each in headless Chromium at phone and desktop
// width, checks that nothing sticks out sideways, that every image has alt text and loaded, and
// saves the screenshots with an index.html to look through (TAILOR_GALLERY_DIR, else the test's
// temp dir; the path is logged).
func TestEmailGallery(t *testing.T) {
	browsertest.Path(t)
	shop := galleryShop(t)
	dir := browsertest.GalleryDir(t, "emails")
	signer := renderLinks(t)
	var files []string
	for _, locale := range []string{lifecycle.LocaleEnglish, lifecycle.LocaleDutch} {
		for _, kind := range lifecycle.AllKinds {
			c := customerIn(locale)
			prefs := lifecycle.Preferences{Colors: []string{"grey", "navy", "blue"}, Sizes: []string{"50"}, Categories: []string{"trousers"}}
			signature, brand := galleryBrand(locale, shop.URL)
			f := followUpOf(kind)
			if kind == lifecycle.KindSeason {
				f.Collection = "Autumn/Winter"
			}
			if f.BundleOffer != nil { // the offer's words in Dutch, as a shop configures them (usage.offers)
				bundle := *f.BundleOffer
				bundle.Allowances = map[string]string{lifecycle.LocaleDutch: "5 GB tot het einde van de maand"}
				f.BundleOffer = &bundle
			}
			e, err := render(c, prefs, f, galleryOffers(kind, shop.URL), signer, galleryPolicy, signature, brand)
			if err != nil {
				t.Fatalf("render %s in %s: %v", kind, locale, err)
			}
			file := filepath.Join(dir, fmt.Sprintf("%s.%s.html", kind, locale))
			if err := os.WriteFile(file, []byte(e.HTML), 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, file)
		}
	}

	page := browsertest.Open(t, files[0])
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".html")
		if err := chromedp.Do(page.Ctx, chromedp.Navigate("file://"+file), chromedp.WaitReady("body")); err != nil {
			t.Fatalf("open %s: %v", file, err)
		}
		for _, width := range []int64{browsertest.PhoneWidth, browsertest.DesktopWidth} {
			page.View(t, width)
			page.CheckLayout(t, fmt.Sprintf("%s email at %d px", name, width))
			page.Screenshot(t, dir, fmt.Sprintf("%s-%d.png", name, width))
		}
	}
	if errs := page.Errors(); len(errs) > 0 {
		t.Errorf("the browser logged errors on the emails: %v", errs)
	}
	t.Logf("gallery: %s", browsertest.WriteGalleryIndex(t, filepath.Dir(dir)))
}
