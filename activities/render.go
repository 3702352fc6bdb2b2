package activities

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Templates are `<kind>.<locale>.txt` (text/template, defines "subject" and "body") and
// `<kind>.<locale>.html` (html/template), embedded so the worker binary carries them.
//
//go:embed templates/*
var templateFS embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html"))
)

var templateFuncs = map[string]any{
	"join": strings.Join,
}

// emailData is what every template sees.
type emailData struct {
	Name           string
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
	InterestedURL  string // "yes, I'm interested" under an offer
}

type offerView struct {
	Name, Color, Size string
	Price, OfferPrice string
	Discounted        bool
}

func render(c lifecycle.Customer, prefs lifecycle.Preferences, f lifecycle.FollowUp, offers []lifecycle.Offer, links Links) (lifecycle.Email, error) {
	locale := c.Locale
	if !lifecycle.ValidLocale(locale) {
		locale = lifecycle.LocaleEnglish
	}
	data := emailData{
		Name:           c.Name,
		Locale:         locale,
		Category:       f.Category,
		Collection:     f.Collection,
		DiscountPct:    f.DiscountPct,
		Colors:         prefs.Colors,
		Sizes:          prefs.Sizes,
		Offer:          f.Offer,
		UnsubscribeURL: links.Unsubscribe(c.ID),
		PreferencesURL: links.Preferences(c.ID),
	}
	if !f.Kind.Transactional() {
		data.InterestedURL = links.Interested(c.ID, f.Key)
	}
	if f.Kind == lifecycle.KindSale && !f.ExpiresAt.IsZero() {
		data.Until = f.ExpiresAt.Format("2006-01-02")
	}
	for _, o := range offers {
		data.Offers = append(data.Offers, offerView{
			Name: o.Name, Color: o.Color, Size: o.Size,
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

// money formats cents as euros the way each locale writes them: €79.95 and € 79,95.
func money(cents int64, locale string) string {
	s := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	if locale == lifecycle.LocaleDutch {
		return "€ " + strings.Replace(s, ".", ",", 1)
	}
	return "€" + s
}
