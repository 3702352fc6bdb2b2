package web_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// englishWords are words of the English reasons that are no Dutch words: none may be in the Dutch
// page's segment section. (Words both languages have, like "in", "we", "was" and "over", are left
// out; "of" is Dutch for "or".)
var englishWords = []string{
	"the", "and", "you", "your", "to", "for", "our", "a", "one", "are", "were", "about",
	"purchase", "purchases", "day", "days", "spent", "response", "responses", "email", "emails",
	"sale", "sales", "customer", "customers", "people", "person", "few", "last", "yet", "no",
	"after", "count", "this", "group", "told", "leaving", "asked", "learning", "from", "do",
	"recommended", "referred", "bought", "noted", "recorded", "what", "still", "win",
}

// segmentSection is the text of the page's segment section (tags removed, entities decoded).
func segmentSection(t *testing.T, body, title string) string {
	t.Helper()
	start := strings.Index(body, "<h3>"+title+"</h3>")
	require.NotEqual(t, -1, start, "the page has no section %q", title)
	end := strings.Index(body[start:], "</section>")
	require.NotEqual(t, -1, end, "the section %q does not end", title)
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body[start:start+end], " "))
}

// Every kind of segment reason reads in the customer's language, with its numbers, the amounts as
// the language writes them, and the customer's own words where they gave them; the Dutch text
// holds no English word.
func TestSegmentReasonsInTheCustomersLanguage(t *testing.T) {
	tests := []struct {
		reason lifecycle.SegmentReason
		en, nl string
	}{
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonExit, ExitWords: "ik verhuis naar Gent"},
			"you told us you are leaving: “ik verhuis naar Gent”", "u liet ons weten dat u vertrekt: “ik verhuis naar Gent”"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonExit},
			"you told us you are leaving", "u liet ons weten dat u vertrekt"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonLearningStopped},
			"you asked us to stop learning from what you do", "u vroeg ons te stoppen met leren van wat u doet"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonNothingBought},
			"no purchase yet", "nog geen aankoop"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonNoPurchaseSince, Days: 400, LeaverAfterDays: 365},
			"no purchase for 400 days (after 365 days we count a customer in this group)",
			"al 400 dagen geen aankoop (na 365 dagen rekenen we een klant tot deze groep)"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonReferrals, Referrals: 1},
			"you recommended us to 1 person", "u raadde ons aan bij 1 persoon"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonReferrals, Referrals: 3},
			"you recommended us to 3 people", "u raadde ons aan bij 3 mensen"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonBuysAndResponds, Purchases: 4, Responses: 3, Days: 365},
			"4 purchases and 3 responses to our emails in the last 365 days",
			"4 aankopen en 3 reacties op onze e-mails in de afgelopen 365 dagen"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonSaleResponses, SaleResponses: 3, Responses: 5},
			"3 of your 5 responses to our emails were about a sale",
			"3 van uw 5 reacties op onze e-mails gingen over een korting"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonSaleResponses, SaleResponses: 1, Responses: 1},
			"your one response to our emails was about a sale",
			"uw enige reactie op onze e-mails ging over een korting"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonPurchases, Purchases: 2, Days: 365},
			"2 purchases in the last 365 days", "2 aankopen in de afgelopen 365 dagen"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonPurchases, Purchases: 1, Days: 1},
			"1 purchase in the last 1 day", "1 aankoop in de afgelopen 1 dag"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonSpent, Cents: 31250, Days: 365},
			"€312.50 spent in the last 365 days", "€ 312,50 besteed in de afgelopen 365 dagen"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonSpent, Cents: 123456705, Days: 90},
			"€1,234,567.05 spent in the last 90 days", "€ 1.234.567,05 besteed in de afgelopen 90 dagen"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonToWinOver, Purchases: 1, Days: 365},
			"1 purchase in the last 365 days and few responses to our emails",
			"1 aankoop in de afgelopen 365 dagen en weinig reacties op onze e-mails"},
		{lifecycle.SegmentReason{Code: lifecycle.SegmentReasonToWinOver, Purchases: 0, Days: 180},
			"0 purchases in the last 180 days and few responses to our emails",
			"0 aankopen in de afgelopen 180 dagen en weinig reacties op onze e-mails"},
	}
	covered := map[lifecycle.SegmentReasonCode]bool{}
	for _, tt := range tests {
		covered[tt.reason.Code] = true
	}
	for _, code := range lifecycle.SegmentReasonCodes {
		require.True(t, covered[code], "no case for the reason code %s: add one in both languages", code)
	}

	for _, locale := range []string{lifecycle.LocaleEnglish, lifecycle.LocaleDutch} {
		b := setupIn(t, locale, tailorWords)
		heldFor(b, "c1")
		title, label := "Your group", "What we noted"
		if locale == lifecycle.LocaleDutch {
			title, label = "Uw groep", "Wat we vastlegden"
		}
		for _, tt := range tests {
			held := b.customers.held["c1"]
			// The English sentence is what a row also holds; the page must not show it.
			held.Segment.Reasons = []string{tt.reason.String()}
			held.Segment.TypedReasons = []lifecycle.SegmentReason{tt.reason}
			b.customers.held["c1"] = held
			r := do(t, http.MethodGet, b.path(b.signer.Preferences("c1")), nil)
			require.Equal(t, http.StatusOK, r.status, r.body)
			section := segmentSection(t, r.body, title)
			want := tt.en
			if locale == lifecycle.LocaleDutch {
				want = tt.nl
			}
			assert.Contains(t, section, label+": "+want, "reason %+v in %s", tt.reason, locale)
			assert.NotContains(t, section, "%!", "reason %+v in %s: a format verb without its value", tt.reason, locale)
			if locale != lifecycle.LocaleDutch {
				continue
			}
			assert.NotContains(t, section, tt.reason.String(), "reason %+v: the English sentence on the Dutch page", tt.reason)
			for _, word := range regexp.MustCompile(`\pL+`).FindAllString(strings.ToLower(section), -1) {
				for _, english := range englishWords {
					assert.NotEqual(t, english, word, "reason %+v: an English word on the Dutch page: %s", tt.reason, section)
				}
			}
		}
	}
}
