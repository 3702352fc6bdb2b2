package lifecycle

import (
	"fmt"
	"slices"
	"time"
)

// The usage phase: readings of a metered product (e.g. the MB used of a data bundle) and the
// "moment of truth" when a reading first crosses the threshold of its bundle's limit.

// UsageReading is one meter reading: Used of Limit units of Metric at At.
type UsageReading struct {
	Metric string    `json:"metric"`
	Used   float64   `json:"used"`
	Limit  float64   `json:"limit"`
	At     time.Time `json:"at"`
	// ContractEndsAt, when known, is when the customer's contract ends (a churn indicator when near).
	ContractEndsAt time.Time `json:"contract_ends_at,omitzero"`
}

// UsagePeriod is one bundle period as seen through its readings. A reading lower than the
// previous one, or with another limit, starts a new period.
type UsagePeriod struct {
	Limit     float64   `json:"limit"`
	StartedAt time.Time `json:"started_at"` // the first reading of the period
	// UsedAtStart is the first reading's value: what was used before StartedAt, which the rate
	// before a warning must not count (the time it took is unknown).
	UsedAtStart float64   `json:"used_at_start,omitempty"`
	Used        float64   `json:"used"` // the last reading
	LastAt      time.Time `json:"last_at"`
	// WarnedAt and UsedAtWarning are set when a reading crossed the threshold: the moment of truth.
	WarnedAt      time.Time `json:"warned_at,omitzero"`
	UsedAtWarning float64   `json:"used_at_warning,omitempty"`
}

// Over reports whether the customer used more than the bundle: they paid for extra usage.
func (p UsagePeriod) Over() bool { return p.Used > p.Limit }

// maxUsagePeriods bounds the profile: a year of monthly bundles.
const maxUsagePeriods = 12

// UsageProfile is the compact history of one metric that the customer's workflow keeps.
type UsageProfile struct {
	Metric         string        `json:"metric"`
	Periods        []UsagePeriod `json:"periods"` // oldest first; the last is the current one
	ContractEndsAt time.Time     `json:"contract_ends_at,omitzero"`
}

// Add records r and reports whether it is the moment of truth: the first reading of the current
// period at or above threshold (a fraction, e.g. 0.8) of the limit.
func (p UsageProfile) Add(r UsageReading, threshold float64) (UsageProfile, bool) {
	p.Metric = r.Metric
	p.Periods = slices.Clone(p.Periods)
	if !r.ContractEndsAt.IsZero() {
		p.ContractEndsAt = r.ContractEndsAt
	}
	n := len(p.Periods)
	if n == 0 || r.Used < p.Periods[n-1].Used || r.Limit != p.Periods[n-1].Limit {
		p.Periods = append(p.Periods, UsagePeriod{Limit: r.Limit, StartedAt: r.At, UsedAtStart: r.Used})
		if len(p.Periods) > maxUsagePeriods {
			p.Periods = p.Periods[len(p.Periods)-maxUsagePeriods:]
		}
		n = len(p.Periods)
	}
	cur := &p.Periods[n-1]
	cur.Used, cur.LastAt = r.Used, r.At
	// Used/Limit rather than threshold*Limit: the product rounds up for some thresholds (0.07*100
	// is 7.000000000000001), which would let a reading exactly at the threshold pass unnoticed.
	if cur.WarnedAt.IsZero() && r.Limit > 0 && r.Used/r.Limit >= threshold {
		cur.WarnedAt, cur.UsedAtWarning = r.At, r.Used
		return p, true
	}
	return p, false
}

// Behaviour is how a customer handles their limit, as seen at the moment of truth.
type Behaviour string

const (
	// BehaviourCostConscious: after an earlier warning the customer cut their usage and stayed
	// within the bundle. An offer that fits that behaviour (a small top-up) helps them.
	BehaviourCostConscious Behaviour = "cost-conscious"
	// BehaviourHeavy: the customer habitually uses more than the bundle and pays for it. An offer
	// would only cannibalise that revenue, so they get none unless churn indicators appear.
	BehaviourHeavy Behaviour = "heavy"
	// BehaviourChurnRisk: churn indicators are present (see ChurnIndicators); a retention offer fits.
	BehaviourChurnRisk Behaviour = "churn-risk"
	// BehaviourUnknown: not enough history to tell.
	BehaviourUnknown Behaviour = "unknown"
)

// Behaviours lists every behaviour, in the order offers are documented.
var Behaviours = []Behaviour{BehaviourCostConscious, BehaviourHeavy, BehaviourChurnRisk, BehaviourUnknown}

// BundleOffer is an offer for the moment of truth, from LIFECYCLE_CONFIG.
type BundleOffer struct {
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
	Allowance  string `json:"allowance"` // what the customer gets, in words, e.g. "5 GB until the end of the month"
	// Allowances are Allowance in other locales ("nl": "5 GB tot het einde van de maand"); a locale
	// without one gets Allowance.
	Allowances map[string]string `json:"allowances,omitempty"`
	For        []Behaviour       `json:"for"` // the behaviours it fits; never heavy
}

// UsagePolicy is the moment-of-truth part of the policy.
type UsagePolicy struct {
	// Threshold is the fraction of the limit that makes the moment of truth (default 0.8).
	Threshold float64 `json:"threshold"`
	// HeavyOverPeriods: a customer over the limit in at least this many earlier periods is heavy.
	HeavyOverPeriods int `json:"heavy_over_periods"`
	// CostConsciousDrop: a customer whose usage rate after an earlier warning fell by at least this
	// fraction of the rate before it, and who then stayed within the limit, is cost-conscious.
	CostConsciousDrop float64 `json:"cost_conscious_drop"`
	// DecliningDrop: the last complete period used at least this fraction less than the average of
	// the periods before it: declining usage, a churn indicator. Needs three complete periods.
	DecliningDrop float64 `json:"declining_drop"`
	// ContractEndWithin: a contract ending within this time of the moment is a churn indicator.
	ContractEndWithin time.Duration `json:"contract_end_within"`
	// ComplaintWithin: a complaint this recent is a churn indicator.
	ComplaintWithin time.Duration `json:"complaint_within"`
	// OfferValidFor: how long an offer may still go out after the moment (default 3 days).
	OfferValidFor time.Duration `json:"offer_valid_for"`
	Offers        []BundleOffer `json:"offers,omitempty"`
}

// DefaultUsagePolicy is used for every usage setting LIFECYCLE_CONFIG leaves out. It holds no
// offers: without configured offers every moment of truth is recorded and nothing is sent.
func DefaultUsagePolicy() UsagePolicy {
	return UsagePolicy{
		Threshold:         0.8,
		HeavyOverPeriods:  2,
		CostConsciousDrop: 0.3,
		DecliningDrop:     0.4,
		ContractEndWithin: 30 * 24 * time.Hour,
		ComplaintWithin:   90 * 24 * time.Hour,
		OfferValidFor:     3 * 24 * time.Hour,
	}
}

// ChurnFacts are what the workflow knows beyond the meter that may point to a leaving customer.
type ChurnFacts struct {
	LastComplaintAt time.Time // zero: none
	// OptedOutKinds: the customer unsubscribed from some kinds of email but not all.
	OptedOutKinds bool
}

// ChurnIndicators lists the churn indicators present at now, each in words: declining usage, a
// recent complaint, a contract ending soon, an opt-out from some kinds of email.
func ChurnIndicators(p UsageProfile, facts ChurnFacts, now time.Time, pol UsagePolicy) []string {
	var found []string
	if drop, ok := decline(p); ok && atLeast(drop, pol.DecliningDrop) {
		found = append(found, fmt.Sprintf("declining usage: the last complete period used %.0f%% less than the average before it", drop*100))
	}
	if !facts.LastComplaintAt.IsZero() && !facts.LastComplaintAt.After(now) && now.Sub(facts.LastComplaintAt) <= pol.ComplaintWithin {
		found = append(found, "complaint on "+facts.LastComplaintAt.Format(time.DateOnly))
	}
	if !p.ContractEndsAt.IsZero() && p.ContractEndsAt.After(now) && p.ContractEndsAt.Sub(now) <= pol.ContractEndWithin {
		found = append(found, "contract ends on "+p.ContractEndsAt.Format(time.DateOnly))
	}
	if facts.OptedOutKinds {
		found = append(found, "unsubscribed from some kinds of email")
	}
	return found
}

// decline is how much less the last complete period used than the average of the complete
// periods before it (0.25 = 25% less); ok is false with fewer than three complete periods.
func decline(p UsageProfile) (float64, bool) {
	complete := p.Periods
	if len(complete) > 0 {
		complete = complete[:len(complete)-1] // the current period is not complete
	}
	if len(complete) < 3 {
		return 0, false
	}
	last := complete[len(complete)-1]
	var sum float64
	for _, q := range complete[:len(complete)-1] {
		sum += q.Used
	}
	avg := sum / float64(len(complete)-1)
	if avg <= 0 {
		return 0, false
	}
	return (avg - last.Used) / avg, true
}

// ClassifyMoment says how the customer behaves at the moment of truth and why. Churn indicators
// come first (a heavy user who may leave is worth an offer), then heavy use, then cost-conscious
// behaviour after an earlier warning; otherwise unknown.
func ClassifyMoment(p UsageProfile, churn []string, pol UsagePolicy) (Behaviour, string) {
	if len(churn) > 0 {
		return BehaviourChurnRisk, "churn indicators: " + joinReasons(churn)
	}
	var earlier []UsagePeriod
	if len(p.Periods) > 0 {
		earlier = p.Periods[:len(p.Periods)-1]
	}
	over := 0
	for _, q := range earlier {
		if q.Over() {
			over++
		}
	}
	if pol.HeavyOverPeriods > 0 && over >= pol.HeavyOverPeriods {
		return BehaviourHeavy, fmt.Sprintf("used more than the bundle in %d of %d earlier periods", over, len(earlier))
	}
	// The most recent earlier period with a warning tells how the customer reacts to one.
	for i := len(earlier) - 1; i >= 0; i-- {
		q := earlier[i]
		if q.WarnedAt.IsZero() {
			continue
		}
		before, after, ok := ratesAroundWarning(q)
		if !ok {
			return BehaviourUnknown, fmt.Sprintf("the warning of %s has no reading before or after it to compare usage rates (%d of %d earlier periods over)",
				q.WarnedAt.Format(time.DateOnly), over, len(earlier))
		}
		if !q.Over() && before > 0 && atLeast((before-after)/before, pol.CostConsciousDrop) {
			return BehaviourCostConscious, fmt.Sprintf("after the warning of %s usage slowed by %.0f%% and stayed within the bundle",
				q.WarnedAt.Format(time.DateOnly), (before-after)/before*100)
		}
		return BehaviourUnknown, fmt.Sprintf("after the warning of %s usage did not slow by %.0f%% or went over the bundle (%d of %d earlier periods over)",
			q.WarnedAt.Format(time.DateOnly), pol.CostConsciousDrop*100, over, len(earlier))
	}
	return BehaviourUnknown, fmt.Sprintf("no earlier warning to learn from (%d earlier periods, %d over the bundle)", len(earlier), over)
}

// ratesAroundWarning returns the usage per hour before q's warning (from its first reading) and
// after it (to its last reading).
func ratesAroundWarning(q UsagePeriod) (before, after float64, ok bool) {
	toWarning := q.WarnedAt.Sub(q.StartedAt).Hours()
	fromWarning := q.LastAt.Sub(q.WarnedAt).Hours()
	if toWarning <= 0 || fromWarning <= 0 {
		return 0, 0, false
	}
	return (q.UsedAtWarning - q.UsedAtStart) / toWarning, (q.Used - q.UsedAtWarning) / fromWarning, true
}

// fractionTolerance absorbs float rounding in computed fractions: rates over hours give a drop of
// exactly 30% as 0.29999999999999993 about one time in five, and "at least 30%" must include it.
const fractionTolerance = 1e-9

// atLeast reports whether the computed fraction got is at least want, up to rounding.
func atLeast(got, want float64) bool { return got >= want-fractionTolerance }

// AllowanceIn returns what the offer gives, written for locale.
func (o BundleOffer) AllowanceIn(locale string) string {
	if t := o.Allowances[locale]; t != "" {
		return t
	}
	return o.Allowance
}

// ChooseOffer returns the first configured offer for b. Heavy users never get one: the reason says
// so, as it does when no offer is configured for b.
func ChooseOffer(b Behaviour, pol UsagePolicy) (BundleOffer, bool, string) {
	if b == BehaviourHeavy {
		return BundleOffer{}, false, "heavy user without churn indicators: no offer, so as not to cannibalise what they pay for extra usage"
	}
	for _, o := range pol.Offers {
		if slices.Contains(o.For, b) {
			return o, true, fmt.Sprintf("%s: offer %q fits", b, o.Name)
		}
	}
	return BundleOffer{}, false, fmt.Sprintf("%s: no offer configured for this behaviour", b)
}

func joinReasons(rs []string) string {
	out := ""
	for i, r := range rs {
		if i > 0 {
			out += "; "
		}
		out += r
	}
	return out
}
