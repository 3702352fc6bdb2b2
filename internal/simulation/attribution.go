package simulation

import (
	"fmt"
	"slices"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// Attribution is what `starter report` would count a purchase as: credited to the marketing
// email that last touched the customer within the attribution window before it (last touch, as
// internal/store attributes it; a simulation has no clicks), or, for a follow-up held out, a
// conversion of the holdout when the purchase came within the window after the hold-out decision.
// One purchase can be both: credited to one email and a conversion of a holdout of another kind.
type Attribution struct {
	Day        int            `json:"day"` // of the purchase
	At         time.Time      `json:"at"`
	PurchaseID string         `json:"purchase_id"`
	SKU        string         `json:"sku"`
	Revenue    string         `json:"revenue"` // the product's price when bought, like 89.00
	Kind       lifecycle.Kind `json:"kind"`    // of the email credited, or of the follow-up held out
	Key        string         `json:"key"`
	FromDay    int            `json:"from_day"`          // when that email went out, or the follow-up was held out
	Holdout    bool           `json:"holdout,omitempty"` // a conversion of the holdout, not of an email
}

// boughtItem is a purchase the shop recorded, with the product's price then.
type boughtItem struct {
	purchase lifecycle.Purchase
	product  lifecycle.Product
}

// attribute credits each purchase as internal/store and the report do, with window the policy's
// attribution_window.
func (res *Result) attribute(bought []boughtItem, window time.Duration) []Attribution {
	if window <= 0 {
		window = lifecycle.DefaultAttributionWindow
	}
	var heldOut []Entry
	for _, e := range res.Timeline {
		if e.Event == "" && e.Outcome == workflows.OutcomeHeldOut {
			heldOut = append(heldOut, e)
		}
	}
	var out []Attribution
	for _, b := range bought {
		at := b.purchase.At
		base := Attribution{Day: res.day(at), At: at, PurchaseID: b.purchase.ID, SKU: b.product.SKU, Revenue: money(b.product.PriceCents)}
		var credited *Email
		for i := range res.Emails {
			e := &res.Emails[i]
			if !e.Kind.Transactional() && !e.At.After(at) && e.At.After(at.Add(-window)) {
				credited = e // emails are in time order: the last one wins
			}
		}
		if credited != nil {
			a := base
			a.Kind, a.Key, a.FromDay = credited.Kind, credited.Key, credited.Day
			out = append(out, a)
		}
		for _, h := range heldOut {
			if at.After(h.At) && !at.After(h.At.Add(window)) {
				a := base
				a.Kind, a.Key, a.FromDay, a.Holdout = h.Kind, h.Key, h.Day, true
				out = append(out, a)
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Attribution) int { return x.At.Compare(y.At) })
	return out
}

// String is the attribution as the timeline's summary shows it.
func (a Attribution) String() string {
	if a.Holdout {
		return fmt.Sprintf("purchase %s (%s, %s) counts for the holdout of the %s held out on day %d", a.PurchaseID, a.SKU, a.Revenue, a.Kind, a.FromDay)
	}
	return fmt.Sprintf("purchase %s (%s, %s) credited to the %s email of day %d", a.PurchaseID, a.SKU, a.Revenue, a.Kind, a.FromDay)
}

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }
