package web_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// heldFor gives customer id of b a purchase, a wish, notes, emails, a segment and (through the
// workflow) a usage profile.
func heldFor(b *bundle, id string) {
	bought := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	b.customers.prefs[id] = lifecycle.Preferences{Colors: []string{"blue", "green", "grey"}, Sizes: []string{"48"}, Categories: []string{"trousers"}}
	c := b.customers.customers[id]
	c.Timezone = "Europe/Amsterdam"
	b.customers.customers[id] = c
	if b.customers.held == nil {
		b.customers.held = map[string]store.Held{}
	}
	b.customers.held[id] = store.Held{
		Purchases: []store.HeldPurchase{{ID: "p1", At: bought, WantedColor: "green",
			Product: lifecycle.Product{SKU: "TR-BLU-48", Product: "chino", Name: "Chino", Category: "trousers", Color: "blue", Size: "48"}}},
		Wishes: []store.HeldWish{{ProductName: "Chino", Color: "green", Size: "48", CreatedAt: bought}},
		Notes:  []store.Note{{ID: "n1", CustomerID: id, Kind: store.NoteComplaint, Text: "late delivery", OccurredAt: bought.AddDate(0, 0, 2)}},
		Emails: store.Engagement{Sent: 4, Opened: 3, Clicked: 1, LastOpenedAt: bought.AddDate(0, 0, 9)},
		Segment: store.CustomerSegment{CustomerID: id, Segment: lifecycle.SegmentLoyal, Reasons: []string{"2 purchases in 365 days"},
			TypedReasons: []lifecycle.SegmentReason{{Code: lifecycle.SegmentReasonPurchases, Purchases: 2, Days: 365}},
			ComputedAt:   bought.AddDate(0, 0, 10)},
	}
	b.lifecycle.status = workflows.Status{Usage: []lifecycle.UsageProfile{{Metric: "data_mb",
		Periods: []lifecycle.UsagePeriod{{Limit: 1000, Used: 812.5, StartedAt: bought, LastAt: bought.AddDate(0, 0, 12)}}}}}
}

// The preference page lists everything held about the customer and where each piece came from,
// in the customer's language with the shop's words, and changes nothing by being opened.
func TestPreferencePageShowsAllWeHold(t *testing.T) {
	for _, tc := range []struct {
		locale string
		want   []string
	}{
		{lifecycle.LocaleEnglish, []string{
			"Everything we hold about you",
			"<dt>Time zone</dt><dd>Europe/Amsterdam</dd>",
			`<span class="what">blue</span> <span class="from">learned from your purchase of Chino on 3 March 2026</span>`,
			`<span class="what">green</span> <span class="from">you wanted it instead when you bought Chino on 3 March 2026</span>`,
			`<span class="what">grey</span> <span class="from">you told us (or the shop noted it for you)</span>`,
			`<h4>Kinds of bundles</h4>`,
			"Chino (blue, 48, trousers), 3 March 2026",
			"Chino in green, size 48, since 3 March 2026",
			"Your complaint: late delivery (5 March 2026)",
			"data_mb: 812.5 of 1000 used (last reading 15 March 2026)",
			"We sent you 4 emails; you opened 3 and clicked a link in 1.",
			"You last opened one on 12 March 2026.",
			"<strong>Loyal customer</strong>: you bought from us several times this year, or for a good amount.",
			"What we noted: 2 purchases in the last 365 days",
			"We learn your taste from what you buy",
		}},
		{lifecycle.LocaleDutch, []string{
			"Alles wat we over u bewaren",
			"<dt>Taal</dt><dd>Nederlands</dd>",
			`<span class="what">blauw</span> <span class="from">geleerd van uw aankoop van Chino op 3 maart 2026</span>`,
			`<span class="what">groen</span> <span class="from">u wilde dit liever toen u Chino kocht op 3 maart 2026</span>`,
			`<span class="what">grijs</span> <span class="from">door u opgegeven (of door de winkel voor u genoteerd)</span>`,
			`<h4>Soorten bundels</h4>`,
			`name="color" value="blue" checked><span>blauw</span>`,
			"Chino (blauw, 48, trousers), 3 maart 2026",
			"Uw klacht: late delivery (5 maart 2026)",
			"data_mb: 812,5 van 1000 verbruikt (laatste meting 15 maart 2026)",
			"We stuurden u 4 e-mails; u opende er 3 en klikte in 1 op een link.",
			"<strong>Trouwe klant</strong>",
			"Wat we vastlegden: 2 aankopen in de afgelopen 365 dagen",
			"Verwijderen</button>",
		}},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			b := setupIn(t, tc.locale, telecomWords)
			heldFor(b, "c1")
			r := do(t, http.MethodGet, b.path(b.signer.Preferences("c1")), nil)
			require.Equal(t, http.StatusOK, r.status, r.body)
			for _, want := range tc.want {
				assert.Contains(t, r.body, want, "the %s page", tc.locale)
			}
			if tc.locale == lifecycle.LocaleDutch {
				for _, english := range []string{"learned from", "you told us", "Remove<", "Your group", "in het Engels", "2 purchases"} {
					assert.NotContains(t, r.body, english, "the Dutch page")
				}
			}
			assert.Empty(t, b.calls.all(), "opening the page changes nothing")
		})
	}
}

// Without a workflow that answers, the page still shows what PostgreSQL holds and says the usage
// cannot be read now.
func TestPreferencePageWithoutTheWorkflow(t *testing.T) {
	b := setup(t)
	heldFor(b, "c1")
	b.lifecycle.statusErr = errors.New("no worker")
	r := do(t, http.MethodGet, b.path(b.signer.Preferences("c1")), nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, "We cannot read your usage right now")
	assert.Contains(t, r.body, "learned from your purchase of Chino")
}

// A customer without meter readings (a tailor's) sees no usage section at all; with readings it is
// there (TestPreferencePageShowsAllWeHold).
func TestPreferencePageWithoutReadingsHasNoUsage(t *testing.T) {
	b := setup(t)
	heldFor(b, "c1")
	b.lifecycle.status = workflows.Status{}
	r := do(t, http.MethodGet, b.path(b.signer.Preferences("c1")), nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.NotContains(t, r.body, "Your usage")
	assert.Contains(t, r.body, "learned from your purchase of Chino", "the rest of what we hold is there")
}

// A remove button saves the form as shown without that item: one preferences event, the item
// gone from the signal and from the page.
func TestRemoveALearnedItem(t *testing.T) {
	b := setup(t)
	heldFor(b, "c1")
	b.customers.catalogue = lifecycle.Preferences{Colors: []string{"blue"}}
	r := do(t, http.MethodPost, b.path(b.signer.Preferences("c1")), url.Values{
		"color":  {"blue", "green", "grey"},
		"size":   {"48"},
		"kind":   {"sale"},
		"remove": {"colors/blue"},
	})
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, "Saved. Your tailor knows your wishes now. Removed: “blue”. We no longer use it.")
	assert.NotContains(t, r.body, `<span class="what">blue</span>`, "blue is no longer listed as held")
	assert.Contains(t, r.body, `name="color" value="blue"><span>blue</span>`, "blue stays offered by the catalogue, unticked, and may be ticked again")
	assert.Equal(t, []string{"Signal c1 preferences"}, b.calls.all())
	assert.Equal(t, workflows.PreferencesSignal{
		Preferences: lifecycle.Preferences{Colors: []string{"green", "grey"}, Sizes: []string{"48"}, Categories: []string{}},
		Kinds:       []lifecycle.Kind{lifecycle.KindSale},
	}, b.lifecycle.signals[0])
}

// Stopping learning is one more field of the same event; the page then says since when, with the
// box ticked. Unticking it lets the shop learn again.
func TestStopLearning(t *testing.T) {
	b := setupIn(t, lifecycle.LocaleDutch, telecomWords)
	link := b.path(b.signer.Preferences("c1"))
	r := do(t, http.MethodPost, link, url.Values{"color": {"blue"}, "kind": {"sale"}, "stop_learning": {"on"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `name="stop_learning" value="on" checked`)
	assert.Contains(t, r.body, "U zette het leren stop op 1 maart 2026")
	require.Len(t, b.lifecycle.signals, 1)
	sig := b.lifecycle.signals[0].(workflows.PreferencesSignal)
	assert.True(t, sig.StopLearning, "signal %+v", sig)

	r = do(t, http.MethodGet, link, nil)
	assert.Contains(t, r.body, `name="stop_learning" value="on" checked`, "the page opened again shows the stored choice")

	r = do(t, http.MethodPost, link, url.Values{"color": {"blue"}, "kind": {"sale"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.True(t, strings.Contains(r.body, "We leren uw smaak van wat u koopt"), "learning again")
	assert.False(t, b.lifecycle.signals[1].(workflows.PreferencesSignal).StopLearning)
}

// A segment saved before its reasons were typed has only the English sentences recorded then: the
// page shows those, quoted and labelled as English, in either language. So does a segment whose
// reason has a code this version has no words for.
func TestPreferencePageSegmentSavedBeforeTypedReasons(t *testing.T) {
	for _, tc := range []struct {
		name, locale string
		typed        []lifecycle.SegmentReason
		want         string
	}{
		{"English, saved before", lifecycle.LocaleEnglish, nil, "Recorded as: “2 purchases in 365 days”"},
		{"Dutch, saved before", lifecycle.LocaleDutch, nil, "Vastgelegd als (in het Engels): “2 purchases in 365 days”"},
		{"Dutch, an unknown code", lifecycle.LocaleDutch, []lifecycle.SegmentReason{{Code: "from_a_later_version", Purchases: 2}},
			"Vastgelegd als (in het Engels): “2 purchases in 365 days”"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setupIn(t, tc.locale, tailorWords)
			heldFor(b, "c1")
			held := b.customers.held["c1"]
			held.Segment.TypedReasons = tc.typed
			b.customers.held["c1"] = held
			r := do(t, http.MethodGet, b.path(b.signer.Preferences("c1")), nil)
			require.Equal(t, http.StatusOK, r.status, r.body)
			assert.Contains(t, r.body, tc.want)
		})
	}
}
