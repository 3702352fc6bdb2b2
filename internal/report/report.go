package report

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tailorhq/tailor/internal/store"
)

// Below these a group is too small to conclude: each side needs MinGroupSize follow-ups, and the
// 95% interval of the lift must be at most MaxIntervalWidth (20 percentage points) wide.
const (
	MinGroupSize     = 50
	MaxIntervalWidth = 0.20
)

// Lift is the absolute lift in conversion rate (emailed minus held out) with its 95% interval;
// nil fields when nothing was held out.
type Lift struct {
	Estimate *float64 `json:"estimate"`
	Low      *float64 `json:"low"`
	High     *float64 `json:"high"`
}

// Row is one group of the report.
type Row struct {
	Group                 string   `json:"group"`
	Sent                  int64    `json:"sent"`
	HeldOut               int64    `json:"held_out"`
	Delivered             int64    `json:"delivered"`
	Opened                int64    `json:"opened"`
	Clicked               int64    `json:"clicked"`
	Offers                int64    `json:"offers"`
	OffersAccepted        int64    `json:"offers_accepted"`
	AcceptanceRate        *float64 `json:"acceptance_rate"` // nil without offers
	Conversions           int64    `json:"conversions"`
	HoldoutConversions    int64    `json:"holdout_conversions"`
	ConversionRate        *float64 `json:"conversion_rate"`         // nil when nothing was sent
	HoldoutConversionRate *float64 `json:"holdout_conversion_rate"` // nil when nothing was held out
	Revenue               string   `json:"revenue"`                 // attributed, a decimal string in the shop's currency
	HoldoutRevenue        string   `json:"holdout_revenue"`
	IncrementalRevenue    *string  `json:"incremental_revenue"` // nil when nothing was held out
	RevenuePerEmail       *string  `json:"revenue_per_email"`   // nil when nothing was sent
	Lift                  Lift     `json:"lift"`
	Conclusive            bool     `json:"conclusive"`
	Verdict               string   `json:"verdict"`

	lift *Interval
}

// Interval is the lift's interval, false when nothing was held out or sent.
func (r Row) Interval() (Interval, bool) {
	if r.lift == nil {
		return Interval{}, false
	}
	return *r.lift, true
}

// Report is what `starter report` prints and renders.
type Report struct {
	Since    time.Time            `json:"since"`
	Until    time.Time            `json:"until"`
	By       store.ReportGrouping `json:"by"`
	Interval string               `json:"interval"` // how the lift's interval is computed
	Rows     []Row                `json:"rows"`
}

// IntervalMethod names the interval in the report's output.
const IntervalMethod = "95% Newcombe hybrid score interval (Wilson) for a difference of two proportions"

// NewRow computes a group's rates, lift, incremental revenue and verdict from its counts.
func NewRow(c store.ReportCounts) Row {
	r := Row{
		Group: c.Group, Sent: c.Sent, HeldOut: c.HeldOut, Delivered: c.Delivered, Opened: c.Opened, Clicked: c.Clicked,
		Offers: c.Offers, OffersAccepted: c.OffersAccepted, Conversions: c.Conversions, HoldoutConversions: c.HoldoutConversions,
		Revenue: Money(c.RevenueCents), HoldoutRevenue: Money(c.HoldoutRevenueCents),
	}
	if c.Offers > 0 {
		r.AcceptanceRate = ptr(float64(c.OffersAccepted) / float64(c.Offers))
	}
	if c.Sent > 0 {
		r.ConversionRate = ptr(float64(c.Conversions) / float64(c.Sent))
		r.RevenuePerEmail = ptr(Money(roundDiv(c.RevenueCents, c.Sent)))
	}
	if c.HeldOut > 0 {
		r.HoldoutConversionRate = ptr(float64(c.HoldoutConversions) / float64(c.HeldOut))
		// What the emailed would have spent without the email, at the holdout's revenue per follow-up.
		r.IncrementalRevenue = ptr(Money(c.RevenueCents - roundDiv(c.HoldoutRevenueCents*c.Sent, c.HeldOut)))
	}
	if c.Sent > 0 && c.HeldOut > 0 {
		in := DifferenceOfProportions(c.Conversions, c.Sent, c.HoldoutConversions, c.HeldOut, z95)
		r.lift = &in
		r.Lift = Lift{Estimate: ptr(in.Estimate), Low: ptr(in.Low), High: ptr(in.High)}
	}
	r.Conclusive, r.Verdict = verdict(c, r.lift)
	return r
}

// verdict says in plain words what the group shows, and whether it is enough to conclude.
func verdict(c store.ReportCounts, in *Interval) (bool, string) {
	switch {
	case c.HeldOut == 0:
		return false, "no holdout: the lift cannot be measured (attributed revenue may include purchases that would have happened anyway)"
	case c.Sent == 0:
		return false, "nothing emailed in this group: the lift cannot be measured"
	case c.Sent < MinGroupSize || c.HeldOut < MinGroupSize:
		return false, fmt.Sprintf("too small to conclude: %d emailed and %d held out, at least %d of each needed", c.Sent, c.HeldOut, MinGroupSize)
	case in.Width() > MaxIntervalWidth:
		return false, fmt.Sprintf("too small to conclude: the interval is %.1f points wide, more than %.0f", 100*in.Width(), 100*MaxIntervalWidth)
	case in.Low > 0:
		return true, "the emails raised conversion: the whole interval is above 0"
	case in.High < 0:
		return true, "the emails lowered conversion: the whole interval is below 0"
	default:
		return true, "no measurable lift: the interval includes 0"
	}
}

// Money formats cents as a decimal string: 5520 is "55.20", -5 is "-0.05".
func Money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return sign + strconv.FormatInt(cents/100, 10) + "." + fmt.Sprintf("%02d", cents%100)
}

// roundDiv is a/b rounded half away from zero; b > 0.
func roundDiv(a, b int64) int64 {
	if a < 0 {
		return -((-a + b/2) / b)
	}
	return (a + b/2) / b
}

func ptr[T any](v T) *T { return &v }
