package activities

import (
	"fmt"

	"github.com/vanng822/go-premailer/premailer"
)

// Brand is the shop's look around every email: the masthead (Name, or the logo at LogoURL with
// Name as its alt text), the accent colour of links and buttons, and the postal address in the
// footer (CAN-SPAM asks for it in marketing mail). The worker fills it from SHOP_NAME,
// SHOP_LOGO_URL, SHOP_ACCENT_COLOR and SHOP_POSTAL_ADDRESS; the zero Brand is the shop's signature
// as its name, DefaultAccent and no address.
type Brand struct {
	Name          string
	LogoURL       string
	Accent        string // #rgb or #rrggbb (lifecycle.IsHexColor); anything else is DefaultAccent
	PostalAddress string
}

// DefaultAccent is the accent colour of a shop that chose none: a tailor's navy.
const DefaultAccent = "#1f3a5f"

// inlineCSS copies the rules of the layout's <style> into each element's style attribute, which
// is what Gmail's apps, Outlook and most webmail keep; the media query stays in <style> for the
// clients that read it. go-premailer (github.com/vanng822/go-premailer) does the inlining: a
// maintained inliner on goquery and a real CSS parser, rather than one of our own.
func inlineCSS(html string) (string, error) {
	p, err := premailer.NewPremailerFromString(html, premailer.NewOptions())
	if err != nil {
		return "", fmt.Errorf("inline the email's CSS: %w", err)
	}
	out, err := p.Transform()
	if err != nil {
		return "", fmt.Errorf("inline the email's CSS: %w", err)
	}
	return out, nil
}
