package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/web"
)

// setupBranded is setupIn with the shop's brand around the pages.
func setupBranded(t *testing.T, locale string, words lifecycle.Vocabulary, brand web.Brand) *bundle {
	t.Helper()
	b := setupIn(t, locale, words)
	b.srv.Close()
	b.srv = httptest.NewServer(web.New(web.Deps{Links: b.signer, Customers: b.customers, Events: b.events, Lifecycle: b.lifecycle, Vocabulary: words, Brand: brand}))
	t.Cleanup(b.srv.Close)
	return b
}

// logoShop serves a shop's logo from its own origin, as the shop's site would.
func logoShop(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/logo.svg" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="80" viewBox="0 0 400 80">`+
			`<text x="0" y="52" font-family="Georgia, serif" font-size="40" fill="#6d3b2a" letter-spacing="2">Atelier Verhoeven</text>`+
			`<rect x="0" y="66" width="64" height="3" fill="#6d3b2a"/></svg>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// shopBrand is the look of the browser tests and the gallery, as in the emails' gallery: in Dutch
// a shop with a logo and its own accent colour, in English one named in type with the default
// accent.
func shopBrand(t *testing.T, locale string) web.Brand {
	t.Helper()
	if locale == lifecycle.LocaleDutch {
		return web.Brand{Name: "Atelier Verhoeven", LogoURL: logoShop(t).URL + "/logo.svg", Accent: "#6d3b2a",
			PostalAddress: "Oude Markt 12, 3000 Leuven, België"}
	}
	return web.Brand{Name: "Smith & Daughters", PostalAddress: "14 Savile Row, London W1S 3JN, United Kingdom"}
}

var stylesheetLink = regexp.MustCompile(`<link rel="stylesheet" href="\.\./(assets/pages-[0-9a-f]+\.css)">`)

// TestPagesWearTheShopsLook: every page shows the shop's name (or logo, with the name as alt
// text) and postal address, links the stylesheet the server serves with the shop's accent, and
// its Content-Security-Policy allows styles from that server only and images from the logo's
// address only. A logo URL the policy could not name safely is left out: the name in type.
func TestPagesWearTheShopsLook(t *testing.T) {
	for _, tc := range []struct {
		name        string
		brand       web.Brand
		masthead    string // what the page shows at the top
		footer      string
		accent      string
		imgSrc      string // the policy's img-src, "" for none
		wantNoImage bool
	}{
		{name: "name in type", brand: web.Brand{Name: "Smith & Daughters", PostalAddress: "14 Savile Row, London"},
			masthead: `<p class="shop-name">Smith &amp; Daughters</p>`, footer: "Smith &amp; Daughters · 14 Savile Row, London",
			accent: web.DefaultAccent, wantNoImage: true},
		{name: "logo", brand: web.Brand{Name: "Atelier", LogoURL: "https://cdn.example.com/a/logo.png?v=2", Accent: "#6d3b2a"},
			masthead: `<img class="logo" src="https://cdn.example.com/a/logo.png?v=2" alt="Atelier">`, footer: "<p>Atelier</p>",
			accent: "#6d3b2a", imgSrc: "img-src https://cdn.example.com/a/logo.png;"},
		{name: "logo with a semicolon", brand: web.Brand{Name: "Atelier", LogoURL: "https://cdn.example.com/logo;v=2.png"},
			masthead: `<img class="logo" src="https://cdn.example.com/logo;v=2.png" alt="Atelier">`, footer: "<p>Atelier</p>",
			accent: web.DefaultAccent, imgSrc: "img-src https://cdn.example.com/logo%3Bv=2.png;"},
		{name: "no name, a colour that is not one", brand: web.Brand{Accent: "red; } body { display: none"},
			masthead: `<p class="shop-name">Your tailor</p>`, footer: "<p>Your tailor</p>", accent: web.DefaultAccent, wantNoImage: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setupBranded(t, lifecycle.LocaleEnglish, lifecycle.Vocabulary{}, tc.brand)
			for _, link := range []string{b.signer.Preferences("c1"), b.signer.Unsubscribe("c1"), "/p/not-a-token"} {
				target := b.path(link)
				if strings.HasPrefix(link, "/") {
					target = b.srv.URL + link
				}
				r := do(t, http.MethodGet, target, nil)
				what := fmt.Sprintf("the page %s with brand %+v", strings.TrimPrefix(target, b.srv.URL), tc.brand)
				assert.Contains(t, r.body, tc.masthead, what)
				assert.Contains(t, r.body, tc.footer, what)
				csp := r.header.Get("Content-Security-Policy")
				assert.Contains(t, csp, "default-src 'none'; style-src 'self';", what)
				assert.NotContains(t, csp, "unsafe", what)
				if tc.imgSrc != "" {
					assert.Contains(t, csp, tc.imgSrc, what)
				} else {
					assert.NotContains(t, csp, "img-src", what)
				}
				assert.NotContains(t, r.body, "<style", "%s: no inline style, the CSP refuses it", what)
				assert.NotContains(t, r.body, "style=", "%s: no style attribute, the CSP refuses it", what)

				m := stylesheetLink.FindStringSubmatch(r.body)
				require.NotNil(t, m, "%s links no stylesheet:\n%s", what, r.body)
				resp, err := http.Get(b.srv.URL + "/" + m[1])
				require.NoError(t, err)
				css, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: its stylesheet /%s", what, m[1])
				assert.Equal(t, "text/css; charset=utf-8", resp.Header.Get("Content-Type"), what)
				assert.True(t, strings.HasPrefix(string(css), ":root { --accent: "+tc.accent+"; }"), "%s: the stylesheet starts %.60q, want the accent %s", what, css, tc.accent)
			}
		})
	}
}

// TestStylesheetNameFollowsTheAccent: a new accent is a new file name, so no browser keeps the
// old colour under the name it cached for good.
func TestStylesheetNameFollowsTheAccent(t *testing.T) {
	names := map[string]string{}
	for _, accent := range []string{"#6d3b2a", "#1f3a5f", "#abc"} {
		b := setupBranded(t, lifecycle.LocaleEnglish, lifecycle.Vocabulary{}, web.Brand{Accent: accent})
		r := do(t, http.MethodGet, b.path(b.signer.Preferences("c1")), nil)
		m := stylesheetLink.FindStringSubmatch(r.body)
		require.NotNil(t, m, "accent %s: no stylesheet link", accent)
		if other, ok := names[m[1]]; ok {
			t.Errorf("accents %s and %s share the stylesheet name %s", other, accent, m[1])
		}
		names[m[1]] = accent
	}
}
