package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// A page speaks the customer's language: their locale from the store when the link names a
// customer we know, else the browser's Accept-Language, else English.

// message is a page that only tells something.
type message struct {
	Title      string
	Paragraphs []string
}

// pageText is every sentence the Go side of the pages writes, in one locale; the rest is in the
// templates, one per page and locale.
type pageText struct {
	TryAgain, Expired, Invalid, UnknownCustomer, FormUnreadable message
	OfferClosed, QuestionClosed, QuestionRefused                message

	Unsubscribe, Unsubscribed, Preferences, Interested, Checkin string // page titles

	OfferNoLonger, OfferThanks, OfferThanksAgain string // interested answers
	CheckinAgain, CheckinHappy, CheckinUnhappy   string // check-in answers

	Colors, Sizes, Categories string // the preference form's lists
	Kinds                     map[lifecycle.Kind]string

	// Problems with the preference form: %[1]s is the field, %[2]s the value (NoSuchKind: %s, the kind).
	BadCharacters, TooLong, TooMany, NoSuchKind, NoKind string

	Pref preferenceText // the rest of the preference page (held.go)
}

var pageTexts = map[string]pageText{
	lifecycle.LocaleEnglish: {
		TryAgain: message{"Please try again", []string{
			"We could not finish this right now. Nothing is lost: please try the same link again in a few minutes."}},
		Expired: message{"This link has expired", []string{
			"Links in our emails work for a limited time, so an old email cannot be used by someone else.",
			"Every email we send ends with a fresh link to your preferences: use the one in our latest email to unsubscribe, pause or change what you get."}},
		Invalid: message{"This link is not valid", []string{
			"The link may have been cut off or changed on its way. Please open it again from the email, or use the preferences link at the end of our latest email."}},
		UnknownCustomer: message{"We do not know this address any more", []string{
			"The customer this link was made for is no longer in our records, so there is nothing to change."}},
		FormUnreadable: message{"This form could not be read", []string{"Please go back, reload the page and try again."}},
		OfferClosed: message{"This offer is no longer open", []string{
			"We could not find this offer any more. Your tailor will write when there is something new for you."}},
		QuestionClosed: message{"This question is no longer open", []string{
			"We could not find this question any more. If something is not right, just reply to our email and your tailor will help."}},
		QuestionRefused: message{"This question is no longer open", []string{
			"We cannot take an answer to this question any more. If something is not right, just reply to our email and your tailor will help."}},

		Unsubscribe:  "Unsubscribe",
		Unsubscribed: "You are unsubscribed",
		Preferences:  "Your preferences",
		Interested:   "Shall we bring some?",
		Checkin:      "Is it what you hoped for?",

		OfferNoLonger:    "This offer can no longer be accepted.",
		OfferThanks:      "Thank you, your tailor will take care of it. We will confirm by email.",
		OfferThanksAgain: "You already told us you are interested. We will be in touch.",
		CheckinAgain:     "You answered this question already, thank you. Your first answer stands.",
		CheckinHappy:     "Thank you, we are glad to hear it.",
		CheckinUnhappy:   "Thank you for telling us. Our service desk will get in touch with you.",

		Colors:     "Colours",
		Sizes:      "Sizes",
		Categories: "Categories",
		Kinds: map[lifecycle.Kind]string{
			lifecycle.KindRestock: "When something I wanted is back in stock",
			lifecycle.KindSale:    "Sales on what I like",
			lifecycle.KindSeason:  "A seasonal selection chosen for me",
		},

		BadCharacters: "%[1]s: %[2]s contains characters we cannot store.",
		TooLong:       "%[1]s: %[2]s… is longer than 40 characters.",
		TooMany:       "%[1]s: at most 30 entries, please.",
		NoSuchKind:    "There is no kind of email called %s.",
		NoKind:        "Choose at least one kind of email, or tick “Pause all mail”.",
	},
	lifecycle.LocaleDutch: {
		TryAgain: message{"Probeer het later opnieuw", []string{
			"Dit lukte nu even niet. Er gaat niets verloren: probeer dezelfde link over een paar minuten opnieuw."}},
		Expired: message{"Deze link is verlopen", []string{
			"Links in onze e-mails werken een beperkte tijd, zodat niemand anders een oude e-mail kan gebruiken.",
			"Elke e-mail van ons eindigt met een nieuwe link naar uw voorkeuren: gebruik die uit onze laatste e-mail om u uit te schrijven, te pauzeren of te kiezen wat u ontvangt."}},
		Invalid: message{"Deze link is niet geldig", []string{
			"De link is onderweg misschien afgebroken of veranderd. Open hem opnieuw vanuit de e-mail, of gebruik de link naar uw voorkeuren onderaan onze laatste e-mail."}},
		UnknownCustomer: message{"We kennen dit adres niet meer", []string{
			"De klant voor wie deze link gemaakt is, staat niet meer in onze gegevens; er valt dus niets te wijzigen."}},
		FormUnreadable: message{"Dit formulier kon niet gelezen worden", []string{"Ga terug, laad de pagina opnieuw en probeer het nog eens."}},
		OfferClosed: message{"Dit aanbod is niet meer open", []string{
			"We vinden dit aanbod niet meer. Uw kleermaker schrijft u zodra er iets nieuws voor u is."}},
		QuestionClosed: message{"Deze vraag is niet meer open", []string{
			"We vinden deze vraag niet meer. Is er iets niet in orde, antwoord dan gewoon op onze e-mail en uw kleermaker helpt u verder."}},
		QuestionRefused: message{"Deze vraag is niet meer open", []string{
			"We kunnen op deze vraag geen antwoord meer aannemen. Is er iets niet in orde, antwoord dan gewoon op onze e-mail en uw kleermaker helpt u verder."}},

		Unsubscribe:  "Uitschrijven",
		Unsubscribed: "U bent uitgeschreven",
		Preferences:  "Uw voorkeuren",
		Interested:   "Zullen we iets voor u klaarleggen?",
		Checkin:      "Is het wat u had gehoopt?",

		OfferNoLonger:    "Dit aanbod kan niet meer aangenomen worden.",
		OfferThanks:      "Dank u, uw kleermaker regelt het. We bevestigen het per e-mail.",
		OfferThanksAgain: "U liet ons al weten dat u interesse hebt. We nemen contact met u op.",
		CheckinAgain:     "U beantwoordde deze vraag al, dank u. Uw eerste antwoord blijft staan.",
		CheckinHappy:     "Dank u, dat horen we graag.",
		CheckinUnhappy:   "Dank u dat u het ons laat weten. Onze klantendienst neemt contact met u op.",

		Colors:     "Kleuren",
		Sizes:      "Maten",
		Categories: "Categorieën",
		Kinds: map[lifecycle.Kind]string{
			lifecycle.KindRestock: "Wanneer iets wat ik wilde weer op voorraad is",
			lifecycle.KindSale:    "Kortingen op wat ik graag heb",
			lifecycle.KindSeason:  "Een seizoensselectie voor mij gekozen",
		},

		BadCharacters: "%[1]s: %[2]s bevat tekens die we niet kunnen opslaan.",
		TooLong:       "%[1]s: %[2]s… is langer dan 40 tekens.",
		TooMany:       "%[1]s: hoogstens 30, alstublieft.",
		NoSuchKind:    "Er is geen soort e-mail die %s heet.",
		NoKind:        "Kies minstens één soort e-mail, of vink “Alle mail pauzeren” aan.",
	},
}

// language is the locale a page speaks with its texts, the shop's labels filled in.
type language struct {
	Lang string
	pageText
}

// languageOf is the language of locale, with the shop's labels for its categories and kinds.
func (s *server) languageOf(locale string) language {
	if !lifecycle.ValidLocale(locale) {
		locale = lifecycle.LocaleEnglish
	}
	t := pageTexts[locale]
	t.Pref = preferenceTexts[locale]
	t.Categories = s.Vocabulary.Label(lifecycle.LabelCategories, locale, t.Categories)
	kinds := make(map[lifecycle.Kind]string, len(t.Kinds))
	for k, label := range t.Kinds {
		kinds[k] = s.Vocabulary.Label(string(k), locale, label)
	}
	t.Kinds = kinds
	return language{Lang: locale, pageText: t}
}

// customerLanguage is the customer's locale when it has templates, else the browser's.
func (s *server) customerLanguage(r *http.Request, c lifecycle.Customer) language {
	if lifecycle.ValidLocale(c.Locale) {
		return s.languageOf(c.Locale)
	}
	return s.requestLanguage(r)
}

// requestLanguage is the language the browser prefers most (Accept-Language) of those we have.
func (s *server) requestLanguage(r *http.Request) language {
	return s.languageOf(acceptedLocale(r.Header.Get("Accept-Language")))
}

// acceptedLocale picks the locale with the highest q of those in header we have templates for
// (nl-BE counts as nl); the first wins a tie; none: English.
func acceptedLocale(header string) string {
	best, bestQ := lifecycle.LocaleEnglish, 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		if lifecycle.ValidLocale(primary) && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// answer is the workflow's answer to an interest or a check-in as this page shows it. The
// workflow writes its answers in English, so a page in another language writes its own from the
// result instead ("").
func (l language) answer(fromWorkflow string) string {
	if l.Lang == lifecycle.LocaleEnglish {
		return fromWorkflow
	}
	return ""
}

// followUpKinds are the kinds a customer can choose, in the order shown.
var followUpKinds = []lifecycle.Kind{lifecycle.KindRestock, lifecycle.KindSale, lifecycle.KindSeason}

func (l language) kindBoxes(checked func(lifecycle.Kind) bool) []kindBox {
	boxes := make([]kindBox, len(followUpKinds))
	for i, k := range followUpKinds {
		boxes[i] = kindBox{Value: k, Label: l.Kinds[k], Checked: checked(k)}
	}
	return boxes
}

func knownKind(k lifecycle.Kind) bool { return slices.Contains(followUpKinds, k) }
