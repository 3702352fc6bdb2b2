package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/web"
	"github.com/tailorhq/tailor/workflows"
)

// telecomWords is a telecom shop's vocabulary: it sells bundles, not clothes.
var telecomWords = lifecycle.Vocabulary{Labels: map[string]lifecycle.Words{
	lifecycle.LabelCategories:    {"en": "Kinds of bundles", "nl": "Soorten bundels"},
	string(lifecycle.KindSale):   {"en": "Offers on my bundle", "nl": "Aanbiedingen op mijn bundel"},
	string(lifecycle.KindSeason): {"nl": "Nieuwe bundels voor mij gekozen"},
}}

// setupIn is setup with customer c1 in locale (and "anon" without a name) and the shop's vocabulary.
func setupIn(t *testing.T, locale string, words lifecycle.Vocabulary) *bundle {
	t.Helper()
	b := setup(t)
	b.srv.Close()
	for _, id := range []string{"c1", "anon"} {
		c := lifecycle.Customer{ID: id, Name: "Ann de Vries", Email: "ann@example.com", Locale: locale, MarketingConsent: true}
		if id == "anon" {
			c.Name = ""
		}
		b.customers.customers[id] = c
		b.customers.prefs[id] = lifecycle.Preferences{Colors: []string{"blue"}, Sizes: []string{"48"}, Categories: []string{"data-bundle"}}
	}
	b.srv = httptest.NewServer(web.New(web.Deps{Links: b.signer, Customers: b.customers, Events: b.events, Lifecycle: b.lifecycle, Vocabulary: words}))
	t.Cleanup(b.srv.Close)
	return b
}

// doIn is do with an Accept-Language header.
func doIn(t *testing.T, acceptLanguage, method, target string, form url.Values) response {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, target, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	resp, err := noRedirects.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header, string(raw)}
}

// englishMarkers are words of the English pages that no Dutch page has.
var englishMarkers = []string{"the", "you", "your", "unsubscribe", "please", "kinds", "clothes", "save", "thank", "tailor", "there"}

// TestEveryPageInBothLanguages opens every page, GET and POST, for a customer in each locale, and
// the pages without a customer with the browser's Accept-Language: each is in that language
// (lang attribute, Content-Language, its sentences), with the shop's labels, and a Dutch page
// has no English word.
func TestEveryPageInBothLanguages(t *testing.T) {
	type page struct {
		name, method, link string
		form               url.Values
		accept             string // Accept-Language of the browser
		expire             bool
		status             int
		want               map[string][]string // locale -> sentences the page shows
	}
	pages := func(b *bundle) []page {
		prefs := url.Values{"colors": {"blue"}, "sizes": {"48"}, "categories": {"data-bundle"}, "kind": {"sale"}}
		return []page{
			{name: "unsubscribe page", method: "GET", link: b.signer.Unsubscribe("c1"), status: 200,
				want: map[string][]string{"en": {"Unsubscribe <strong>a***@example.com</strong> from all marketing mail?"}, "nl": {"<strong>a***@example.com</strong> uitschrijven voor alle marketingmail?", "Uitschrijven</button>"}}},
			{name: "unsubscribed", method: "POST", link: b.signer.Unsubscribe("c1"), form: oneClick, status: 200,
				want: map[string][]string{"en": {"You are unsubscribed"}, "nl": {"U bent uitgeschreven", "Uw adres ontvangt geen marketingmail meer van ons."}}},
			{name: "preference page", method: "GET", link: b.signer.Preferences("c1"), status: 200,
				want: map[string][]string{
					"en": {"Your preferences", "Kinds of bundles", "Offers on my bundle", "A seasonal selection chosen for me"},
					"nl": {"Uw voorkeuren", "Kleuren", "Maten", "Soorten bundels", "Aanbiedingen op mijn bundel", "Nieuwe bundels voor mij gekozen", "Wanneer iets wat ik wilde weer op voorraad is", "Bewaren</button>"}}},
			{name: "preferences saved", method: "POST", link: b.signer.Preferences("c1"), form: prefs, status: 200,
				want: map[string][]string{"en": {"Saved."}, "nl": {"Bewaard. Uw kleermaker kent nu uw wensen."}}},
			{name: "preferences refused", method: "POST", link: b.signer.Preferences("c1"), form: url.Values{"categories": {strings.Repeat("x", 41)}}, status: 422,
				want: map[string][]string{
					"en": {"Nothing was saved", "Kinds of bundles: “" + strings.Repeat("x", 40) + "”… is longer than 40 characters.", "Choose at least one kind of email"},
					"nl": {"Er is niets bewaard", "Soorten bundels: “" + strings.Repeat("x", 40) + "”… is langer dan 40 tekens.", "Kies minstens één soort e-mail"}}},
			{name: "interest page", method: "GET", link: b.signer.Interested("c1", "customer/c1/sale/s1"), status: 200,
				want: map[string][]string{"en": {"Shall we put some aside for you, Ann?"}, "nl": {"Zullen we iets voor u opzij leggen, Ann?", "Ja, interesse</button>"}}},
			{name: "interest page without a name", method: "GET", link: b.signer.Interested("anon", "customer/anon/sale/s1"), status: 200,
				want: map[string][]string{"en": {"Shall we put some aside for you?"}, "nl": {"Zullen we iets voor u opzij leggen?"}}},
			{name: "interest recorded", method: "POST", link: b.signer.Interested("c1", "customer/c1/sale/s1"), form: url.Values{}, status: 200,
				want: map[string][]string{"en": {"Thank you! We noted your interest"}, "nl": {"Dank u, uw kleermaker regelt het."}}},
			{name: "check-in page", method: "GET", link: b.signer.Checkin("c1", "customer/c1/checkin/p1", true), status: 200,
				want: map[string][]string{"en": {"Ann, your answer: <strong>yes, it is what I hoped for</strong>"}, "nl": {"Ann, uw antwoord: <strong>ja, het is wat ik had gehoopt</strong>", "Mijn antwoord versturen"}}},
			{name: "check-in page without a name", method: "GET", link: b.signer.Checkin("anon", "customer/anon/checkin/p1", false), status: 200,
				want: map[string][]string{"en": {"Your answer: <strong>no, not quite</strong>"}, "nl": {"Uw antwoord: <strong>nee, niet helemaal</strong>"}}},
			{name: "check-in recorded", method: "POST", link: b.signer.Checkin("c1", "customer/c1/checkin/p1", true), form: url.Values{}, status: 200,
				want: map[string][]string{"en": {"Thank you! We are glad"}, "nl": {"Dank u, dat horen we graag."}}},
			// No customer to ask: the browser's language.
			{name: "expired link", method: "GET", link: b.signer.Preferences("c1"), expire: true, accept: "nl-BE,nl;q=0.9,en;q=0.5", status: 410,
				want: map[string][]string{"en": {"This link has expired"}, "nl": {"Deze link is verlopen"}}},
			{name: "invalid link", method: "POST", link: base + "/u/not-a-token", form: oneClick, accept: "nl", status: 400,
				want: map[string][]string{"en": {"This link is not valid"}, "nl": {"Deze link is niet geldig"}}},
			{name: "unknown customer", method: "GET", link: b.signer.Checkin("gone", "customer/gone/checkin/p1", true), accept: "de-DE, nl;q=0.8", status: 404,
				want: map[string][]string{"en": {"We do not know this address any more"}, "nl": {"We kennen dit adres niet meer"}}},
		}
	}
	for _, locale := range []string{lifecycle.LocaleEnglish, lifecycle.LocaleDutch} {
		b := setupIn(t, locale, telecomWords)
		b.lifecycle.result = workflows.InterestedResult{Accepted: true, Message: "Thank you! We noted your interest in “Sale” and will be in touch shortly."}
		b.lifecycle.checkinResult = workflows.CheckinResult{Message: "Thank you! We are glad your purchase is what you hoped for."}
		for _, p := range pages(b) {
			t.Run(locale+" "+p.name, func(t *testing.T) {
				*b.now = t0
				if p.expire {
					*b.now = t0.Add(25 * time.Hour)
				}
				accept := p.accept
				if accept != "" && locale == lifecycle.LocaleEnglish {
					accept = "en-GB,en;q=0.9,nl;q=0.2"
				}
				r := doIn(t, accept, p.method, b.path(p.link), p.form)
				require.Equal(t, p.status, r.status, "%s %s in %s: %s", p.method, p.name, locale, r.body)
				assert.Equal(t, locale, r.header.Get("Content-Language"), "%s in %s", p.name, locale)
				assert.Contains(t, r.body, `<html lang="`+locale+`">`, "%s in %s", p.name, locale)
				for _, want := range p.want[locale] {
					assert.Contains(t, r.body, want, "%s in %s", p.name, locale)
				}
				if locale == lifecycle.LocaleDutch {
					text := visibleText(r.body)
					for _, word := range englishMarkers {
						assert.Falsef(t, regexp.MustCompile(`(?i)\b`+word+`\b`).MatchString(text), "%s in Dutch has the English %q: %s", p.name, word, text)
					}
				}
			})
		}
	}
}

// visibleText is the page without its tags, style and head: what a reader sees.
func visibleText(page string) string {
	if _, body, ok := strings.Cut(page, "<main>"); ok {
		page = body
	}
	return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, " ")
}

func TestAcceptLanguageWithoutALanguageWeHave(t *testing.T) {
	b := setupIn(t, lifecycle.LocaleDutch, lifecycle.Vocabulary{})
	for _, accept := range []string{"", "de-DE,fr;q=0.8", "nl;q=0.1,en;q=0.2", "*"} {
		r := doIn(t, accept, "GET", b.srv.URL+"/u/not-a-token", nil)
		assert.Equal(t, "en", r.header.Get("Content-Language"), "Accept-Language %q", accept)
	}
	for _, accept := range []string{"nl", "NL-be", "en;q=0.5, nl", "fr, nl;q=0.3"} {
		r := doIn(t, accept, "GET", b.srv.URL+"/u/not-a-token", nil)
		assert.Equal(t, "nl", r.header.Get("Content-Language"), "Accept-Language %q", accept)
	}
}
