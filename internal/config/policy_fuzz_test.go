package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// FuzzParsePolicy: no policy file makes the parser panic, and every policy it accepts keeps the
// promises its checks make (so the workflow may rely on them): no negative duration, fractions in
// (0, 1], counts at their minimum, a cap with a window, named and distinct offers for behaviours
// other than heavy, care plans that send something. The seeds (the examples and broken files) run
// as a normal test; `go test -run '^$' -fuzz FuzzParsePolicy ./internal/config` searches further.
func FuzzParsePolicy(f *testing.F) {
	examples, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "lifecycle.yaml"))
	if err != nil || len(examples) == 0 {
		f.Fatalf("no example policies under examples/*/lifecycle.yaml (%v)", err)
	}
	for _, path := range examples {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, seed := range []string{
		"",
		"min_gap: 3d\n",
		"min_gap: -3d\n",
		"min_gap: 9223372036854775807d\n",
		"min_gap: 106751d\nrestock_window: 106752d\n",
		"season_fallback: 213504d\n",
		"max_per_window: 2\ncap_window: 0s\n",
		"max_per_window: -1\n",
		"quiet_hours: 22:00-08:00\n",
		"quiet_hours: 25:00-08:00\n",
		"usage:\n  threshold: 150%\n",
		"usage:\n  threshold: NaN\n",
		"usage:\n  threshold: 0.0000001\n  heavy_over_periods: 0\n",
		"usage:\n  offers:\n    - name: Extra\n      price: 4.99\n      allowance: 5 GB\n      for: [heavy]\n",
		"usage:\n  offers:\n    - name: Extra\n      price: 99999999999999999999.99\n      allowance: 5 GB\n      for: [churn-risk]\n",
		"usage:\n  offers:\n    - name: A\n      price: 1\n      allowance: {en: x, nl: y}\n      for: [churn-risk]\n    - name: a\n      price: 1\n      allowance: x\n      for: [churn-risk]\n",
		"segments:\n  schedule: '* * * * * *'\n  lookback: 0d\n  loyal_spend: -3\n",
		"segments:\n  schedule_timezone: Local\n",
		"care:\n  - category: data-bundle\n    tips_after: 0s\n    checkin_after: 0s\n",
		"care:\n  - category: ' '\n  - category: X\n    tips_after: 3d\n    tips: {de: hallo}\n",
		"season_fallback_categories: ['', Trousers, trousers]\n",
		"unknown_setting: 1\n",
		"min_gap: [1, 2]\n",
		"&a [*a]\n",
		"{{{",
		"\x00\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := ParsePolicy(raw, "fuzz.yaml")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Errorf("error does not name the file: %v\ninput: %q", err, raw)
			}
			return
		}
		again, err := ParsePolicy(raw, "fuzz.yaml")
		if err != nil || !reflect.DeepEqual(p, again) {
			t.Errorf("parsing twice differs: %v\ninput: %q", err, raw)
		}
		for _, problem := range policyProblems(p) {
			t.Errorf("accepted policy breaks a promise: %s\ninput: %q", problem, raw)
		}
	})
}

// Days past what a time.Duration holds used to wrap around: 213504d was accepted as 25 minutes,
// 106752d called negative. Found while writing FuzzParsePolicy.
func TestParseDurationDoesNotWrapAround(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Duration
		problem string
	}{
		{in: "106751d", want: 106751 * 24 * time.Hour},
		{in: "106752d", problem: "too long"},
		{in: "213504d", problem: "too long"},
		{in: "9223372036854775807d", problem: "too long"},
		{in: "-1d", problem: "negative"},
	} {
		got, err := ParseDuration(tc.in)
		if tc.problem == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.problem) {
			t.Errorf("ParseDuration(%q) = %v, %v; want an error saying %q", tc.in, got, err, tc.problem)
		}
	}
}

// policyProblems lists what an accepted policy must not hold.
func policyProblems(p lifecycle.Policy) []string {
	var out []string
	bad := func(ok bool, what string) {
		if !ok {
			out = append(out, what)
		}
	}
	fraction := func(v float64) bool { return v > 0 && v <= 1 }
	bad(p.MinGap >= 0 && p.RestockWindow >= 0 && p.SeasonFallback >= 0 && p.CapWindow >= 0, "a negative duration")
	bad(p.MaxPerWindow >= 0, "max_per_window negative")
	bad(p.MaxPerWindow == 0 || p.CapWindow > 0, "a cap without a cap window")
	for _, c := range p.SeasonFallbackCategories {
		bad(c != "" && c == lifecycle.Normalize(c), "season fallback category empty or not normalized: "+c)
	}
	bad(!hasDuplicates(p.SeasonFallbackCategories), "season fallback categories repeat")

	u := p.Usage
	bad(fraction(u.Threshold) && fraction(u.CostConsciousDrop) && fraction(u.DecliningDrop), "a usage fraction outside (0, 1]")
	bad(u.HeavyOverPeriods >= 1, "heavy_over_periods below 1")
	bad(u.ContractEndWithin >= 0 && u.ComplaintWithin >= 0, "a negative usage duration")
	bad(u.OfferValidFor > 0, "offer_valid_for not more than 0")
	var names []string
	for _, o := range u.Offers {
		bad(o.Name != "", "an offer without a name")
		names = append(names, lifecycle.Normalize(o.Name))
		bad(o.PriceCents >= 0, "a negative price: "+o.Name)
		bad(len(o.For) > 0, "an offer for nobody: "+o.Name)
		bad(!slices.Contains(o.For, lifecycle.BehaviourHeavy), "an offer for heavy users: "+o.Name)
		for _, b := range o.For {
			bad(slices.Contains(lifecycle.Behaviours, b), "an offer for an unknown behaviour: "+string(b))
		}
		for locale, text := range o.Allowances {
			bad(lifecycle.ValidLocale(locale) && text != "", "an allowance in an unknown locale or empty: "+locale)
		}
		bad(len(o.Allowances) == 0 || o.Allowance != "", "localized allowances without the en text: "+o.Name)
	}
	bad(!hasDuplicates(names), "two offers with one name")

	s := p.Segments
	bad(s.Lookback > 0 && s.LeaverAfter > 0 && s.WinbackAfter > 0, "a segment duration not more than 0")
	bad(s.AmbassadorReferrals >= 0 && s.AmbassadorEngagement >= 0, "a negative segment count")
	bad(s.AmbassadorPurchases >= 1 && s.LoyalPurchases >= 1, "a purchase count below 1")
	bad(fraction(s.ShopperSaleShare), "shopper_sale_share outside (0, 1]")
	bad(s.LoyalMonetaryCents >= 0, "a negative loyal spend")
	bad(checkSchedule(s.Schedule) == nil, "an invalid schedule: "+s.Schedule)

	var categories []string
	for _, c := range p.Care {
		bad(c.Category != "", "a care plan without a category")
		categories = append(categories, c.Category)
		bad(c.TipsAfter >= 0 && c.CheckinAfter >= 0, "a negative care duration: "+c.Category)
		bad(c.TipsAfter > 0 || c.CheckinAfter > 0, "a care plan that sends nothing: "+c.Category)
		for locale := range c.Tips {
			bad(lifecycle.ValidLocale(locale), "tips in an unknown locale: "+locale)
		}
	}
	bad(!hasDuplicates(categories), "two care plans for one category")
	return out
}

func hasDuplicates(s []string) bool {
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	return len(slices.Compact(sorted)) != len(sorted)
}
