package web_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tailorhq/tailor/internal/browsertest"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// tailorWords are the words a Dutch tailor's shop configures (examples/demo/lifecycle.yaml's
// vocabulary), so the Dutch pages read Dutch.
var tailorWords = lifecycle.Vocabulary{Categories: map[string]lifecycle.Words{
	"trousers": {lifecycle.LocaleDutch: "broeken"},
	"shirts":   {lifecycle.LocaleDutch: "overhemden"},
	"jackets":  {lifecycle.LocaleDutch: "jasjes"},
}}

// TestPageGallery opens every page a customer reaches from an email, in both languages, before
// and after its button is clicked, and the expired-link page, in headless Chromium at phone and
// desktop width: nothing may stick out sideways and every image needs alt text. The screenshots
// go to the gallery (TAILOR_GALLERY_DIR, else the test's temp dir) beside the emails', with an
// index.html to look through.
func TestPageGallery(t *testing.T) {
	browsertest.Path(t)
	dir := browsertest.GalleryDir(t, "pages")
	for _, locale := range []string{lifecycle.LocaleEnglish, lifecycle.LocaleDutch} {
		b := setupBranded(t, locale, tailorWords, shopBrand(t, locale))
		heldFor(b, "c1")                        // the preference page as a customer with a history sees it
		b.lifecycle.status = workflows.Status{} // a tailor's customer: no usage of a bundle
		// The shop notes in the customer's language.
		if locale == lifecycle.LocaleDutch {
			held := b.customers.held["c1"]
			held.Notes[0].Text = "te laat geleverd"
			b.customers.held["c1"] = held
		}
		b.customers.catalogue = lifecycle.Preferences{
			Colors:     []string{"black", "blue", "green", "grey", "navy", "white"},
			Sizes:      []string{"46", "48", "50", "52"},
			Categories: []string{"jackets", "shirts", "trousers"},
		}
		b.lifecycle.result = workflows.InterestedResult{Accepted: true, Message: "Thank you! We noted your interest and will be in touch shortly."}
		b.lifecycle.checkinResult = workflows.CheckinResult{Message: "Thank you! We are glad your purchase is what you hoped for."}
		page := browsertest.Open(t, b.srv.URL+"/healthz")
		look := func(name string) {
			t.Helper()
			for _, width := range []int64{browsertest.PhoneWidth, browsertest.DesktopWidth} {
				page.View(t, width)
				page.CheckLayout(t, fmt.Sprintf("%s page in %s at %d px", name, locale, width))
				page.Screenshot(t, dir, fmt.Sprintf("%s.%s-%d.png", name, locale, width))
			}
		}
		for _, p := range browserPages {
			link := b.path(p.link(b))
			resp, err := chromedp.RunResponse(page.Ctx, chromedp.Navigate(link))
			if err != nil || resp.Status != http.StatusOK {
				t.Fatalf("open the %s page in %s (%s): %v (status %v)", p.name, locale, link, err, resp)
			}
			look(p.name)
			resp, err = chromedp.RunResponse(page.Ctx, chromedp.Click(chromedp.CSS(`form button[type="submit"]`)))
			if err != nil || resp.Status != http.StatusOK {
				t.Fatalf("click the button of the %s page in %s: %v (status %v)", p.name, locale, err, resp)
			}
			look(p.name + "-done")
		}
		expired := b.path(b.signer.Preferences("c1"))
		*b.now = t0.Add(25 * time.Hour)
		if _, err := chromedp.RunResponse(page.Ctx, chromedp.Navigate(expired)); err != nil {
			t.Fatalf("open an expired link in %s: %v", locale, err)
		}
		look("expired")
	}
	t.Logf("gallery: %s", browsertest.WriteGalleryIndex(t, filepath.Dir(dir)))
}
