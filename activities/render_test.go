package activities

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
)

func renderLinks(t *testing.T) *links.Signer {
	t.Helper()
	signer, err := links.New([]byte("render-test-secret-0123456789abcdef"), "https://shop.example", 0,
		func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) })
	require.NoError(t, err)
	return signer
}

func customerIn(locale string) lifecycle.Customer {
	return lifecycle.Customer{ID: "c1", Name: "Ann de Vries", Email: "ann@example.com", Locale: locale, MarketingConsent: true}
}

var renderPrefs = lifecycle.Preferences{Colors: []string{"blue"}, Sizes: []string{"50"}, Categories: []string{"trousers"}}

var renderPolicy = lifecycle.Policy{Care: []lifecycle.CarePlan{
	{Category: "trousers", Tips: map[string]string{
		lifecycle.LocaleEnglish: "Hang them by the hem so the crease stays.",
		lifecycle.LocaleDutch:   "Hang ze aan de zoom, dan blijft de vouw erin.",
	}},
	{Category: "coats", Tips: map[string]string{lifecycle.LocaleEnglish: "Brush the wool after every wear."}},
}}

// followUpOf is a follow-up of kind with everything its email needs.
func followUpOf(kind lifecycle.Kind) lifecycle.FollowUp {
	f := lifecycle.FollowUp{Key: lifecycle.SendKey("c1", kind, "k1"), Kind: kind}
	switch kind {
	case lifecycle.KindRestock:
		f.Product = &lifecycle.Product{SKU: "TR-BLUE-50"}
	case lifecycle.KindSale:
		f.Category, f.DiscountPct = "trousers", 20
		f.ExpiresAt = time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)
	case lifecycle.KindConfirmation:
		f.Offer = "Sale: 20% off trousers in your size"
	case lifecycle.KindOffer:
		f.BundleOffer = &lifecycle.BundleOffer{Name: "Data top-up", PriceCents: 1250, Allowance: "5 GB until the end of the month"}
		f.Metric, f.UsedPct = "data_mb", 80
	case lifecycle.KindCare, lifecycle.KindCheckin, lifecycle.KindService:
		f.PurchaseID, f.ProductName, f.Category = "p1", "Classic trousers", "trousers"
	}
	return f
}

// offersFor are the products pickOffers would choose for kind.
func offersFor(kind lifecycle.Kind) []lifecycle.Offer {
	p := lifecycle.Product{SKU: "TR-BLUE-50", Name: "Classic trousers", Category: "trousers", Color: "blue", Size: "50", PriceCents: 8900, Stock: 5}
	switch kind {
	case lifecycle.KindRestock, lifecycle.KindSeason, lifecycle.KindInvitation, lifecycle.KindWinback:
		return []lifecycle.Offer{{Product: p, OfferCents: p.PriceCents}}
	case lifecycle.KindSale:
		return []lifecycle.Offer{{Product: p, OfferCents: lifecycle.Discounted(p.PriceCents, 20)}}
	}
	return nil
}

func renderOf(t *testing.T, locale string, f lifecycle.FollowUp) lifecycle.Email {
	t.Helper()
	e, err := render(customerIn(locale), renderPrefs, f, offersFor(f.Kind), renderLinks(t), renderPolicy, "", Brand{})
	require.NoError(t, err, "render %s in %s", f.Kind, locale)
	return e
}

func TestRenderEveryKindInEveryLocale(t *testing.T) {
	signer := renderLinks(t)
	for _, kind := range lifecycle.AllKinds {
		for _, locale := range []string{lifecycle.LocaleEnglish, lifecycle.LocaleDutch} {
			t.Run(fmt.Sprintf("%s.%s", kind, locale), func(t *testing.T) {
				e := renderOf(t, locale, followUpOf(kind))
				assert.NotEmpty(t, e.Subject, "subject")
				for part, body := range map[string]string{"subject": e.Subject, "text": e.Text, "html": e.HTML} {
					assert.NotEmpty(t, body, part)
					assert.NotContains(t, body, "<no value>", part)
					assert.NotContains(t, body, "&lt;no value&gt;", part)
					assert.NotContains(t, body, "%!", "%s: a formatting mistake", part)
				}
				assert.Contains(t, e.Text, "Ann de Vries", "the text greets the customer")
				assert.Contains(t, e.HTML, "Ann de Vries", "the HTML greets the customer")
				assert.Contains(t, e.Text, signer.Preferences("c1"), "every email links to the preference page")
				signature := map[string]string{lifecycle.LocaleEnglish: "Your tailor", lifecycle.LocaleDutch: "Uw kleermaker"}[locale]
				assert.Contains(t, e.Text, signature, "a shop without a name in MAIL_FROM signs in the customer's language")
				assert.Contains(t, e.HTML, signature, "a shop without a name in MAIL_FROM signs in the customer's language")

				unsubscribe := signer.Unsubscribe("c1")
				if kind.Transactional() {
					assert.Nil(t, e.Headers, "a transactional email has no List-Unsubscribe")
					assert.NotContains(t, e.Text, unsubscribe)
				} else {
					assert.Equal(t, "<"+unsubscribe+">", e.Headers["List-Unsubscribe"], "marketing carries List-Unsubscribe")
					assert.Equal(t, "List-Unsubscribe=One-Click", e.Headers["List-Unsubscribe-Post"])
					assert.Contains(t, e.Text, unsubscribe, "the text carries the unsubscribe link")
					assert.Contains(t, e.HTML, unsubscribe, "the HTML carries the unsubscribe link")
				}

				interested := signer.Interested("c1", e.Key)
				if kind.Upsell() {
					assert.Contains(t, e.Text, interested, "what sells something can be answered with one click")
				} else {
					assert.NotContains(t, e.Text, interested, "nothing to be interested in")
					assert.NotContains(t, e.HTML, "/i/", "nothing to be interested in")
				}
			})
		}
	}
}

func TestRenderShowsWhatEachKindNeeds(t *testing.T) {
	signer := renderLinks(t)
	checkin := followUpOf(lifecycle.KindCheckin)
	for _, tc := range []struct {
		name    string
		locale  string
		f       lifecycle.FollowUp
		subject string   // the subject contains it
		want    []string // the text and the HTML contain each
		wantNot []string // neither contains any (case-insensitive)
	}{
		{name: "offer en", locale: "en", f: followUpOf(lifecycle.KindOffer),
			subject: "You have used 80% of your data bundle",
			want:    []string{"80%", "Data top-up", "€12.50", "5 GB until the end of the month", "Yes, add it"},
			wantNot: []string{"data_mb", "Yes, I'm interested"}},
		{name: "offer nl", locale: "nl", f: followUpOf(lifecycle.KindOffer),
			subject: "U hebt 80% van uw databundel verbruikt",
			want:    []string{"80%", "Data top-up", "€\u00a012,50", "5 GB until the end of the month", "Ja, graag toevoegen"},
			wantNot: []string{"data_mb", "Ja, interesse"}},
		{name: "checkin en", locale: "en", f: checkin,
			subject: "Your Classic trousers: is it what you hoped for?",
			want: []string{signer.Checkin("c1", checkin.Key, true), signer.Checkin("c1", checkin.Key, false),
				"Yes, it is what I hoped for", "No, not quite"}},
		{name: "checkin nl", locale: "nl", f: checkin,
			subject: "Uw Classic trousers: is het wat u had gehoopt?",
			want: []string{signer.Checkin("c1", checkin.Key, true), signer.Checkin("c1", checkin.Key, false),
				"Ja, het is wat ik had gehoopt", "Nee, niet helemaal"}},
		{name: "care en: the plan's tips", locale: "en", f: followUpOf(lifecycle.KindCare),
			subject: "Caring for your Classic trousers",
			want:    []string{"Hang them by the hem so the crease stays."},
			wantNot: []string{"Hang ze aan de zoom", "Follow the care instructions"}},
		{name: "care nl: the plan's tips in Dutch", locale: "nl", f: followUpOf(lifecycle.KindCare),
			subject: "Zo verzorgt u uw Classic trousers",
			want:    []string{"Hang ze aan de zoom, dan blijft de vouw erin."},
			wantNot: []string{"Hang them by the hem", "Volg de verzorgingsinstructies"}},
		{name: "care nl: English tips when there are no Dutch ones", locale: "nl",
			f:       withCategory(followUpOf(lifecycle.KindCare), "coats"),
			subject: "Zo verzorgt u uw Classic trousers",
			want:    []string{"Brush the wool after every wear."}},
		{name: "care en: general advice without a plan", locale: "en",
			f:       withCategory(followUpOf(lifecycle.KindCare), "shoes"),
			subject: "Caring for your Classic trousers",
			want:    []string{"Follow the care instructions that came with it"}},
		{name: "care nl: general advice without a plan", locale: "nl",
			f:       withCategory(followUpOf(lifecycle.KindCare), "shoes"),
			subject: "Zo verzorgt u uw Classic trousers",
			want:    []string{"Volg de verzorgingsinstructies die erbij horen"}},
		{name: "invitation en: no discount", locale: "en", f: followUpOf(lifecycle.KindInvitation),
			subject: "An invitation",
			want:    []string{"before anyone else", "Classic trousers", "€89.00"},
			wantNot: []string{"%", "discount", " off", "sale", "was €"}},
		{name: "invitation nl: no discount", locale: "nl", f: followUpOf(lifecycle.KindInvitation),
			subject: "Een uitnodiging",
			want:    []string{"als eerste", "Classic trousers", "€\u00a089,00"},
			wantNot: []string{"%", "korting", "solden", "was €"}},
		{name: "winback en", locale: "en", f: followUpOf(lifecycle.KindWinback),
			subject: "It has been a while",
			want:    []string{"No hurry and no obligation", "Classic trousers", "€89.00"},
			wantNot: []string{"%", "discount", "last chance"}},
		{name: "winback nl", locale: "nl", f: followUpOf(lifecycle.KindWinback),
			subject: "Het is even geleden",
			want:    []string{"Geen haast en geen verplichting", "Classic trousers", "€\u00a089,00"},
			wantNot: []string{"%", "korting"}},
		{name: "feedback en", locale: "en", f: followUpOf(lifecycle.KindFeedback),
			subject: "May I ask you something?", want: []string{"what could we do better?", "reply to this email"}},
		{name: "feedback nl", locale: "nl", f: followUpOf(lifecycle.KindFeedback),
			subject: "Mag ik u iets vragen?", want: []string{"wat kunnen we beter doen?", "Antwoord gewoon op deze e-mail"}},
		{name: "exit en", locale: "en", f: followUpOf(lifecycle.KindExit),
			subject: "May I ask why?",
			want:    []string{"why did you stop coming?", "reply to this email", signer.Preferences("c1"), "always welcome back"}},
		{name: "exit nl", locale: "nl", f: followUpOf(lifecycle.KindExit),
			subject: "Mag ik vragen waarom?",
			want:    []string{"waarom komt u niet meer?", "Antwoord gewoon op deze e-mail", signer.Preferences("c1"), "altijd weer welkom"}},
		{name: "service en", locale: "en", f: followUpOf(lifecycle.KindService),
			subject: "About your Classic trousers: our service desk will contact you",
			want:    []string{"I am sorry", "Our service desk will contact you shortly about Classic trousers"},
			wantNot: []string{"Unsubscribe", "interested"}},
		{name: "service nl", locale: "nl", f: followUpOf(lifecycle.KindService),
			subject: "Over uw Classic trousers: onze klantendienst neemt contact met u op",
			want:    []string{"Het spijt me", "Onze klantendienst neemt binnenkort contact met u op over Classic trousers"},
			wantNot: []string{"Uitschrijven", "interesse"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := renderOf(t, tc.locale, tc.f)
			assert.Contains(t, e.Subject, tc.subject, "subject")
			for _, want := range tc.want {
				assert.Contains(t, e.Text, want, "text")
				assert.Contains(t, e.HTML, want, "html")
			}
			for _, not := range tc.wantNot {
				assert.NotContains(t, strings.ToLower(e.Subject+e.Text+letterText(t, e.HTML)), strings.ToLower(not))
			}
		})
	}
}

func withCategory(f lifecycle.FollowUp, category string) lifecycle.FollowUp {
	f.Category = category
	return f
}

func withSegment(f lifecycle.FollowUp, s lifecycle.Segment) lifecycle.FollowUp {
	f.Segment = s
	return f
}

func TestSaleWordingFollowsTheSegment(t *testing.T) {
	sale := followUpOf(lifecycle.KindSale)
	for _, tc := range []struct {
		segment lifecycle.Segment
		locale  string
		subject string // exactly
		text    string // the text contains it
	}{
		{lifecycle.SegmentNone, "en", "Sale: 20% off trousers in your size", "There is a sale on trousers, the kind you bought: 20% off until 2026-12-24."},
		{lifecycle.SegmentLoyal, "en", "Sale: 20% off trousers in your size", "There is a sale on trousers, the kind you bought"},
		{lifecycle.SegmentLeaver, "nl", "Solden: 20% korting op trousers in uw maat", "Er zijn kortingen op trousers, het soort dat u kocht"},
		{lifecycle.SegmentShopper, "en", "20% off trousers in your size", "Dear Ann de Vries,\n\n20% off trousers until 2026-12-24."},
		{lifecycle.SegmentShopper, "nl", "20% korting op trousers in uw maat", "Beste Ann de Vries,\n\n20% korting op trousers tot 2026-12-24."},
		{lifecycle.SegmentAmbassador, "en", "Early access for our best customers: 20% off trousers", "As one of our best customers, you get early access to the sale on trousers"},
		{lifecycle.SegmentAmbassador, "nl", "Voorverkoop voor onze beste klanten: 20% korting op trousers", "Als een van onze beste klanten krijgt u als eerste toegang tot de solden op trousers"},
	} {
		t.Run(fmt.Sprintf("%s %s", tc.segment, tc.locale), func(t *testing.T) {
			e := renderOf(t, tc.locale, withSegment(sale, tc.segment))
			assert.Equal(t, tc.subject, e.Subject, "subject for segment %q", tc.segment)
			assert.Contains(t, e.Text, tc.text, "text for segment %q", tc.segment)
			assert.Contains(t, e.HTML, "20%", "the HTML names the discount for segment %q", tc.segment)
		})
	}
}

func TestRenderOfferWithoutBundleFails(t *testing.T) {
	f := followUpOf(lifecycle.KindOffer)
	f.BundleOffer = nil
	_, err := render(customerIn("en"), renderPrefs, f, nil, renderLinks(t), renderPolicy, "", Brand{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "without a bundle offer")
}

func TestMetricName(t *testing.T) {
	for metric, want := range map[string]string{
		"data_mb": "data", "DATA_GB": "data", "voice_minutes": "voice", "sms": "sms", "roaming_data_mb": "roaming data", "": "",
	} {
		assert.Equal(t, want, metricName(metric), "metric %q", metric)
	}
}

// Metrics stay bounded only if every kind has its own label and nothing else does.
func TestEveryKindHasItsOwnMetricLabel(t *testing.T) {
	for _, kind := range lifecycle.AllKinds {
		assert.Equal(t, string(kind), KindLabel(kind), "label of kind %q", kind)
	}
	assert.Equal(t, "unknown", KindLabel("customer/c1/offer"))
}

func TestRenderOfferAllowanceInTheCustomersLanguage(t *testing.T) {
	f := followUpOf(lifecycle.KindOffer)
	f.BundleOffer.Allowances = map[string]string{lifecycle.LocaleDutch: "5 GB tot het einde van de maand"}
	assert.Contains(t, renderOf(t, lifecycle.LocaleDutch, f).Text, "5 GB tot het einde van de maand")
	assert.Contains(t, renderOf(t, lifecycle.LocaleEnglish, f).Text, "5 GB until the end of the month")
}

// A shop that names itself in MAIL_FROM signs every email with that name, in both languages, and
// the HTML escapes it.
func TestRenderSignsWithTheShopsName(t *testing.T) {
	for _, kind := range lifecycle.AllKinds {
		for _, locale := range []string{lifecycle.LocaleEnglish, lifecycle.LocaleDutch} {
			f := followUpOf(kind)
			e, err := render(customerIn(locale), renderPrefs, f, offersFor(kind), renderLinks(t), renderPolicy, "Smith & Daughters", Brand{})
			require.NoError(t, err, "render %s in %s", kind, locale)
			assert.Contains(t, e.Text, "\nSmith & Daughters\n", "%s.%s text", kind, locale)
			assert.Contains(t, e.HTML, "Smith &amp; Daughters", "%s.%s html", kind, locale)
			for _, body := range []string{e.Text, e.HTML} {
				assert.NotContains(t, body, "Your tailor", "%s.%s", kind, locale)
				assert.NotContains(t, body, "Uw kleermaker", "%s.%s", kind, locale)
			}
		}
	}
}

// The confirmation says who will be in touch (the shop's name from MAIL_FROM, or the default
// signature) and by when (handoff_remind_after), in the customer's language.
func TestConfirmationSaysWhoAndByWhen(t *testing.T) {
	tests := []struct {
		locale, signature string
		remindAfter       time.Duration
		want              string
	}{
		{lifecycle.LocaleEnglish, "Mobiel NL", 48 * time.Hour, "Mobiel NL will contact you within 2 days to arrange it."},
		{lifecycle.LocaleEnglish, "", 24 * time.Hour, "Your tailor will contact you within 1 day to arrange it."},
		{lifecycle.LocaleEnglish, "Atelier", 36 * time.Hour, "Atelier will contact you within 36 hours to arrange it."},
		{lifecycle.LocaleEnglish, "Atelier", 0, "Atelier will contact you within 2 days to arrange it."}, // a policy without it: the default
		{lifecycle.LocaleDutch, "Mobiel NL", 72 * time.Hour, "Mobiel NL neemt binnen 3 dagen contact met u op om het te regelen."},
		{lifecycle.LocaleDutch, "", time.Hour, "Uw kleermaker neemt binnen 1 uur contact met u op om het te regelen."},
	}
	for _, tt := range tests {
		policy := lifecycle.Policy{HandoffRemindAfter: tt.remindAfter}
		e, err := render(customerIn(tt.locale), renderPrefs, followUpOf(lifecycle.KindConfirmation), nil, renderLinks(t), policy, tt.signature, Brand{})
		require.NoError(t, err, "%s %q %s", tt.locale, tt.signature, tt.remindAfter)
		assert.Contains(t, e.Text, tt.want, "text, %s %q %s", tt.locale, tt.signature, tt.remindAfter)
		assert.Contains(t, e.HTML, tt.want, "html, %s %q %s", tt.locale, tt.signature, tt.remindAfter)
	}
}
