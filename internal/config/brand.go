package config

import (
	"fmt"
	"strings"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// BrandConfig is the shop's look around every email and page (SHOP_NAME, SHOP_LOGO_URL,
// SHOP_ACCENT_COLOR, SHOP_POSTAL_ADDRESS); the worker hands it to the activities as
// activities.Brand and to the pages as web.Brand.
type BrandConfig struct {
	Name          string // "" : the emails' signature (MAIL_FROM's name, else "Your tailor")
	LogoURL       string // "" : the name, set in type
	Accent        string // #rgb or #rrggbb
	PostalAddress string // "" : none, which the worker warns of at start
}

// DefaultAccentColor is a tailor's navy, for links and buttons.
const DefaultAccentColor = "#1f3a5f"

// maxPostalAddressLen is generous for one line of street, town and country.
const maxPostalAddressLen = 300

func parseShopLogoURL(w *Worker, v string) error {
	if err := lifecycle.CheckWebURL("", v); err != nil {
		return fmt.Errorf("%s; give the logo's absolute address, like https://shop.example.com/logo.png", strings.TrimSpace(err.Error()))
	}
	w.Brand.LogoURL = v
	return nil
}

func parseShopAccentColor(w *Worker, v string) error {
	if !lifecycle.IsHexColor(v) {
		return fmt.Errorf("%q is not a colour written #rgb or #rrggbb, like %s", v, DefaultAccentColor)
	}
	w.Brand.Accent = v
	return nil
}

func parseShopPostalAddress(w *Worker, v string) error {
	if err := lifecycle.CheckLine("", v, maxPostalAddressLen); err != nil {
		return fmt.Errorf("%s; write the address on one line, parts separated by commas", strings.TrimSpace(err.Error()))
	}
	w.Brand.PostalAddress = v
	return nil
}

func parseShopName(w *Worker, v string) error {
	if err := lifecycle.CheckLine("", v, lifecycle.MaxNameLen); err != nil {
		return fmt.Errorf("%s", strings.TrimSpace(err.Error()))
	}
	w.Brand.Name = v
	return nil
}
