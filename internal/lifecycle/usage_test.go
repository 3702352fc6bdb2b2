package lifecycle_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// usageStart is day 0 of the usage tests.
var usageStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// at is day d (fractions allowed) after usageStart.
func at(d float64) time.Time { return usageStart.Add(time.Duration(d * float64(24*time.Hour))) }

func reading(d float64, used, limit float64) lifecycle.UsageReading {
	return lifecycle.UsageReading{Metric: "data_mb", Used: used, Limit: limit, At: at(d)}
}

// describeReadings writes readings as "day 0: 100/1000, day 3: 850/1000" for failure messages.
func describeReadings(rs []lifecycle.UsageReading) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("day %g: %g/%g", r.At.Sub(usageStart).Hours()/24, r.Used, r.Limit)
	}
	return strings.Join(parts, ", ")
}

func TestUsageProfileAdd(t *testing.T) {
	tests := []struct {
		name        string
		threshold   float64
		readings    []lifecycle.UsageReading
		wantMoments []bool // per reading: was it the moment of truth
		wantPeriods int
	}{
		{"exactly at the threshold", 0.8,
			[]lifecycle.UsageReading{reading(0, 100, 1000), reading(10, 800, 1000)},
			[]bool{false, true}, 1},
		{"just below the threshold", 0.8,
			[]lifecycle.UsageReading{reading(0, 100, 1000), reading(10, 799.99, 1000)},
			[]bool{false, false}, 1},
		// threshold*limit is 7.000000000000001 in floating point: the reading must still count.
		{"exactly at a threshold whose product rounds up", 0.07,
			[]lifecycle.UsageReading{reading(0, 7, 100)},
			[]bool{true}, 1},
		{"the first reading of a period may be the moment", 0.8,
			[]lifecycle.UsageReading{reading(0, 900, 1000)},
			[]bool{true}, 1},
		{"only the first crossing in a period is the moment", 0.8,
			[]lifecycle.UsageReading{reading(0, 100, 1000), reading(10, 820, 1000), reading(12, 950, 1000), reading(14, 1200, 1000)},
			[]bool{false, true, false, false}, 1},
		{"an equal reading stays in the period", 0.8,
			[]lifecycle.UsageReading{reading(0, 500, 1000), reading(1, 500, 1000)},
			[]bool{false, false}, 1},
		{"a lower reading starts a new period with its own moment", 0.8,
			[]lifecycle.UsageReading{reading(0, 850, 1000), reading(30, 100, 1000), reading(45, 820, 1000)},
			[]bool{true, false, true}, 2},
		{"another limit starts a new period with its own moment", 0.8,
			[]lifecycle.UsageReading{reading(0, 850, 1000), reading(5, 900, 2000), reading(10, 1600, 2000)},
			[]bool{true, false, true}, 2},
		{"a zero limit is never the moment", 0.8,
			[]lifecycle.UsageReading{reading(0, 10, 0)},
			[]bool{false}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p lifecycle.UsageProfile
			for i, r := range tt.readings {
				var moment bool
				p, moment = p.Add(r, tt.threshold)
				require.Equal(t, tt.wantMoments[i], moment, "reading %d of [%s] at threshold %g", i, describeReadings(tt.readings), tt.threshold)
			}
			require.Len(t, p.Periods, tt.wantPeriods, "periods after [%s]", describeReadings(tt.readings))
		})
	}
}

func TestUsageProfileAddRecordsThePeriod(t *testing.T) {
	contractEnd := at(200)
	first := reading(1, 40, 1000)
	first.ContractEndsAt = contractEnd
	readings := []lifecycle.UsageReading{first, reading(16, 810, 1000), reading(20, 900, 1000)}
	var p lifecycle.UsageProfile
	for _, r := range readings {
		p, _ = p.Add(r, 0.8)
	}
	require.Equal(t, lifecycle.UsageProfile{
		Metric: "data_mb",
		Periods: []lifecycle.UsagePeriod{{
			Limit: 1000, StartedAt: at(1), UsedAtStart: 40, Used: 900, LastAt: at(20),
			WarnedAt: at(16), UsedAtWarning: 810,
		}},
		ContractEndsAt: contractEnd, // kept when later readings do not say
	}, p, "profile after [%s]", describeReadings(readings))
}

func TestUsageProfileAddLeavesTheOriginalAlone(t *testing.T) {
	before, _ := lifecycle.UsageProfile{}.Add(reading(0, 100, 1000), 0.8)
	after, _ := before.Add(reading(3, 850, 1000), 0.8)
	require.Zero(t, before.Periods[0].WarnedAt, "Add changed the profile it was called on")
	require.Equal(t, 100.0, before.Periods[0].Used, "Add changed the profile it was called on")
	require.Equal(t, at(3), after.Periods[0].WarnedAt)
}

// A year of monthly bundles is kept: the oldest period goes when a thirteenth starts.
func TestUsageProfileKeepsTwelvePeriods(t *testing.T) {
	var p lifecycle.UsageProfile
	for month := range 14 {
		p, _ = p.Add(reading(float64(30*month), 10, 1000), 0.8)
		p, _ = p.Add(reading(float64(30*month+20), 900, 1000), 0.8)
		require.LessOrEqual(t, len(p.Periods), 12, "after month %d", month)
	}
	require.Len(t, p.Periods, 12)
	require.Equal(t, at(60), p.Periods[0].StartedAt, "months 0 and 1 are dropped, month 2 is the oldest kept")
	require.Equal(t, at(13*30), p.Periods[11].StartedAt, "the current period is the last")
}

func TestUsagePeriodOver(t *testing.T) {
	for _, tt := range []struct {
		used, limit float64
		want        bool
	}{
		{999, 1000, false},
		{1000, 1000, false}, // the whole bundle, nothing extra paid
		{1000.5, 1000, true},
	} {
		require.Equal(t, tt.want, lifecycle.UsagePeriod{Used: tt.used, Limit: tt.limit}.Over(), "used %g of %g", tt.used, tt.limit)
	}
}

// period is one bundle of 1000 starting on day start with nothing used, its last reading on day
// last with used.
func period(start, last, used float64) lifecycle.UsagePeriod {
	return lifecycle.UsagePeriod{Limit: 1000, StartedAt: at(start), Used: used, LastAt: at(last)}
}

// warned is a period of 1000 from day start (nothing used) warned on day warnDay at 800, with its
// last reading on day last at used.
func warned(start, warnDay, last, used float64) lifecycle.UsagePeriod {
	q := period(start, last, used)
	q.WarnedAt, q.UsedAtWarning = at(warnDay), 800
	return q
}

// profile is earlier periods plus a current one that just crossed the threshold.
func profile(earlier ...lifecycle.UsagePeriod) lifecycle.UsageProfile {
	start := 0.0
	if n := len(earlier); n > 0 {
		start = earlier[n-1].LastAt.Sub(usageStart).Hours()/24 + 1
	}
	current := warned(start, start+20, start+20, 800)
	return lifecycle.UsageProfile{Metric: "data_mb", Periods: append(earlier, current)}
}

func describeProfile(p lifecycle.UsageProfile) string {
	parts := make([]string, len(p.Periods))
	for i, q := range p.Periods {
		s := fmt.Sprintf("[day %g-%g: %g/%g", q.StartedAt.Sub(usageStart).Hours()/24, q.LastAt.Sub(usageStart).Hours()/24, q.Used, q.Limit)
		if !q.WarnedAt.IsZero() {
			s += fmt.Sprintf(", warned day %g at %g", q.WarnedAt.Sub(usageStart).Hours()/24, q.UsedAtWarning)
		}
		parts[i] = s + "]"
	}
	return strings.Join(parts, " ")
}

func TestClassifyMoment(t *testing.T) {
	defaults := lifecycle.DefaultUsagePolicy()
	noHeavyRule := defaults
	noHeavyRule.HeavyOverPeriods = 0

	// Warned on day 16 at 800: 50 MB a day before the warning. After it, 35 a day for four days
	// (940) is exactly 30% slower; 35.5 a day (942) is 29%.
	slowed30 := warned(0, 16, 20, 940)
	slowed29 := warned(0, 16, 20, 942)
	// From the first reading (day 10, 300 used) to the warning: 50 a day; after it 40 a day is a
	// 20% drop. Counting from zero usage would make it 80 a day before, and a 50% drop.
	lateFirstReading := warned(0, 20, 24, 960)
	lateFirstReading.StartedAt, lateFirstReading.UsedAtStart = at(10), 300

	tests := []struct {
		name       string
		profile    lifecycle.UsageProfile
		churn      []string
		policy     lifecycle.UsagePolicy
		want       lifecycle.Behaviour
		wantReason string
	}{
		{"no history", profile(), nil, defaults,
			lifecycle.BehaviourUnknown, "no earlier warning to learn from (0 earlier periods, 0 over the bundle)"},
		{"an empty profile", lifecycle.UsageProfile{}, nil, defaults,
			lifecycle.BehaviourUnknown, "no earlier warning to learn from"},
		{"over in exactly HeavyOverPeriods earlier periods", profile(period(0, 29, 1300), period(30, 59, 1100)), nil, defaults,
			lifecycle.BehaviourHeavy, "used more than the bundle in 2 of 2 earlier periods"},
		{"over in one period fewer than HeavyOverPeriods", profile(period(0, 29, 1300), period(30, 59, 900)), nil, defaults,
			lifecycle.BehaviourUnknown, "no earlier warning to learn from (2 earlier periods, 1 over the bundle)"},
		{"using exactly the bundle is not over", profile(period(0, 29, 1000), period(30, 59, 1000)), nil, defaults,
			lifecycle.BehaviourUnknown, "0 over the bundle"},
		{"the current period does not count toward heavy", lifecycle.UsageProfile{Periods: []lifecycle.UsagePeriod{
			period(0, 29, 1300), warned(30, 50, 55, 1500)}}, nil, defaults,
			lifecycle.BehaviourUnknown, "1 over the bundle"},
		{"HeavyOverPeriods 0 turns the heavy rule off", profile(period(0, 29, 1300), period(30, 59, 1300)), nil, noHeavyRule,
			lifecycle.BehaviourUnknown, "2 over the bundle"},
		{"churn indicators trump heavy use", profile(period(0, 29, 1300), period(30, 59, 1100)), []string{"complaint on 2026-02-20"}, defaults,
			lifecycle.BehaviourChurnRisk, "churn indicators: complaint on 2026-02-20"},
		{"every churn indicator is in the reason", profile(), []string{"complaint on 2026-02-20", "contract ends on 2026-03-01"}, defaults,
			lifecycle.BehaviourChurnRisk, "churn indicators: complaint on 2026-02-20; contract ends on 2026-03-01"},
		{"slowed exactly CostConsciousDrop and stayed within", profile(slowed30), nil, defaults,
			lifecycle.BehaviourCostConscious, "after the warning of 2026-01-17 usage slowed by 30% and stayed within the bundle"},
		// 800 in 21 days, then 80 in 3: exactly 30% slower, 0.29999999999999993 in floating point.
		{"slowed exactly CostConsciousDrop, rounded down in floating point", profile(warned(0, 21, 24, 880)), nil, defaults,
			lifecycle.BehaviourCostConscious, "after the warning of 2026-01-22 usage slowed by 30%"},
		{"slowed one percent less than CostConsciousDrop", profile(slowed29), nil, defaults,
			lifecycle.BehaviourUnknown, "after the warning of 2026-01-17 usage did not slow by 30% or went over the bundle"},
		{"slowed by half and ended exactly at the limit", profile(warned(0, 16, 24, 1000)), nil, defaults,
			lifecycle.BehaviourCostConscious, "slowed by 50%"},
		{"slowed enough but went over", profile(warned(0, 16, 26, 1150)), nil, defaults,
			lifecycle.BehaviourUnknown, "did not slow by 30% or went over the bundle (1 of 1 earlier periods over)"},
		{"heavy comes before cost-conscious", profile(period(0, 29, 1300), period(30, 59, 1300), warned(60, 76, 80, 940)), nil, defaults,
			lifecycle.BehaviourHeavy, "used more than the bundle in 2 of 3 earlier periods"},
		{"the most recent warning decides: slowed before, not since", profile(slowed30, period(30, 59, 500), warned(60, 76, 80, 942)), nil, defaults,
			lifecycle.BehaviourUnknown, "after the warning of 2026-03-18 usage did not slow"},
		{"the most recent warning decides: slowed since", profile(slowed29, period(30, 59, 500), warned(60, 76, 80, 940)), nil, defaults,
			lifecycle.BehaviourCostConscious, "after the warning of 2026-03-18 usage slowed by 30%"},
		{"the rate before the warning counts from the first reading", profile(lateFirstReading), nil, defaults,
			lifecycle.BehaviourUnknown, "did not slow by 30%"},
		{"a warning at the last reading leaves no rate after it", profile(warned(0, 20, 20, 800)), nil, defaults,
			lifecycle.BehaviourUnknown, "the warning of 2026-01-21 has no reading before or after it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := lifecycle.ClassifyMoment(tt.profile, tt.churn, tt.policy)
			input := fmt.Sprintf("profile %s, churn %q", describeProfile(tt.profile), tt.churn)
			require.Equal(t, tt.want, got, "%s: reason %q", input, reason)
			require.Contains(t, reason, tt.wantReason, input)
		})
	}
}

func TestChurnIndicators(t *testing.T) {
	pol := lifecycle.DefaultUsagePolicy() // complaints within 90 days, contracts ending within 30 days, a 40% decline
	now := at(200)
	withContract := func(p lifecycle.UsageProfile, end time.Time) lifecycle.UsageProfile {
		p.ContractEndsAt = end
		return p
	}
	// Complete periods used 1000, 1000 and then the last one used.
	monthly := func(last float64) lifecycle.UsageProfile {
		return profile(period(0, 29, 1000), period(30, 59, 1000), period(60, 89, last))
	}

	tests := []struct {
		name    string
		profile lifecycle.UsageProfile
		facts   lifecycle.ChurnFacts
		want    []string
	}{
		{"none", profile(), lifecycle.ChurnFacts{}, nil},
		{"complaint exactly ComplaintWithin ago", profile(), lifecycle.ChurnFacts{LastComplaintAt: now.Add(-pol.ComplaintWithin)},
			[]string{"complaint on 2026-04-21"}},
		{"complaint a second longer ago", profile(), lifecycle.ChurnFacts{LastComplaintAt: now.Add(-pol.ComplaintWithin - time.Second)}, nil},
		{"complaint this moment", profile(), lifecycle.ChurnFacts{LastComplaintAt: now}, []string{"complaint on 2026-07-20"}},
		{"complaint dated after now", profile(), lifecycle.ChurnFacts{LastComplaintAt: now.Add(time.Hour)}, nil},
		{"contract ends exactly ContractEndWithin from now", withContract(profile(), now.Add(pol.ContractEndWithin)), lifecycle.ChurnFacts{},
			[]string{"contract ends on 2026-08-19"}},
		{"contract ends a second beyond", withContract(profile(), now.Add(pol.ContractEndWithin+time.Second)), lifecycle.ChurnFacts{}, nil},
		{"contract ends now: already over", withContract(profile(), now), lifecycle.ChurnFacts{}, nil},
		{"contract ended", withContract(profile(), now.Add(-24*time.Hour)), lifecycle.ChurnFacts{}, nil},
		{"opted out of some kinds", profile(), lifecycle.ChurnFacts{OptedOutKinds: true}, []string{"unsubscribed from some kinds of email"}},
		{"decline exactly DecliningDrop", monthly(600), lifecycle.ChurnFacts{},
			[]string{"declining usage: the last complete period used 40% less than the average before it"}},
		{"decline one percent less", monthly(610), lifecycle.ChurnFacts{}, nil},
		// An average of 1000/3 is not exact in floating point; exactly 40% less must still count.
		{"decline exactly DecliningDrop from an average of thirds", profile(period(0, 29, 300), period(30, 59, 350), period(60, 89, 350), period(90, 119, 200)),
			lifecycle.ChurnFacts{}, []string{"declining usage: the last complete period used 40% less than the average before it"}},
		{"fewer than three complete periods", profile(period(0, 29, 1000), period(30, 59, 100)), lifecycle.ChurnFacts{}, nil},
		{"the current period is not complete", lifecycle.UsageProfile{Periods: []lifecycle.UsagePeriod{
			period(0, 29, 1000), period(30, 59, 1000), period(60, 89, 100)}}, lifecycle.ChurnFacts{}, nil},
		{"nothing used in the last complete period", monthly(0), lifecycle.ChurnFacts{}, []string{
			"declining usage: the last complete period used 100% less than the average before it"}},
		{"nothing used at all: no decline to measure", profile(period(0, 29, 0), period(30, 59, 0), period(60, 89, 0)), lifecycle.ChurnFacts{}, nil},
		{"every indicator, in order", withContract(monthly(500), now.Add(24*time.Hour)),
			lifecycle.ChurnFacts{LastComplaintAt: at(150), OptedOutKinds: true}, []string{
				"declining usage: the last complete period used 50% less than the average before it",
				"complaint on 2026-05-31",
				"contract ends on 2026-07-21",
				"unsubscribed from some kinds of email",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lifecycle.ChurnIndicators(tt.profile, tt.facts, now, pol)
			require.Equal(t, tt.want, got, "profile %s, contract ends %s, facts %+v, now %s",
				describeProfile(tt.profile), tt.profile.ContractEndsAt, tt.facts, now)
		})
	}
}

func TestChooseOffer(t *testing.T) {
	saver := lifecycle.BundleOffer{Name: "Data saver 2 GB", PriceCents: 499,
		For: []lifecycle.Behaviour{lifecycle.BehaviourCostConscious, lifecycle.BehaviourUnknown}}
	topUp := lifecycle.BundleOffer{Name: "Top-up 1 GB", PriceCents: 299, For: []lifecycle.Behaviour{lifecycle.BehaviourCostConscious}}
	stay := lifecycle.BundleOffer{Name: "Stay-with-us 10 GB", For: []lifecycle.Behaviour{lifecycle.BehaviourChurnRisk}}
	// A policy that lists heavy anyway (config rejects it): the rule still holds.
	forHeavy := lifecycle.BundleOffer{Name: "Unlimited", For: []lifecycle.Behaviour{lifecycle.BehaviourHeavy}}
	offers := []lifecycle.BundleOffer{forHeavy, saver, topUp, stay}

	tests := []struct {
		name       string
		behaviour  lifecycle.Behaviour
		offers     []lifecycle.BundleOffer
		wantOffer  string // "": none
		wantReason string
	}{
		{"heavy never, even when an offer lists heavy", lifecycle.BehaviourHeavy, offers,
			"", "heavy user without churn indicators: no offer, so as not to cannibalise what they pay for extra usage"},
		{"the first offer that fits", lifecycle.BehaviourCostConscious, offers, "Data saver 2 GB", `cost-conscious: offer "Data saver 2 GB" fits`},
		{"the first offer that fits, in configured order", lifecycle.BehaviourCostConscious, []lifecycle.BundleOffer{topUp, saver}, "Top-up 1 GB", `cost-conscious: offer "Top-up 1 GB" fits`},
		{"unknown", lifecycle.BehaviourUnknown, offers, "Data saver 2 GB", `unknown: offer "Data saver 2 GB" fits`},
		{"churn risk", lifecycle.BehaviourChurnRisk, offers, "Stay-with-us 10 GB", `churn-risk: offer "Stay-with-us 10 GB" fits`},
		{"no offer for the behaviour", lifecycle.BehaviourChurnRisk, []lifecycle.BundleOffer{saver}, "", "churn-risk: no offer configured for this behaviour"},
		{"no offers at all", lifecycle.BehaviourUnknown, nil, "", "unknown: no offer configured for this behaviour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, reason := lifecycle.ChooseOffer(tt.behaviour, lifecycle.UsagePolicy{Offers: tt.offers})
			require.Equal(t, tt.wantOffer != "", ok, "behaviour %s, offers %+v: reason %q", tt.behaviour, tt.offers, reason)
			require.Equal(t, tt.wantOffer, got.Name, "behaviour %s, offers %+v", tt.behaviour, tt.offers)
			require.Equal(t, tt.wantReason, reason, "behaviour %s, offers %+v", tt.behaviour, tt.offers)
		})
	}
}

func TestDefaultUsagePolicy(t *testing.T) {
	const day = 24 * time.Hour
	require.Equal(t, lifecycle.UsagePolicy{
		Threshold: 0.8, HeavyOverPeriods: 2, CostConsciousDrop: 0.3, DecliningDrop: 0.4,
		ContractEndWithin: 30 * day, ComplaintWithin: 90 * day, OfferValidFor: 3 * day,
	}, lifecycle.DefaultUsagePolicy(), "the defaults documented on UsagePolicy; no offers")
	require.Equal(t, lifecycle.DefaultUsagePolicy(), lifecycle.DefaultPolicy().Usage)
}
