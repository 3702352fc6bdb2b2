package web

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Brand is the shop's look on the pages, the same as around its emails: its name or logo at the
// top, the accent colour of buttons, links and chosen chips, and its postal address in the
// footer. The worker fills it from SHOP_NAME (else MAIL_FROM's name), SHOP_LOGO_URL,
// SHOP_ACCENT_COLOR and SHOP_POSTAL_ADDRESS (internal/config.BrandConfig).
type Brand struct {
	Name          string // "": "Your tailor" in the page's language, as the emails sign
	LogoURL       string // absolute http(s) URL; "": the name in type
	Accent        string // #rgb or #rrggbb; anything else: DefaultAccent
	PostalAddress string // "": the footer shows the name alone
}

// DefaultAccent is the accent of a shop that chose none: the emails' navy.
const DefaultAccent = "#1f3a5f"

// defaultShopNames name a shop that named itself nowhere, as its emails sign.
var defaultShopNames = map[string]string{
	lifecycle.LocaleEnglish: "Your tailor",
	lifecycle.LocaleDutch:   "Uw kleermaker",
}

// shopView is the brand as the templates show it in one language.
type shopView struct {
	Name, LogoURL, PostalAddress string
	Stylesheet                   string // relative to a page at /x/{token}
}

// The stylesheet is served by the pages' own server, so the Content-Security-Policy allows
// styles from 'self' only: no inline style, no style attribute. Its name carries a hash of its
// content, so browsers may keep it for good and a new accent colour is a new file.
//
//go:embed templates/pages.css
var baseStylesheet string

// look is what New derives from the Brand once: the stylesheet, its path and the policy.
type look struct {
	brand      Brand
	css        []byte
	cssPath    string // "/assets/pages-<hash>.css"
	policy     string // Content-Security-Policy of every response
	logoSource string // the logo's CSP source, "" without a logo
}

func newLook(b Brand) look {
	if !lifecycle.IsHexColor(b.Accent) { // checked, so it may go into the CSS as it is
		b.Accent = DefaultAccent
	}
	css := fmt.Sprintf(":root { --accent: %s; }\n%s", b.Accent, baseStylesheet)
	sum := sha256.Sum256([]byte(css))
	l := look{brand: b, css: []byte(css), cssPath: "/assets/pages-" + hex.EncodeToString(sum[:6]) + ".css"}
	if src, ok := imageSource(b.LogoURL); ok {
		l.logoSource = src
	} else {
		l.brand.LogoURL = "" // not one the policy can name: the name in type
	}
	l.policy = "default-src 'none'; style-src 'self'; "
	if l.logoSource != "" {
		l.policy += "img-src " + l.logoSource + "; "
	}
	l.policy += "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	return l
}

// imageSource is logo as a Content-Security-Policy source that allows that one image: scheme,
// host and path, without query. The configuration checked the URL (lifecycle.CheckWebURL); what
// could end the directive (";", ",", a space) is percent-encoded, which CSP decodes to match.
func imageSource(logo string) (string, bool) {
	if logo == "" {
		return "", false
	}
	u, err := url.Parse(logo)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", false
	}
	path := strings.NewReplacer(";", "%3B", ",", "%2C", " ", "%20").Replace(u.EscapedPath())
	if path == "" {
		path = "/"
	}
	host := u.Host
	if strings.ContainsAny(host, "; ,'") {
		return "", false
	}
	return u.Scheme + "://" + host + path, true
}

// shop is the brand in language l, as the page at /x/{token} links to it.
func (lk look) shop(l language) shopView {
	name := lk.brand.Name
	if name == "" {
		name = defaultShopNames[l.Lang]
	}
	return shopView{Name: name, LogoURL: lk.brand.LogoURL, PostalAddress: lk.brand.PostalAddress, Stylesheet: ".." + lk.cssPath}
}

// serveStylesheet answers GET on the stylesheet's path; it never changes under its name.
func (lk look) serveStylesheet(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(lk.css)
}
