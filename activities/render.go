package activities

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Templates are `<kind>.<locale>.txt` (text/template, defines "<kind>.<locale>.subject" and
// "<kind>.<locale>.txt") and `<kind>.<locale>.html` (html/template), embedded so the worker binary
// carries them. Every kind in lifecycle.AllKinds has both in every locale; partials.html holds the
// pieces the HTML emails share.
//
//go:embed templates/*
var templateFS embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html"))
)

var templateFuncs = map[string]any{
	"join":      strings.Join,
	"enumerate": enumerate,
}

// enumerate writes a list the way a sentence does: "blue", "blue and grey", "blue, grey and
// navy", with conjunction the word before the last item ("and", "en", "or", "of").
func enumerate(items []string, conjunction string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conjunction + " " + items[len(items)-1]
}

// emailData is what every template sees.
type emailData struct {
	Name           string
	Greeting       string // the salutation line: "Dear Anna Visser," or, without a name, "Dear customer,"
	Locale         string
	Offers         []offerView
	Category       string
	Collection     string // empty for the newest items
	DiscountPct    int
	Until          string // sale end date, empty when open-ended
	Colors         []string
	Sizes          []string
	Offer          string // confirmation: the subject of the accepted offer
	UnsubscribeURL string
	PreferencesURL string
	InterestedURL  string // "yes, I'm interested" under what sells something; "yes, add it" in an offer

	// Segment is the customer's value segment when the follow-up was scheduled: the sale's wording
	// adapts to it (early access for ambassadors, the discount first for shoppers).
	Segment string

	// The moment of truth (offer).
	Metric          string // as a customer reads it: "data", not "data_mb"
	UsedPct         int
	BundleName      string
	BundlePrice     string
	BundleAllowance string
	ContractEnds    string // a retention offer: the day the contract ends; empty for a moment of truth

	// The usage phase (care, checkin, service).
	ProductName       string
	Tips              string // care: the policy's tips in the customer's language; empty: the template's general advice
	CheckinHappyURL   string // checkin: "yes, it is what I hoped for"
	CheckinUnhappyURL string // checkin: "no, not quite"

	Signature string // the name every email ends with

	// The confirmation: who will be in touch (the shop's name, or the default signature) and by
	// when (handoff_remind_after, in words of the customer's language).
	Shop   string
	Within string
}

// greetings are the salutation with a name and without one ("Beste ," would read as a mistake).
var greetings = map[string]struct{ named, anonymous string }{
	lifecycle.LocaleEnglish: {"Dear %s,", "Dear customer,"},
	lifecycle.LocaleDutch:   {"Beste %s,", "Beste klant,"},
}

// greeting is the first line of every email to name in locale.
func greeting(name, locale string) string {
	g := greetings[locale]
	if name = strings.TrimSpace(name); name == "" {
		return g.anonymous
	}
	return fmt.Sprintf(g.named, name)
}

// defaultSignatures sign the emails of a shop that did not name itself in MAIL_FROM.
var defaultSignatures = map[string]string{
	lifecycle.LocaleEnglish: "Your tailor",
	lifecycle.LocaleDutch:   "Uw kleermaker",
}

type offerView struct {
	Name, Color, Size string
	Price, OfferPrice string
	Discounted        bool
}

// render turns a follow-up into an email in the customer's locale. policy supplies the care tips;
// signature, when not empty, is the shop's name under the email.
func render(c lifecycle.Customer, prefs lifecycle.Preferences, f lifecycle.FollowUp, offers []lifecycle.Offer, links Links, policy lifecycle.Policy, signature string) (lifecycle.Email, error) {
	locale := c.Locale
	if !lifecycle.ValidLocale(locale) {
		locale = lifecycle.LocaleEnglish
	}
	// Every word from the data reaches the customer in their language where the shop or the
	// built-in colours have it.
	words := policy.Vocabulary
	data := emailData{
		Name:           c.Name,
		Greeting:       greeting(c.Name, locale),
		Locale:         locale,
		Category:       words.Category(f.Category, locale),
		Collection:     words.Collection(f.Collection, locale),
		DiscountPct:    f.DiscountPct,
		Colors:         translateAll(prefs.Colors, locale, words.Color),
		Sizes:          translateAll(prefs.Sizes, locale, words.Size),
		Offer:          f.Offer,
		UnsubscribeURL: links.Unsubscribe(c.ID),
		PreferencesURL: links.Preferences(c.ID),
		Segment:        string(f.Segment),
		ProductName:    words.ProductName(f.ProductName, locale),
		Signature:      signature,
	}
	if data.Signature == "" {
		data.Signature = defaultSignatures[locale]
	}
	// Only an email that offers something can be answered with "yes, I'm interested"; tips, a
	// question or a service message cannot.
	if f.Kind.Upsell() {
		data.InterestedURL = links.Interested(c.ID, f.Key)
	}
	switch f.Kind {
	case lifecycle.KindSale:
		if !f.ExpiresAt.IsZero() {
			data.Until = f.ExpiresAt.Format("2006-01-02")
		}
	case lifecycle.KindOffer:
		if f.BundleOffer == nil {
			return lifecycle.Email{}, fmt.Errorf("render %s: offer follow-up %s without a bundle offer", f.Kind, f.Key)
		}
		data.Metric = metricName(f.Metric)
		data.UsedPct = f.UsedPct
		if !f.ContractEndsAt.IsZero() {
			data.ContractEnds = f.ContractEndsAt.Format("2006-01-02")
		}
		data.BundleName = words.ProductName(f.BundleOffer.Name, locale)
		data.BundlePrice = money(f.BundleOffer.PriceCents, locale)
		data.BundleAllowance = f.BundleOffer.AllowanceIn(locale)
	case lifecycle.KindCare:
		data.Tips = careTips(policy, f.Category, locale)
	case lifecycle.KindConfirmation:
		data.Shop = data.Signature
		data.Within = horizon(policy.RemindAfter(), locale)
	case lifecycle.KindCheckin:
		// The check-in key is the email's own send key: the workflow knows which purchase it asked about.
		data.CheckinHappyURL = links.Checkin(c.ID, f.Key, true)
		data.CheckinUnhappyURL = links.Checkin(c.ID, f.Key, false)
	}
	for _, o := range offers {
		data.Offers = append(data.Offers, offerView{
			Name: words.ProductName(o.Name, locale), Color: words.Color(o.Color, locale), Size: words.Size(o.Size, locale),
			Price: money(o.PriceCents, locale), OfferPrice: money(o.OfferCents, locale),
			Discounted: o.OfferCents < o.PriceCents,
		})
	}

	name := fmt.Sprintf("%s.%s", f.Kind, locale)
	var subject, text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&subject, name+".subject", data); err != nil {
		return lifecycle.Email{}, fmt.Errorf("render %s subject: %w", name, err)
	}
	if err := textTemplates.ExecuteTemplate(&text, name+".txt", data); err != nil {
		return lifecycle.Email{}, fmt.Errorf("render %s text: %w", name, err)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, name+".html", data); err != nil {
		return lifecycle.Email{}, fmt.Errorf("render %s html: %w", name, err)
	}
	var headers map[string]string
	if !f.Kind.Transactional() {
		// RFC 8058 one-click unsubscribe: mailbox providers POST List-Unsubscribe=One-Click to the link.
		headers = map[string]string{
			"List-Unsubscribe":      "<" + data.UnsubscribeURL + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		}
	}
	return lifecycle.Email{
		Headers:    headers,
		Key:        f.Key,
		CustomerID: c.ID,
		Kind:       f.Kind,
		ToEmail:    c.Email,
		ToName:     c.Name,
		Subject:    strings.TrimSpace(subject.String()),
		Text:       text.String(),
		HTML:       html.String(),
	}, nil
}

// translateAll is each of list in locale.
func translateAll(list []string, locale string, word func(string, string) string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, w := range list {
		out[i] = word(w, locale)
	}
	return out
}

// careTips returns the configured tips for category in locale, else in English, else "" (the
// template then gives general advice).
func careTips(policy lifecycle.Policy, category, locale string) string {
	plan, ok := policy.CarePlanFor(category)
	if !ok {
		return ""
	}
	if tips := strings.TrimSpace(plan.Tips[locale]); tips != "" {
		return tips
	}
	return strings.TrimSpace(plan.Tips[lifecycle.LocaleEnglish])
}

// meterUnits are the unit suffixes meter names are written with (data_mb); a customer reads the
// metered thing, not its unit.
var meterUnits = []string{"kb", "mb", "gb", "tb", "min", "minutes", "sec", "seconds", "count"}

// metricName turns a meter name such as data_mb into words a customer reads: "data".
func metricName(metric string) string {
	words := strings.FieldsFunc(strings.ToLower(metric), func(r rune) bool { return r == '_' || r == '-' || r == ' ' })
	if len(words) > 1 && slices.Contains(meterUnits, words[len(words)-1]) {
		words = words[:len(words)-1]
	}
	return strings.Join(words, " ")
}

// money formats cents as euros the way each locale writes them: €79.95 and € 79,95, the Dutch
// space a non-breaking one so a narrow screen never puts the sign and the amount on two lines.
func money(cents int64, locale string) string {
	s := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	if locale == lifecycle.LocaleDutch {
		return "€\u00a0" + strings.Replace(s, ".", ",", 1)
	}
	return "€" + s
}

// horizon says d as a customer reads it in locale: "2 days", "36 hours", "1 dag", "36 uur".
func horizon(d time.Duration, locale string) string {
	type unit struct {
		size          time.Duration
		one, many     string
		oneNL, manyNL string
	}
	for _, u := range []unit{
		{24 * time.Hour, "day", "days", "dag", "dagen"},
		{time.Hour, "hour", "hours", "uur", "uur"},
		{time.Minute, "minute", "minutes", "minuut", "minuten"},
	} {
		if d >= u.size && d%u.size == 0 || u.size == time.Minute {
			n := int64(max(d/u.size, 1))
			word := u.many
			if locale == lifecycle.LocaleDutch {
				word = u.manyNL
			}
			if n == 1 {
				word = u.one
				if locale == lifecycle.LocaleDutch {
					word = u.oneNL
				}
			}
			return fmt.Sprintf("%d %s", n, word)
		}
	}
	return d.String()
}
