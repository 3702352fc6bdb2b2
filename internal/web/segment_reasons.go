package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// segmentReasonText words the reasons of a customer's segment (lifecycle.SegmentReason) in one
// locale. Counts come from the [2]string forms, one and many, each with its %d.
type segmentReasonText struct {
	Exit, ExitWords string // ExitWords %s: the customer's own words
	LearningStopped string
	NothingBought   string
	NoPurchaseSince string // %[1]s: days since the last purchase, %[2]s: the days that make a leaver
	Referrals       string // %s: people
	BuysAndResponds string // %[1]s: purchases, %[2]s: responses, %[3]s: the window (InLast)
	// SaleResponse is the one response of a customer who responded once (to a sale); else
	// SaleResponses %[1]d of %[2]d.
	SaleResponse, SaleResponses string
	Purchases                   string // %[1]s: purchases, %[2]s: the window
	Spent                       string // %[1]s: the amount, %[2]s: the window
	ToWinOver                   string // %[1]s: purchases, %[2]s: the window
	InLast                      string // %s: days

	Purchase, Response, Day, Person [2]string
}

// segmentReasons are the reasons of seg as the page shows them, and their label: each typed reason
// in l's words, or, for a segment saved before its reasons were typed (or with a code this
// version does not know), the English sentences recorded with it, quoted and labelled as such.
func (l language) segmentReasons(seg store.CustomerSegment) ([]string, string) {
	if seg.TypedReasons != nil {
		out, known := make([]string, len(seg.TypedReasons)), true
		for i, r := range seg.TypedReasons {
			out[i], known = l.segmentReason(r)
			if !known {
				break
			}
		}
		if known {
			return out, l.Pref.Noted
		}
	}
	out := make([]string, len(seg.Reasons))
	for i, r := range seg.Reasons {
		out[i] = "“" + r + "”"
	}
	return out, l.Pref.Recorded
}

// segmentReason is r in l's words; false for a code it has no words for.
func (l language) segmentReason(r lifecycle.SegmentReason) (string, bool) {
	t := l.Pref.SegmentReasons
	count := func(forms [2]string, n int) string {
		if n == 1 {
			return fmt.Sprintf(forms[0], n)
		}
		return fmt.Sprintf(forms[1], n)
	}
	window := fmt.Sprintf(t.InLast, count(t.Day, r.Days))
	switch r.Code {
	case lifecycle.SegmentReasonExit:
		if r.ExitWords == "" {
			return t.Exit, true
		}
		return fmt.Sprintf(t.ExitWords, r.ExitWords), true
	case lifecycle.SegmentReasonLearningStopped:
		return t.LearningStopped, true
	case lifecycle.SegmentReasonNothingBought:
		return t.NothingBought, true
	case lifecycle.SegmentReasonNoPurchaseSince:
		return fmt.Sprintf(t.NoPurchaseSince, count(t.Day, r.Days), count(t.Day, r.LeaverAfterDays)), true
	case lifecycle.SegmentReasonReferrals:
		return fmt.Sprintf(t.Referrals, count(t.Person, r.Referrals)), true
	case lifecycle.SegmentReasonBuysAndResponds:
		return fmt.Sprintf(t.BuysAndResponds, count(t.Purchase, r.Purchases), count(t.Response, r.Responses), window), true
	case lifecycle.SegmentReasonSaleResponses:
		if r.Responses == 1 && r.SaleResponses == 1 {
			return t.SaleResponse, true
		}
		return fmt.Sprintf(t.SaleResponses, r.SaleResponses, r.Responses), true
	case lifecycle.SegmentReasonPurchases:
		return fmt.Sprintf(t.Purchases, count(t.Purchase, r.Purchases), window), true
	case lifecycle.SegmentReasonSpent:
		return fmt.Sprintf(t.Spent, l.euros(r.Cents), window), true
	case lifecycle.SegmentReasonToWinOver:
		return fmt.Sprintf(t.ToWinOver, count(t.Purchase, r.Purchases), window), true
	}
	return "", false
}

// euros writes an amount of cents as the locale writes money: €1,312.50 in English, € 1.312,50 in
// Dutch. The shop's amounts are in euros (segments.loyal_monetary_cents).
func (l language) euros(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	thousands, decimal, prefix := ",", ".", "€"
	if l.Lang == lifecycle.LocaleDutch {
		thousands, decimal, prefix = ".", ",", "€ "
	}
	var grouped strings.Builder
	for i, digit := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			grouped.WriteString(thousands)
		}
		grouped.WriteRune(digit)
	}
	return fmt.Sprintf("%s%s%s%s%02d", sign, prefix, grouped.String(), decimal, cents%100)
}
