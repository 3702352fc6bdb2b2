// Package config reads Tailor's settings: connection settings from the environment and the
// contact policy from the YAML file named by LIFECYCLE_CONFIG. Every problem is reported at once,
// and secrets never appear in errors.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// policyFile is the YAML layout of LIFECYCLE_CONFIG; durations are Go durations or whole days
// ("14d"), fractions are percentages ("80%") or plain fractions ("0.8").
type policyFile struct {
	MinGap         string `yaml:"min_gap"`
	RestockWindow  string `yaml:"restock_window"`
	SeasonFallback string `yaml:"season_fallback"`
	// SeasonFallbackCategories: the purchases that start a season fallback; empty: all.
	SeasonFallbackCategories []string      `yaml:"season_fallback_categories"`
	QuietHours               string        `yaml:"quiet_hours"`
	MaxPerWindow             *int          `yaml:"max_per_window"`
	CapWindow                string        `yaml:"cap_window"`
	Usage                    *usageFile    `yaml:"usage"`
	Segments                 *segmentsFile `yaml:"segments"`
	Care                     []careFile    `yaml:"care"`
}

// usageFile is the moment of truth: lifecycle.UsagePolicy.
type usageFile struct {
	Threshold         string      `yaml:"threshold"`
	HeavyOverPeriods  *int        `yaml:"heavy_over_periods"`
	CostConsciousDrop string      `yaml:"cost_conscious_drop"`
	DecliningDrop     string      `yaml:"declining_drop"`
	ContractEndWithin string      `yaml:"contract_end_within"`
	ComplaintWithin   string      `yaml:"complaint_within"`
	OfferValidFor     string      `yaml:"offer_valid_for"`
	Offers            []offerFile `yaml:"offers"`
}

type offerFile struct {
	Name      string        `yaml:"name"`
	Price     string        `yaml:"price"`
	Allowance localizedText `yaml:"allowance"`
	For       []string      `yaml:"for"`
}

// localizedText is a text written once ("2 GB extra") or per locale ({en: "2 GB extra", nl: "2 GB
// extra"}); in YAML either form is accepted.
type localizedText struct {
	Text     string            // the one text, or the English one
	ByLocale map[string]string // every locale given
}

func (t *localizedText) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&t.Text)
	}
	if err := n.Decode(&t.ByLocale); err != nil {
		return fmt.Errorf("line %d: write one text, or one per locale like {en: ..., nl: ...}", n.Line)
	}
	t.Text = t.ByLocale[lifecycle.LocaleEnglish]
	return nil
}

// segmentsFile is the value segmentation: lifecycle.SegmentPolicy.
type segmentsFile struct {
	Schedule             string `yaml:"schedule"`
	ScheduleTimezone     string `yaml:"schedule_timezone"`
	Lookback             string `yaml:"lookback"`
	LeaverAfter          string `yaml:"leaver_after"`
	AmbassadorReferrals  *int   `yaml:"ambassador_referrals"`
	AmbassadorPurchases  *int   `yaml:"ambassador_purchases"`
	AmbassadorEngagement *int   `yaml:"ambassador_engagement"`
	ShopperSaleShare     string `yaml:"shopper_sale_share"`
	LoyalPurchases       *int   `yaml:"loyal_purchases"`
	LoyalSpend           string `yaml:"loyal_spend"`
	WinbackAfter         string `yaml:"winback_after"`
}

// careFile is the usage phase of one product category: lifecycle.CarePlan.
type careFile struct {
	Category     string            `yaml:"category"`
	TipsAfter    string            `yaml:"tips_after"`
	CheckinAfter string            `yaml:"checkin_after"`
	Tips         map[string]string `yaml:"tips"`
}

// knownSettings is the hint after a YAML error: the settings a policy file may hold.
const knownSettings = "known settings: min_gap, restock_window, season_fallback, season_fallback_categories, quiet_hours, max_per_window, cap_window, usage, segments, care"

// nestedFields turns yaml.v3's Go type names for the nested blocks into what a person can act on.
// The top level's (config.policyFile) is left for callers that name the file their own way (the
// simulation's policy block); knownSettings follows it.
var nestedFields = strings.NewReplacer(
	"in type config.usageFile", "in usage (known: threshold, heavy_over_periods, cost_conscious_drop, declining_drop, contract_end_within, complaint_within, offer_valid_for, offers)",
	"in type config.offerFile", "in an offer (known: name, price, allowance, for)",
	"in type config.segmentsFile", "in segments (known: schedule, lookback, leaver_after, ambassador_referrals, ambassador_purchases, ambassador_engagement, shopper_sale_share, loyal_purchases, loyal_spend, winback_after)",
	"in type config.careFile", "in a care plan (known: category, tips_after, checkin_after, tips)",
)

// LoadPolicy reads a lifecycle policy file; settings it leaves out keep lifecycle.DefaultPolicy.
func LoadPolicy(path string) (lifecycle.Policy, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return lifecycle.Policy{}, fmt.Errorf("LIFECYCLE_CONFIG: %w", err)
	}
	return ParsePolicy(raw, path)
}

// ParsePolicy parses policy YAML; name is used in error messages. Every problem is reported, each
// with the path of its setting (usage.offers[1], care[0], ...).
func ParsePolicy(raw []byte, name string) (lifecycle.Policy, error) {
	var f policyFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		msg := err.Error()
		if strings.Contains(msg, "in type config.policyFile") {
			msg += " (" + knownSettings + ")"
		}
		return lifecycle.Policy{}, fmt.Errorf("%s: %s", name, nestedFields.Replace(msg))
	}
	p := lifecycle.DefaultPolicy()
	c := &checker{name: name}
	c.duration("min_gap", f.MinGap, &p.MinGap)
	c.duration("restock_window", f.RestockWindow, &p.RestockWindow)
	c.duration("season_fallback", f.SeasonFallback, &p.SeasonFallback)
	for i, category := range f.SeasonFallbackCategories {
		if n := lifecycle.Normalize(category); n == "" {
			c.addf(fmt.Sprintf("season_fallback_categories[%d]", i), "is empty; name a product category like trousers")
		} else if !slices.Contains(p.SeasonFallbackCategories, n) {
			p.SeasonFallbackCategories = append(p.SeasonFallbackCategories, n)
		}
	}
	c.duration("cap_window", f.CapWindow, &p.CapWindow)
	if q, err := lifecycle.ParseQuietHours(f.QuietHours); err != nil {
		c.add("quiet_hours", err)
	} else {
		p.QuietHours = q
	}
	if f.MaxPerWindow != nil {
		if *f.MaxPerWindow < 0 {
			c.addf("max_per_window", "%d is negative", *f.MaxPerWindow)
		} else {
			p.MaxPerWindow = *f.MaxPerWindow
		}
	}
	if p.MaxPerWindow > 0 && p.CapWindow <= 0 {
		c.problems = append(c.problems, fmt.Errorf("%s: max_per_window needs a cap_window, e.g. 30d", name))
	}
	if f.Usage != nil {
		c.usage(*f.Usage, &p.Usage)
	}
	if f.Segments != nil {
		c.segments(*f.Segments, &p.Segments)
	}
	p.Care = c.care(f.Care)
	return p, errors.Join(c.problems...)
}

// checker collects every problem of a policy file, each prefixed with the file's name and the
// path of the setting, so that one run lists everything to fix.
type checker struct {
	name     string
	problems []error
}

func (c *checker) add(path string, err error) {
	c.problems = append(c.problems, fmt.Errorf("%s: %s: %w", c.name, path, err))
}

func (c *checker) addf(path, format string, args ...any) {
	c.add(path, fmt.Errorf(format, args...))
}

// duration sets *dst from value unless value is empty (the default stays).
func (c *checker) duration(path, value string, dst *time.Duration) {
	if value == "" {
		return
	}
	d, err := ParseDuration(value)
	if err != nil {
		c.add(path, err)
		return
	}
	*dst = d
}

// positiveDuration is duration for settings where 0 would make no sense.
func (c *checker) positiveDuration(path, value string, dst *time.Duration) {
	if value == "" {
		return
	}
	d, err := ParseDuration(value)
	if err == nil && d == 0 {
		err = fmt.Errorf("%q must be more than 0", value)
	}
	if err != nil {
		c.add(path, err)
		return
	}
	*dst = d
}

// fraction sets *dst from a percentage or fraction in (0, 1] unless value is empty.
func (c *checker) fraction(path, value string, dst *float64) {
	if value == "" {
		return
	}
	v, err := parseFraction(value)
	if err != nil {
		c.add(path, err)
		return
	}
	if v <= 0 || v > 1 {
		c.addf(path, "%q must be more than 0%% and at most 100%%, e.g. 80%% or 0.8", value)
		return
	}
	*dst = v
}

// count sets *dst unless v is nil; a value below lowest is a problem.
func (c *checker) count(path string, v *int, lowest int, dst *int) {
	if v == nil {
		return
	}
	if *v < lowest {
		c.addf(path, "%d must be at least %d", *v, lowest)
		return
	}
	*dst = *v
}

// parseFraction accepts a percentage ("80%", "12.5%") or a fraction ("0.8").
func parseFraction(s string) (float64, error) {
	s = strings.TrimSpace(s)
	number, percent := strings.CutSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(number), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a percentage like 80%% or a fraction like 0.8", s)
	}
	if percent {
		v /= 100
	}
	return v, nil
}

// offerBehaviours are the behaviours an offer may be for: every one but heavy.
func offerBehaviours() []string {
	var out []string
	for _, b := range lifecycle.Behaviours {
		if b != lifecycle.BehaviourHeavy {
			out = append(out, string(b))
		}
	}
	return out
}

func (c *checker) usage(f usageFile, u *lifecycle.UsagePolicy) {
	c.fraction("usage.threshold", f.Threshold, &u.Threshold)
	// At least 1: with 0 nobody would be heavy, and heavy users would get offers.
	c.count("usage.heavy_over_periods", f.HeavyOverPeriods, 1, &u.HeavyOverPeriods)
	c.fraction("usage.cost_conscious_drop", f.CostConsciousDrop, &u.CostConsciousDrop)
	c.fraction("usage.declining_drop", f.DecliningDrop, &u.DecliningDrop)
	c.duration("usage.contract_end_within", f.ContractEndWithin, &u.ContractEndWithin)
	c.duration("usage.complaint_within", f.ComplaintWithin, &u.ComplaintWithin)
	// An offer valid for no time at all could never wait out quiet hours.
	c.positiveDuration("usage.offer_valid_for", f.OfferValidFor, &u.OfferValidFor)

	seen := map[string]string{} // normalized name -> path of the offer that has it
	for i, of := range f.Offers {
		o := lifecycle.BundleOffer{Name: strings.TrimSpace(of.Name), Allowance: strings.TrimSpace(of.Allowance.Text)}
		path := fmt.Sprintf("usage.offers[%d]", i)
		if o.Name == "" {
			c.addf(path, "name is missing")
		} else {
			path += " (" + o.Name + ")"
			if first, dup := seen[lifecycle.Normalize(o.Name)]; dup {
				c.addf(path, "name %q is already used by %s; each offer needs its own name", o.Name, first)
			} else {
				seen[lifecycle.Normalize(o.Name)] = path
			}
		}
		for _, locale := range slices.Sorted(maps.Keys(of.Allowance.ByLocale)) {
			text := strings.TrimSpace(of.Allowance.ByLocale[locale])
			switch {
			case !lifecycle.ValidLocale(locale):
				c.addf(path, "allowance: %q is not a locale with templates; use en or nl", locale)
			case text == "":
				c.addf(path, "allowance: the %s text is empty", locale)
			default:
				if o.Allowances == nil {
					o.Allowances = map[string]string{}
				}
				o.Allowances[locale] = text
			}
		}
		if len(of.Allowance.ByLocale) > 0 && o.Allowance == "" {
			c.addf(path, "allowance: the en text is missing; it is what customers in other locales get")
		}
		cents, ok := lifecycle.ParsePrice(strings.TrimSpace(of.Price))
		if !ok {
			c.addf(path, "price %q is not a price like 4.99 (0.00 for a free offer)", of.Price)
		}
		o.PriceCents = cents
		if len(of.For) == 0 {
			c.addf(path, "for is missing: list the behaviours it fits, of %s", strings.Join(offerBehaviours(), ", "))
		}
		for _, name := range of.For {
			b := lifecycle.Behaviour(lifecycle.Normalize(name))
			switch {
			case b == lifecycle.BehaviourHeavy:
				c.addf(path, "for: heavy users never get an offer: it would cannibalise what they pay for extra usage. "+
					"A heavy user who shows churn indicators is churn-risk; list churn-risk instead")
			case !slices.Contains(lifecycle.Behaviours, b):
				c.addf(path, "for: %q is not a behaviour; use %s", name, strings.Join(offerBehaviours(), ", "))
			case !slices.Contains(o.For, b):
				o.For = append(o.For, b)
			}
		}
		u.Offers = append(u.Offers, o)
	}
}

func (c *checker) segments(f segmentsFile, s *lifecycle.SegmentPolicy) {
	if f.Schedule != "" {
		schedule := strings.Join(strings.Fields(f.Schedule), " ")
		if err := checkCron(schedule); err != nil {
			c.add("segments.schedule", err)
		} else {
			s.Schedule = schedule
		}
	}
	if tz := strings.TrimSpace(f.ScheduleTimezone); tz != "" {
		// The Temporal server reads the zone, but a typo should stop the config here, not at setup.
		if _, err := lifecycle.LoadLocation(tz); err != nil {
			c.addf("segments.schedule_timezone", "%q: unknown time zone, use an IANA name like Europe/Amsterdam", tz)
		} else {
			s.ScheduleTimezone = tz
		}
	}
	c.positiveDuration("segments.lookback", f.Lookback, &s.Lookback)
	c.positiveDuration("segments.leaver_after", f.LeaverAfter, &s.LeaverAfter)
	c.positiveDuration("segments.winback_after", f.WinbackAfter, &s.WinbackAfter)
	// 0 referrals turns the referral rule off; 0 purchases would make every buyer loyal or an
	// ambassador, so those start at 1.
	c.count("segments.ambassador_referrals", f.AmbassadorReferrals, 0, &s.AmbassadorReferrals)
	c.count("segments.ambassador_purchases", f.AmbassadorPurchases, 1, &s.AmbassadorPurchases)
	c.count("segments.ambassador_engagement", f.AmbassadorEngagement, 0, &s.AmbassadorEngagement)
	c.count("segments.loyal_purchases", f.LoyalPurchases, 1, &s.LoyalPurchases)
	c.fraction("segments.shopper_sale_share", f.ShopperSaleShare, &s.ShopperSaleShare)
	if f.LoyalSpend != "" {
		cents, ok := lifecycle.ParsePrice(strings.TrimSpace(f.LoyalSpend))
		if !ok {
			c.addf("segments.loyal_spend", "%q is not an amount like 300.00 (0 turns the spend rule off)", f.LoyalSpend)
		} else {
			s.LoyalMonetaryCents = cents
		}
	}
}

func (c *checker) care(files []careFile) []lifecycle.CarePlan {
	var plans []lifecycle.CarePlan
	seen := map[string]string{} // category -> path of the plan that has it
	for i, cf := range files {
		plan := lifecycle.CarePlan{Category: lifecycle.Normalize(cf.Category)}
		path := fmt.Sprintf("care[%d]", i)
		if plan.Category == "" {
			c.addf(path, "category is missing: the product category this plan is for, e.g. data-bundle")
		} else {
			path += " (" + plan.Category + ")"
			if first, dup := seen[plan.Category]; dup {
				c.addf(path, "category %q already has a plan at %s; merge them into one", plan.Category, first)
			} else {
				seen[plan.Category] = path
			}
		}
		bad := len(c.problems)
		c.duration(path+".tips_after", cf.TipsAfter, &plan.TipsAfter)
		c.duration(path+".checkin_after", cf.CheckinAfter, &plan.CheckinAfter)
		if len(c.problems) == bad && plan.TipsAfter == 0 && plan.CheckinAfter == 0 {
			c.addf(path, "give tips_after, checkin_after or both, more than 0: a plan without either sends nothing")
		}
		for _, locale := range slices.Sorted(maps.Keys(cf.Tips)) {
			if !lifecycle.ValidLocale(locale) {
				c.addf(path+".tips", "locale %q has no templates; use %s or %s", locale, lifecycle.LocaleEnglish, lifecycle.LocaleDutch)
				continue
			}
			if plan.Tips == nil {
				plan.Tips = map[string]string{}
			}
			plan.Tips[locale] = strings.TrimSpace(cf.Tips[locale])
		}
		plans = append(plans, plan)
	}
	return plans
}

// cronRanges are the five fields of a cron schedule, with their ranges and, for month and day of
// week, the names cron also accepts.
var cronRanges = []struct {
	field    string
	min, max int
	names    []string // names[i] stands for min+i
}{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 6, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// checkCron accepts a standard five-field cron schedule ("0 3 * * *"): each field a list of *,
// values or ranges, each optionally with a /step.
func checkCron(spec string) error {
	fields := strings.Fields(spec)
	if len(fields) != len(cronRanges) {
		return fmt.Errorf("%q has %d fields; a cron schedule has 5 (minute hour day-of-month month day-of-week), e.g. \"0 3 * * *\" for 03:00 every day", spec, len(fields))
	}
	var problems []string
	for i, field := range fields {
		r := cronRanges[i]
		value := func(s string) (int, bool) {
			if n := slices.Index(r.names, strings.ToLower(s)); n >= 0 {
				return r.min + n, true
			}
			n, err := strconv.Atoi(s)
			return n, err == nil && n >= r.min && n <= r.max
		}
		for _, part := range strings.Split(field, ",") {
			rng, step, hasStep := strings.Cut(part, "/")
			ok := true
			if hasStep {
				n, err := strconv.Atoi(step)
				ok = err == nil && n >= 1
			}
			if rng != "*" {
				lo, hi, isRange := strings.Cut(rng, "-")
				a, okA := value(lo)
				b, okB := a, true
				if isRange {
					b, okB = value(hi)
				}
				ok = ok && okA && okB && a <= b
			}
			if !ok {
				problems = append(problems, fmt.Sprintf("%s %q is not *, a value %d-%d, a range or a list, each optionally with /step", r.field, field, r.min, r.max))
				break
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%q: %s", spec, strings.Join(problems, "; "))
	}
	return nil
}
