package web

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// heldView is everything the shop holds about the customer, as the preference page lists it:
// each piece in the customer's language with where it came from.
type heldView struct {
	Contact   []heldRow
	Taste     []tasteGroup
	Purchases []string
	Wishes    []string
	Notes     []string
	Usage     []string
	// UsageUnknown: no workflow answered, so what it holds (usage readings) cannot be shown now.
	UsageUnknown bool
	Emails       []string
	Segment      heldSegment
	// Learning says whether the shop learns from what the customer does, and since when not.
	Learning string
}

type heldRow struct{ Label, Value string }

// tasteGroup is one list of what the customer likes (colours, sizes, categories).
type tasteGroup struct {
	Label string
	Items []tasteItem
}

type tasteItem struct {
	Label   string
	Sources []string // where it came from, each a sentence
	Learned bool     // taught by a purchase (else stated)
	Remove  string   // the remove button's value: <list field>/<value>
}

type heldSegment struct {
	Name string // "" when none was computed
	Why  string // what the segment means, in the customer's language
	// Reasons are why the customer is in it, under ReasonsLabel: in the customer's language, or
	// for a segment saved before its reasons were typed, the English sentences recorded then, in
	// quotes (ReasonsLabel says they are English).
	Reasons      []string
	ReasonsLabel string
}

// preferenceText is the preference page's sentences in one locale. A %s is filled in as its
// comment says.
type preferenceText struct {
	Intro, SeeHeld, Saved, NothingSaved, Failed, Unsubscribed string
	Removed                                                   string // %s: the item
	LikeLegend, LikeHint, Other                               string // Other %s: the list's label, lower case
	KindsLegend, PauseLegend, Pause                           string
	LearningLegend, StopLearning                              string
	Save, Remove                                              string

	HeldTitle, HeldIntro                                 string
	YouTitle, Name, Email, Language, Timezone, Marketing string
	MarketingYes, MarketingNo, Suppressed                string
	LanguageNames                                        map[string]string
	TasteTitle, Nothing, Stated                          string
	LearnedFrom, WantedFrom, AndMore                     string // LearnedFrom, WantedFrom %[1]s: product, %[2]s: date; AndMore %d
	PurchasesTitle, Purchase                             string // Purchase %[1]s name, %[2]s details, %[3]s date
	WishesTitle, Wish                                    string // Wish %[1]s name, %[2]s colour, %[3]s size, %[4]s date
	NotesTitle                                           string
	NoteKinds                                            map[store.NoteKind]string // %[1]s text, %[2]s date
	// The usage section shows only for a customer with meter readings (a tailor's customers have
	// none), or when the workflow that holds them cannot be read.
	UsageTitle, UsageLine, UsageUnknown           string // UsageLine %[1]s metric, %[2]s used, %[3]s limit, %[4]s date
	EmailsTitle, EmailsLine, LastOpened, NoEmails string // EmailsLine %[1]d sent, %[2]d opened, %[3]d clicked; LastOpened %s
	SegmentTitle, NoSegment                       string
	Segments                                      map[lifecycle.Segment][2]string // name, what it means
	// Noted labels the segment's reasons in the page's words (SegmentReasons); Recorded the
	// English sentences of a segment saved before its reasons were typed.
	Noted, Recorded         string
	SegmentReasons          segmentReasonText
	LearningOn, LearningOff string // LearningOff %s: date
	Months                  [12]string
}

var preferenceTexts = map[string]preferenceText{
	lifecycle.LocaleEnglish: {
		Intro:        "Here you choose what we write to you about. Below the form is everything we hold about you and where it came from; we use only what is there.",
		SeeHeld:      "See everything we hold about you",
		Saved:        "Saved. Your tailor knows your wishes now.",
		NothingSaved: "Nothing was saved:",
		Failed:       "We could not save this right now. Please try again in a few minutes.",
		Unsubscribed: "You are unsubscribed from marketing mail; saving here does not change that.",
		Removed:      "Removed: %s. We no longer use it.",
		LikeLegend:   "What you like",
		LikeHint:     "Tick what you like. What is ticked is what we use.",
		Other:        "Other %s (separate them with commas)",
		KindsLegend:  "Which emails you want",
		PauseLegend:  "A break",
		Pause:        "Pause all mail from us until I come back here",

		LearningLegend: "Learning from what you do",
		StopLearning:   "Stop learning: use only what I tick here, not what I buy or which emails I open",
		Save:           "Save",
		Remove:         "Remove",

		HeldTitle:     "Everything we hold about you",
		HeldIntro:     "Where each piece came from. Remove what you do not want us to use. While we learn, a new purchase can teach it to us again; stop learning above to prevent that.",
		YouTitle:      "You",
		Name:          "Name",
		Email:         "Email address",
		Language:      "Language",
		Timezone:      "Time zone",
		Marketing:     "Marketing email",
		MarketingYes:  "yes",
		MarketingNo:   "no, you are unsubscribed",
		Suppressed:    "our mail cannot reach your address (the mail provider told us)",
		LanguageNames: map[string]string{lifecycle.LocaleEnglish: "English", lifecycle.LocaleDutch: "Dutch"},
		TasteTitle:    "Your taste",
		Nothing:       "Nothing.",
		Stated:        "you told us (or the shop noted it for you)",
		LearnedFrom:   "learned from your purchase of %[1]s on %[2]s",
		WantedFrom:    "you wanted it instead when you bought %[1]s on %[2]s",
		AndMore:       "and %d more purchases",

		PurchasesTitle: "What you bought",
		Purchase:       "%[1]s (%[2]s), %[3]s",
		WishesTitle:    "What you wanted and did not get yet",
		Wish:           "%[1]s in %[2]s, size %[3]s, since %[4]s",
		NotesTitle:     "What you told us",
		NoteKinds: map[store.NoteKind]string{
			store.NoteReferral:  "You recommended us: %[1]s (%[2]s)",
			store.NoteExit:      "You told us you are leaving: %[1]s (%[2]s)",
			store.NoteComplaint: "Your complaint: %[1]s (%[2]s)",
			store.NoteFeedback:  "Your answer to our question how we did: %[1]s (%[2]s)",
			store.NoteCheckin:   "Your answer to our check-in: %[1]s (%[2]s)",
		},
		UsageTitle:   "Your usage",
		UsageLine:    "%[1]s: %[2]s of %[3]s used (last reading %[4]s)",
		UsageUnknown: "We cannot read your usage right now; please look again later.",
		EmailsTitle:  "How you read our emails",
		EmailsLine:   "We sent you %[1]d emails; you opened %[2]d and clicked a link in %[3]d.",
		LastOpened:   "You last opened one on %s.",
		NoEmails:     "We have not emailed you yet.",
		SegmentTitle: "Your group",
		NoSegment:    "Not determined yet.",
		Noted:        "What we noted",
		Recorded:     "Recorded as",
		Segments: map[lifecycle.Segment][2]string{
			lifecycle.SegmentAmbassador: {"Ambassador", "you recommended us, or you buy often and answer our emails"},
			lifecycle.SegmentLoyal:      {"Loyal customer", "you bought from us several times this year, or for a good amount"},
			lifecycle.SegmentShopper:    {"Price-conscious customer", "you answer our sales most, or you are new to us"},
			lifecycle.SegmentLeaver:     {"Customer we may lose", "you told us you are leaving, or you have not bought for a long time"},
			lifecycle.SegmentNone:       {"No group", "you have not bought anything yet, or you asked us to stop learning"},
		},
		SegmentReasons: segmentReasonText{
			Exit:            "you told us you are leaving",
			ExitWords:       "you told us you are leaving: “%s”",
			LearningStopped: "you asked us to stop learning from what you do",
			NothingBought:   "no purchase yet",
			NoPurchaseSince: "no purchase for %[1]s (after %[2]s we count a customer in this group)",
			Referrals:       "you recommended us to %s",
			BuysAndResponds: "%[1]s and %[2]s to our emails %[3]s",
			SaleResponse:    "your one response to our emails was about a sale",
			SaleResponses:   "%[1]d of your %[2]d responses to our emails were about a sale",
			Purchases:       "%[1]s %[2]s",
			Spent:           "%[1]s spent %[2]s",
			ToWinOver:       "%[1]s %[2]s and few responses to our emails",
			InLast:          "in the last %s",
			Purchase:        [2]string{"%d purchase", "%d purchases"},
			Response:        [2]string{"%d response", "%d responses"},
			Day:             [2]string{"%d day", "%d days"},
			Person:          [2]string{"%d person", "%d people"},
		},
		LearningOn:  "We learn your taste from what you buy, and your group from your purchases and which emails you open and click.",
		LearningOff: "You stopped our learning on %s: we use only what you tick here.",
		Months:      [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	},
	lifecycle.LocaleDutch: {
		Intro:        "Hier kiest u waarover we u schrijven. Onder het formulier staat alles wat we over u bewaren en waar het vandaan komt; we gebruiken alleen wat daar staat.",
		SeeHeld:      "Bekijk alles wat we over u bewaren",
		Saved:        "Bewaard. Uw kleermaker kent nu uw wensen.",
		NothingSaved: "Er is niets bewaard:",
		Failed:       "Bewaren lukte nu even niet. Probeer het over een paar minuten opnieuw.",
		Unsubscribed: "U bent uitgeschreven voor marketingmail; wat u hier bewaart, verandert dat niet.",
		Removed:      "Verwijderd: %s. We gebruiken het niet meer.",
		LikeLegend:   "Wat u graag hebt",
		LikeHint:     "Vink aan wat u graag hebt. Wat aangevinkt is, gebruiken we.",
		Other:        "Andere %s (met komma's ertussen)",
		KindsLegend:  "Welke e-mails u wilt",
		PauseLegend:  "Even niets",
		Pause:        "Alle mail van ons pauzeren tot ik hier terugkom",

		LearningLegend: "Leren van wat u doet",
		StopLearning:   "Stop met leren: gebruik alleen wat ik hier aanvink, niet wat ik koop of welke e-mails ik open",
		Save:           "Bewaren",
		Remove:         "Verwijderen",

		HeldTitle:     "Alles wat we over u bewaren",
		HeldIntro:     "Met bij elk gegeven waar het vandaan komt. Verwijder wat we niet mogen gebruiken. Zolang we leren, kan een nieuwe aankoop het ons opnieuw leren; zet hierboven het leren stop om dat te voorkomen.",
		YouTitle:      "U",
		Name:          "Naam",
		Email:         "E-mailadres",
		Language:      "Taal",
		Timezone:      "Tijdzone",
		Marketing:     "Marketingmail",
		MarketingYes:  "ja",
		MarketingNo:   "nee, u bent uitgeschreven",
		Suppressed:    "onze mail bereikt uw adres niet (dat meldde de mailprovider)",
		LanguageNames: map[string]string{lifecycle.LocaleEnglish: "Engels", lifecycle.LocaleDutch: "Nederlands"},
		TasteTitle:    "Uw smaak",
		Nothing:       "Niets.",
		Stated:        "door u opgegeven (of door de winkel voor u genoteerd)",
		LearnedFrom:   "geleerd van uw aankoop van %[1]s op %[2]s",
		WantedFrom:    "u wilde dit liever toen u %[1]s kocht op %[2]s",
		AndMore:       "en nog %d aankopen",

		PurchasesTitle: "Wat u kocht",
		Purchase:       "%[1]s (%[2]s), %[3]s",
		WishesTitle:    "Wat u wilde en nog niet kreeg",
		Wish:           "%[1]s in %[2]s, maat %[3]s, sinds %[4]s",
		NotesTitle:     "Wat u ons vertelde",
		NoteKinds: map[store.NoteKind]string{
			store.NoteReferral:  "U raadde ons aan: %[1]s (%[2]s)",
			store.NoteExit:      "U liet weten te vertrekken: %[1]s (%[2]s)",
			store.NoteComplaint: "Uw klacht: %[1]s (%[2]s)",
			store.NoteFeedback:  "Uw antwoord op onze vraag hoe we het deden: %[1]s (%[2]s)",
			store.NoteCheckin:   "Uw antwoord op onze vraag of het naar wens is: %[1]s (%[2]s)",
		},
		UsageTitle:   "Uw verbruik",
		UsageLine:    "%[1]s: %[2]s van %[3]s verbruikt (laatste meting %[4]s)",
		UsageUnknown: "We kunnen uw verbruik nu even niet lezen; kijk later nog eens.",
		EmailsTitle:  "Hoe u onze e-mails leest",
		EmailsLine:   "We stuurden u %[1]d e-mails; u opende er %[2]d en klikte in %[3]d op een link.",
		LastOpened:   "Het laatst opende u er een op %s.",
		NoEmails:     "We hebben u nog niet gemaild.",
		SegmentTitle: "Uw groep",
		NoSegment:    "Nog niet bepaald.",
		Noted:        "Wat we vastlegden",
		Recorded:     "Vastgelegd als (in het Engels)",
		Segments: map[lifecycle.Segment][2]string{
			lifecycle.SegmentAmbassador: {"Ambassadeur", "u raadde ons aan, of u koopt vaak en reageert op onze e-mails"},
			lifecycle.SegmentLoyal:      {"Trouwe klant", "u kocht dit jaar een paar keer bij ons, of voor een mooi bedrag"},
			lifecycle.SegmentShopper:    {"Prijsbewuste klant", "u reageert vooral op onze kortingen, of u bent nieuw bij ons"},
			lifecycle.SegmentLeaver:     {"Klant die we kunnen verliezen", "u liet weten te vertrekken, of u kocht lang niets"},
			lifecycle.SegmentNone:       {"Geen groep", "u kocht nog niets, of u vroeg ons te stoppen met leren"},
		},
		SegmentReasons: segmentReasonText{
			Exit:            "u liet ons weten dat u vertrekt",
			ExitWords:       "u liet ons weten dat u vertrekt: “%s”",
			LearningStopped: "u vroeg ons te stoppen met leren van wat u doet",
			NoPurchaseSince: "al %[1]s geen aankoop (na %[2]s rekenen we een klant tot deze groep)",
			NothingBought:   "nog geen aankoop",
			Referrals:       "u raadde ons aan bij %s",
			BuysAndResponds: "%[1]s en %[2]s op onze e-mails %[3]s",
			SaleResponse:    "uw enige reactie op onze e-mails ging over een korting",
			SaleResponses:   "%[1]d van uw %[2]d reacties op onze e-mails gingen over een korting",
			Purchases:       "%[1]s %[2]s",
			Spent:           "%[1]s besteed %[2]s",
			ToWinOver:       "%[1]s %[2]s en weinig reacties op onze e-mails",
			InLast:          "in de afgelopen %s",
			Purchase:        [2]string{"%d aankoop", "%d aankopen"},
			Response:        [2]string{"%d reactie", "%d reacties"},
			Day:             [2]string{"%d dag", "%d dagen"},
			Person:          [2]string{"%d persoon", "%d mensen"},
		},
		LearningOn:  "We leren uw smaak van wat u koopt, en uw groep van uw aankopen en welke e-mails u opent en aanklikt.",
		LearningOff: "U zette het leren stop op %s: we gebruiken alleen wat u hier aanvinkt.",
		Months:      [12]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
	},
}

// date is t as the customer reads a day: 3 March 2026, 3 maart 2026, in their time zone.
func (l language) date(t time.Time, tz *time.Location) string {
	t = t.In(tz)
	return fmt.Sprintf("%d %s %d", t.Day(), l.Pref.Months[t.Month()-1], t.Year())
}

// preferencesView is the page for d with form.
func (s *server) preferencesView(l language, d preferencesData, form preferencesForm) view {
	return view{language: l, Title: l.Preferences, Email: maskEmail(d.customer.Email), Consent: d.customer.MarketingConsent,
		Form: form, Held: l.held(d, s.Vocabulary)}
}

// held lists what d holds in l's words.
func (l language) held(d preferencesData, words lifecycle.Vocabulary) heldView {
	t, h := l.Pref, d.held
	tz := time.UTC
	if loc, err := lifecycle.LoadLocation(h.Customer.Timezone); err == nil && h.Customer.Timezone != "" {
		tz = loc
	}
	day := func(at time.Time) string { return l.date(at, tz) }
	var v heldView

	marketing := t.MarketingYes
	if !h.Customer.MarketingConsent {
		marketing = t.MarketingNo
	}
	if h.Customer.Suppressed {
		marketing += "; " + t.Suppressed
	}
	v.Contact = []heldRow{
		{t.Name, cmp.Or(h.Customer.Name, "–")},
		{t.Email, maskEmail(h.Customer.Email)},
		{t.Language, cmp.Or(t.LanguageNames[h.Customer.Locale], h.Customer.Locale, "–")},
		{t.Timezone, cmp.Or(h.Customer.Timezone, "–")},
		{t.Marketing, marketing},
	}

	product := func(p store.HeldPurchase) string {
		return words.ProductName(cmp.Or(p.Product.Name, p.Product.Product), l.Lang)
	}
	for _, def := range l.lists(words) {
		g := tasteGroup{Label: def.Label}
		for _, value := range *def.get(&h.Preferences) {
			item := tasteItem{Label: def.translate(value), Remove: def.OtherField + "/" + value}
			var from []store.HeldPurchase // purchases that taught it, the latest first
			wanted := false
			for _, p := range h.Purchases {
				taught := p.Taught()
				if slices.Contains(*def.get(&taught), value) {
					from = append(from, p)
					if len(from) == 1 {
						wanted = def.Field == fieldColorChip && lifecycle.Normalize(p.WantedColor) == value && lifecycle.Normalize(p.Product.Color) != value
					}
				}
			}
			if len(from) == 0 {
				item.Sources = []string{t.Stated}
			} else {
				item.Learned = true
				format := t.LearnedFrom
				if wanted {
					format = t.WantedFrom
				}
				item.Sources = []string{fmt.Sprintf(format, product(from[0]), day(from[0].At))}
				if len(from) > 1 {
					item.Sources = append(item.Sources, fmt.Sprintf(t.AndMore, len(from)-1))
				}
			}
			g.Items = append(g.Items, item)
		}
		v.Taste = append(v.Taste, g)
	}

	for _, p := range h.Purchases {
		var details []string
		for _, d := range []string{words.Color(p.Product.Color, l.Lang), sizeLabel(words, lifecycle.Normalize(p.Product.Size), l.Lang), words.Category(p.Product.Category, l.Lang)} {
			if d != "" {
				details = append(details, d)
			}
		}
		v.Purchases = append(v.Purchases, fmt.Sprintf(t.Purchase, product(p), strings.Join(details, ", "), day(p.At)))
	}
	for _, w := range h.Wishes {
		if !w.ClosedAt.IsZero() {
			continue
		}
		v.Wishes = append(v.Wishes, fmt.Sprintf(t.Wish, words.ProductName(w.ProductName, l.Lang), words.Color(w.Color, l.Lang), sizeLabel(words, w.Size, l.Lang), day(w.CreatedAt)))
	}
	for _, n := range h.Notes {
		v.Notes = append(v.Notes, fmt.Sprintf(t.NoteKinds[n.Kind], cmp.Or(n.Text, "–"), day(n.OccurredAt)))
	}

	v.UsageUnknown = !d.running
	for _, u := range d.status.Usage {
		if len(u.Periods) == 0 {
			continue
		}
		last := u.Periods[len(u.Periods)-1]
		v.Usage = append(v.Usage, fmt.Sprintf(t.UsageLine, u.Metric, l.number(last.Used), l.number(last.Limit), day(last.LastAt)))
	}

	if h.Emails.Sent > 0 || h.Emails.Opened > 0 || h.Emails.Clicked > 0 {
		v.Emails = []string{fmt.Sprintf(t.EmailsLine, h.Emails.Sent, h.Emails.Opened, h.Emails.Clicked)}
		if !h.Emails.LastOpenedAt.IsZero() {
			v.Emails = append(v.Emails, fmt.Sprintf(t.LastOpened, day(h.Emails.LastOpenedAt)))
		}
	}

	if !h.Segment.ComputedAt.IsZero() {
		names := t.Segments[h.Segment.Segment]
		v.Segment = heldSegment{Name: names[0], Why: names[1]}
		v.Segment.Reasons, v.Segment.ReasonsLabel = l.segmentReasons(h.Segment)
	}
	v.Learning = t.LearningOn
	if !h.LearningStoppedAt.IsZero() {
		v.Learning = fmt.Sprintf(t.LearningOff, day(h.LearningStoppedAt))
	}
	return v
}

// number writes a reading without needless decimals, with the locale's decimal mark: 80, 2.5, 2,5.
func (l language) number(f float64) string {
	n := strconv.FormatFloat(f, 'f', -1, 64)
	if l.Lang == lifecycle.LocaleDutch {
		n = strings.Replace(n, ".", ",", 1)
	}
	return n
}
