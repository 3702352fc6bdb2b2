// Package config reads Tailor's settings: connection settings from the environment and the
// contact policy from the YAML file named by LIFECYCLE_CONFIG. Every problem is reported at once,
// and secrets never appear in errors.
package config

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron"
	"gopkg.in/yaml.v3"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// policyFile is the YAML layout of LIFECYCLE_CONFIG, decoded by nodeDecoder. A nil pointer is a
// setting left out: it keeps lifecycle.DefaultPolicy's value.
type policyFile struct {
	MinGap         *Duration `yaml:"min_gap"`
	RestockWindow  *Duration `yaml:"restock_window"`
	SeasonFallback *Duration `yaml:"season_fallback"`
	// SeasonFallbackCategories: the purchases that start a season fallback; empty: all.
	SeasonFallbackCategories []string            `yaml:"season_fallback_categories"`
	QuietHours               *quietHours         `yaml:"quiet_hours"`
	MaxPerWindow             *int                `yaml:"max_per_window"`
	CapWindow                *Duration           `yaml:"cap_window"`
	AttributionWindow        *Duration           `yaml:"attribution_window"`
	HandoffRemindAfter       *Duration           `yaml:"handoff_remind_after"`
	Holdout                  map[string]*Percent `yaml:"holdout"`
	Usage                    *usageFile          `yaml:"usage"`
	Segments                 *segmentsFile       `yaml:"segments"`
	Care                     []careFile          `yaml:"care"`
	Vocabulary               *vocabularyFile     `yaml:"vocabulary"`
}

// vocabularyFile is the shop's words per locale: lifecycle.Vocabulary. Each section maps a word
// as the data has it (trousers, navy, spring-2026) to its words per locale.
type vocabularyFile struct {
	Colors      map[string]wordsFile    `yaml:"colors"`
	Sizes       map[string]wordsFile    `yaml:"sizes"`
	Categories  map[string]categoryFile `yaml:"categories"`
	Collections map[string]wordsFile    `yaml:"collections"`
	Products    map[string]wordsFile    `yaml:"products"`
	Labels      *labelsFile             `yaml:"labels"`
}

// wordsFile is one word in each locale.
type wordsFile struct {
	En string `yaml:"en"`
	Nl string `yaml:"nl"`
}

func (w wordsFile) words() lifecycle.Words {
	out := lifecycle.Words{}
	for locale, word := range map[string]string{lifecycle.LocaleEnglish: w.En, lifecycle.LocaleDutch: w.Nl} {
		if word = strings.TrimSpace(word); word != "" {
			out[locale] = word
		}
	}
	return out
}

// categoryFile is a category's words, and whether customers buy it again.
type categoryFile struct {
	En     string `yaml:"en"`
	Nl     string `yaml:"nl"`
	Repeat bool   `yaml:"repeat"`
}

// labelsFile names the shop's things on the pages.
type labelsFile struct {
	Categories wordsFile `yaml:"categories"`
	Restock    wordsFile `yaml:"restock"`
	Sale       wordsFile `yaml:"sale"`
	Season     wordsFile `yaml:"season"`
}

// usageFile is the moment of truth: lifecycle.UsagePolicy.
type usageFile struct {
	Threshold         *Fraction   `yaml:"threshold"`
	HeavyOverPeriods  *int        `yaml:"heavy_over_periods"`
	CostConsciousDrop *Fraction   `yaml:"cost_conscious_drop"`
	DecliningDrop     *Fraction   `yaml:"declining_drop"`
	ContractEndWithin *Duration   `yaml:"contract_end_within"`
	ComplaintWithin   *Duration   `yaml:"complaint_within"`
	OfferValidFor     *Duration   `yaml:"offer_valid_for"`
	Offers            []offerFile `yaml:"offers"`
}

type offerFile struct {
	Name      string        `yaml:"name"`
	Price     *Money        `yaml:"price"`
	Allowance localizedText `yaml:"allowance"`
	For       []string      `yaml:"for"`
}

// segmentsFile is the value segmentation: lifecycle.SegmentPolicy.
type segmentsFile struct {
	Schedule             string    `yaml:"schedule"`
	ScheduleTimezone     string    `yaml:"schedule_timezone"`
	Lookback             *Duration `yaml:"lookback"`
	LeaverAfter          *Duration `yaml:"leaver_after"`
	AmbassadorReferrals  *int      `yaml:"ambassador_referrals"`
	AmbassadorPurchases  *int      `yaml:"ambassador_purchases"`
	AmbassadorEngagement *int      `yaml:"ambassador_engagement"`
	ShopperSaleShare     *Fraction `yaml:"shopper_sale_share"`
	LoyalPurchases       *int      `yaml:"loyal_purchases"`
	LoyalSpend           *Money    `yaml:"loyal_spend"`
	WinbackAfter         *Duration `yaml:"winback_after"`
}

// careFile is the usage phase of one product category: lifecycle.CarePlan.
type careFile struct {
	Category     string            `yaml:"category"`
	TipsAfter    *Duration         `yaml:"tips_after"`
	CheckinAfter *Duration         `yaml:"checkin_after"`
	Tips         map[string]string `yaml:"tips"`
}

// Fraction is a share in (0, 1], written as a percentage ("80%", "12.5%") or a fraction ("0.8").
type Fraction float64

func (f *Fraction) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	number, percent := strings.CutSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(number), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%q is not a percentage like 80%% or a fraction like 0.8", s)
	}
	if percent {
		v /= 100
	}
	if v <= 0 || v > 1 {
		return fmt.Errorf("%q must be more than 0%% and at most 100%%, e.g. 80%% or 0.8", s)
	}
	*f = Fraction(v)
	return nil
}

// Percent is a whole percentage from 0 to 100, written "10%" or "10".
type Percent int

func (p *Percent) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	v, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(s, "%")))
	if err != nil || v < 0 || v > 100 {
		return fmt.Errorf("%q is not a whole percentage from 0%% to 100%%, like 10%%", s)
	}
	*p = Percent(v)
	return nil
}

// Money is an amount in cents, written like "4.99", "300" or "0.00".
type Money int64

func (m *Money) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	cents, ok := lifecycle.ParsePrice(s)
	if !ok {
		return fmt.Errorf("%q is not an amount like 4.99 or 300 (a dot before the cents)", s)
	}
	*m = Money(cents)
	return nil
}

// quietHours is lifecycle.QuietHours written like "21:00-08:00".
type quietHours lifecycle.QuietHours

func (q *quietHours) UnmarshalText(b []byte) error {
	v, err := lifecycle.ParseQuietHours(string(b))
	*q = quietHours(v)
	return err
}

// localizedText is a text written once ("2 GB extra") or per locale ({en: "2 GB extra", nl: "2 GB
// extra"}); in YAML either form is accepted.
type localizedText struct {
	Text     string            // the one text, or the English one
	ByLocale map[string]string // every locale given
}

func (t *localizedText) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		t.Text = n.Value
		return nil
	}
	if err := n.Decode(&t.ByLocale); err != nil {
		return fmt.Errorf("write one text, or one per locale like {en: ..., nl: ...}")
	}
	t.Text = t.ByLocale[lifecycle.LocaleEnglish]
	return nil
}

// LoadPolicy reads a lifecycle policy file; settings it leaves out keep lifecycle.DefaultPolicy.
func LoadPolicy(path string) (lifecycle.Policy, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return lifecycle.Policy{}, fmt.Errorf("LIFECYCLE_CONFIG: %w", err)
	}
	return ParsePolicy(raw, path)
}

// ParsePolicy parses policy YAML; name is used in error messages. Every problem is reported, each
// with its line and the path of its setting (usage.offers[1], care[0], ...); the error is a
// *PolicyError.
func ParsePolicy(raw []byte, name string) (lifecycle.Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return lifecycle.Policy{}, &PolicyError{Name: name, Problems: []PolicyProblem{{Msg: err.Error()}}}
	}
	d := newNodeDecoder()
	var f policyFile
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		d.decode(doc.Content[0], reflect.ValueOf(&f).Elem(), "")
	}
	p := lifecycle.DefaultPolicy()
	c := &checker{nodeDecoder: d}
	setDuration(&p.MinGap, f.MinGap)
	setDuration(&p.RestockWindow, f.RestockWindow)
	setDuration(&p.SeasonFallback, f.SeasonFallback)
	for i, category := range f.SeasonFallbackCategories {
		path := fmt.Sprintf("season_fallback_categories[%d]", i)
		if n := lifecycle.Normalize(category); n == "" {
			c.addf(path, path, "is empty; name a product category like trousers")
		} else if !slices.Contains(p.SeasonFallbackCategories, n) {
			p.SeasonFallbackCategories = append(p.SeasonFallbackCategories, n)
		}
	}
	setDuration(&p.CapWindow, f.CapWindow)
	// No window would credit no purchase to any email.
	c.positive("attribution_window", f.AttributionWindow, &p.AttributionWindow)
	// No horizon would remind the shop the moment a hand-off opens.
	c.positive("handoff_remind_after", f.HandoffRemindAfter, &p.HandoffRemindAfter)
	if f.QuietHours != nil {
		p.QuietHours = lifecycle.QuietHours(*f.QuietHours)
	}
	p.Holdouts = c.holdouts(f.Holdout)
	if f.MaxPerWindow != nil {
		if *f.MaxPerWindow < 0 {
			c.addf("max_per_window", "max_per_window", "%d is negative", *f.MaxPerWindow)
		} else {
			p.MaxPerWindow = *f.MaxPerWindow
		}
	}
	if p.MaxPerWindow > 0 && p.CapWindow <= 0 {
		c.addf("max_per_window", "", "max_per_window needs a cap_window, e.g. 30d")
	}
	if f.Usage != nil {
		c.usage(*f.Usage, &p.Usage)
	}
	if f.Segments != nil {
		c.segments(*f.Segments, &p.Segments)
	}
	p.Care = c.care(f.Care)
	if f.Vocabulary != nil {
		p.Vocabulary = c.vocabulary(*f.Vocabulary)
	}
	if len(c.problems) > 0 {
		// In the file's order; problems without a line (none today) last.
		slices.SortStableFunc(c.problems, func(a, b PolicyProblem) int {
			return cmp.Compare(cmp.Or(a.Line, math.MaxInt), cmp.Or(b.Line, math.MaxInt))
		})
		return p, &PolicyError{Name: name, Problems: c.problems}
	}
	return p, nil
}

func setDuration(dst *time.Duration, v *Duration) {
	if v != nil {
		*dst = v.Std()
	}
}

func setFraction(dst *float64, v *Fraction) {
	if v != nil {
		*dst = float64(*v)
	}
}

// checker holds the rules the types cannot: ranges particular to a setting and rules across
// settings. Its problems join the decoder's.
type checker struct {
	*nodeDecoder
}

// addf reports a problem with the setting at path, shown as shown (the path, perhaps with the
// name of the offer or plan it is in).
func (c *checker) addf(path, shown, format string, args ...any) {
	c.problems = append(c.problems, PolicyProblem{Line: c.lines[path], Path: shown, Msg: fmt.Sprintf(format, args...)})
}

// positive sets *dst from v unless v is nil; for settings where 0 would make no sense.
func (c *checker) positive(path string, v *Duration, dst *time.Duration) {
	if v == nil {
		return
	}
	if *v == 0 {
		c.addf(path, path, "must be more than 0, e.g. %s", Duration(*dst))
		return
	}
	*dst = v.Std()
}

// count sets *dst unless v is nil; a value below lowest is a problem.
func (c *checker) count(path string, v *int, lowest int, dst *int) {
	if v == nil {
		return
	}
	if *v < lowest {
		c.addf(path, path, "%d must be at least %d", *v, lowest)
		return
	}
	*dst = *v
}

// holdouts checks the share held out per follow-up kind: only kinds that sell may have one.
func (c *checker) holdouts(f map[string]*Percent) map[lifecycle.Kind]int {
	var out map[lifecycle.Kind]int
	for _, name := range slices.Sorted(maps.Keys(f)) {
		path := "holdout." + name
		kind := lifecycle.Kind(lifecycle.Normalize(name))
		switch {
		case f[name] == nil:
			continue // left out, or a bad value the decoder reported
		case !kind.HoldsOut():
			known := make([]string, len(lifecycle.HoldoutKinds))
			for i, k := range lifecycle.HoldoutKinds {
				known[i] = string(k)
			}
			c.addf(path, path, "%q cannot be held out (a holdout measures purchases; transactional mail, care tips and check-ins are never held out): use %s",
				name, strings.Join(known, ", "))
			continue
		}
		if out == nil {
			out = map[lifecycle.Kind]int{}
		}
		out[kind] = int(*f[name])
	}
	return out
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
	setFraction(&u.Threshold, f.Threshold)
	// At least 1: with 0 nobody would be heavy, and heavy users would get offers.
	c.count("usage.heavy_over_periods", f.HeavyOverPeriods, 1, &u.HeavyOverPeriods)
	setFraction(&u.CostConsciousDrop, f.CostConsciousDrop)
	setFraction(&u.DecliningDrop, f.DecliningDrop)
	setDuration(&u.ContractEndWithin, f.ContractEndWithin)
	setDuration(&u.ComplaintWithin, f.ComplaintWithin)
	// An offer valid for no time at all could never wait out quiet hours.
	c.positive("usage.offer_valid_for", f.OfferValidFor, &u.OfferValidFor)

	seen := map[string]string{} // normalized name -> path of the offer that has it
	for i, of := range f.Offers {
		o := lifecycle.BundleOffer{Name: strings.TrimSpace(of.Name), Allowance: strings.TrimSpace(of.Allowance.Text)}
		at := fmt.Sprintf("usage.offers[%d]", i)
		shown := at
		if o.Name == "" {
			if !c.bad[at+".name"] {
				c.addf(at, shown, "name is missing")
			}
		} else {
			shown += " (" + o.Name + ")"
			if first, dup := seen[lifecycle.Normalize(o.Name)]; dup {
				c.addf(at+".name", shown, "name %q is already used by %s; each offer needs its own name", o.Name, first)
			} else {
				seen[lifecycle.Normalize(o.Name)] = shown
			}
		}
		for _, locale := range slices.Sorted(maps.Keys(of.Allowance.ByLocale)) {
			text := strings.TrimSpace(of.Allowance.ByLocale[locale])
			switch {
			case !lifecycle.ValidLocale(locale):
				c.addf(at+".allowance", shown, "allowance: %q is not a locale with templates; use en or nl", locale)
			case text == "":
				c.addf(at+".allowance", shown, "allowance: the %s text is empty", locale)
			default:
				if o.Allowances == nil {
					o.Allowances = map[string]string{}
				}
				o.Allowances[locale] = text
			}
		}
		if len(of.Allowance.ByLocale) > 0 && o.Allowance == "" {
			c.addf(at+".allowance", shown, "allowance: the en text is missing; it is what customers in other locales get")
		}
		if of.Price != nil {
			o.PriceCents = int64(*of.Price)
		} else if !c.bad[at+".price"] {
			c.addf(at, shown, "price is missing: write it like 4.99, or 0.00 for a free offer")
		}
		if len(of.For) == 0 && !c.bad[at+".for"] {
			c.addf(at, shown, "for is missing: list the behaviours it fits, of %s", strings.Join(offerBehaviours(), ", "))
		}
		for j, name := range of.For {
			b := lifecycle.Behaviour(lifecycle.Normalize(name))
			item := fmt.Sprintf("%s.for[%d]", at, j)
			switch {
			case b == lifecycle.BehaviourHeavy:
				c.addf(item, shown, "for: heavy users never get an offer: it would cannibalise what they pay for extra usage. "+
					"A heavy user who shows churn indicators is churn-risk; list churn-risk instead")
			case !slices.Contains(lifecycle.Behaviours, b):
				c.addf(item, shown, "for: %q is not a behaviour; use %s", name, strings.Join(offerBehaviours(), ", "))
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
		if err := checkSchedule(schedule); err != nil {
			c.addf("segments.schedule", "segments.schedule", "%s", err)
		} else {
			s.Schedule = schedule
		}
	}
	if tz := strings.TrimSpace(f.ScheduleTimezone); tz != "" {
		// The Temporal server reads the zone, but a typo should stop the config here, not at setup.
		if _, err := lifecycle.LoadLocation(tz); err != nil {
			c.addf("segments.schedule_timezone", "segments.schedule_timezone", "%q: unknown time zone, use an IANA name like Europe/Amsterdam", tz)
		} else {
			s.ScheduleTimezone = tz
		}
	}
	c.positive("segments.lookback", f.Lookback, &s.Lookback)
	c.positive("segments.leaver_after", f.LeaverAfter, &s.LeaverAfter)
	c.positive("segments.winback_after", f.WinbackAfter, &s.WinbackAfter)
	// 0 referrals turns the referral rule off; 0 purchases would make every buyer loyal or an
	// ambassador, so those start at 1.
	c.count("segments.ambassador_referrals", f.AmbassadorReferrals, 0, &s.AmbassadorReferrals)
	c.count("segments.ambassador_purchases", f.AmbassadorPurchases, 1, &s.AmbassadorPurchases)
	c.count("segments.ambassador_engagement", f.AmbassadorEngagement, 0, &s.AmbassadorEngagement)
	c.count("segments.loyal_purchases", f.LoyalPurchases, 1, &s.LoyalPurchases)
	setFraction(&s.ShopperSaleShare, f.ShopperSaleShare)
	if f.LoyalSpend != nil {
		s.LoyalMonetaryCents = int64(*f.LoyalSpend) // 0 turns the spend rule off
	}
}

func (c *checker) care(files []careFile) []lifecycle.CarePlan {
	var plans []lifecycle.CarePlan
	seen := map[string]string{} // category -> path of the plan that has it
	for i, cf := range files {
		plan := lifecycle.CarePlan{Category: lifecycle.Normalize(cf.Category)}
		at := fmt.Sprintf("care[%d]", i)
		shown := at
		if plan.Category == "" {
			if !c.bad[at+".category"] {
				c.addf(at, shown, "category is missing: the product category this plan is for, e.g. data-bundle")
			}
		} else {
			shown += " (" + plan.Category + ")"
			if first, dup := seen[plan.Category]; dup {
				c.addf(at+".category", shown, "category %q already has a plan at %s; merge them into one", plan.Category, first)
			} else {
				seen[plan.Category] = shown
			}
		}
		setDuration(&plan.TipsAfter, cf.TipsAfter)
		setDuration(&plan.CheckinAfter, cf.CheckinAfter)
		if plan.TipsAfter == 0 && plan.CheckinAfter == 0 && !c.bad[at+".tips_after"] && !c.bad[at+".checkin_after"] {
			c.addf(at, shown, "give tips_after, checkin_after or both, more than 0: a plan without either sends nothing")
		}
		for _, locale := range slices.Sorted(maps.Keys(cf.Tips)) {
			if !lifecycle.ValidLocale(locale) {
				c.addf(at+".tips."+locale, shown+".tips", "locale %q has no templates; use %s or %s", locale, lifecycle.LocaleEnglish, lifecycle.LocaleDutch)
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

func (c *checker) vocabulary(f vocabularyFile) lifecycle.Vocabulary {
	var v lifecycle.Vocabulary
	section := func(name string, in map[string]wordsFile) map[string]lifecycle.Words {
		out := map[string]lifecycle.Words{}
		for _, key := range slices.Sorted(maps.Keys(in)) {
			word := lifecycle.Normalize(key)
			if name == "products" {
				word = strings.TrimSpace(key) // a product name, as the catalogue writes it
			}
			if w := in[key].words(); len(w) > 0 {
				out[word] = w
			} else {
				path := "vocabulary." + name + "." + key
				c.addf(path, path, "gives no word; write it like {nl: ...}")
			}
		}
		return out
	}
	v.Colors = section("colors", f.Colors)
	v.Sizes = section("sizes", f.Sizes)
	v.Collections = section("collections", f.Collections)
	v.Products = section("products", f.Products)
	words := map[string]wordsFile{}
	for key, cf := range f.Categories {
		words[key] = wordsFile{En: cf.En, Nl: cf.Nl}
		if cf.Repeat {
			v.Repeat = append(v.Repeat, lifecycle.Normalize(key))
		}
	}
	slices.Sort(v.Repeat)
	v.Categories = map[string]lifecycle.Words{}
	for _, key := range slices.Sorted(maps.Keys(words)) {
		if w := words[key].words(); len(w) > 0 {
			v.Categories[lifecycle.Normalize(key)] = w
		} else if !f.Categories[key].Repeat {
			path := "vocabulary.categories." + key
			c.addf(path, path, "gives neither a word nor repeat; write it like {nl: ..., repeat: true}")
		}
	}
	if l := f.Labels; l != nil {
		v.Labels = map[string]lifecycle.Words{}
		for key, w := range map[string]wordsFile{
			lifecycle.LabelCategories:     l.Categories,
			string(lifecycle.KindRestock): l.Restock,
			string(lifecycle.KindSale):    l.Sale,
			string(lifecycle.KindSeason):  l.Season,
		} {
			if words := w.words(); len(words) > 0 {
				v.Labels[key] = words
			}
		}
	}
	return v
}

// cronFields are the five fields of a cron schedule, each with robfig/cron's parser for it alone.
var cronFields = []struct {
	name   string
	parser cron.Parser
}{
	{"minute", cron.NewParser(cron.Minute)},
	{"hour", cron.NewParser(cron.Hour)},
	{"day of month", cron.NewParser(cron.Dom)},
	{"month", cron.NewParser(cron.Month)},
	{"day of week", cron.NewParser(cron.Dow)},
}

// checkSchedule accepts a cron schedule the Temporal server takes for a Schedule: five fields
// (minute hour day-of-month month day-of-week; JAN, MON and the like allowed), each read by
// robfig/cron, or a descriptor (@daily, @hourly, ..., @every 1h). Three things robfig takes are
// refused because the server refuses them: ? (robfig's "any"), an empty list item ("1,"), and
// @every less than a second. Six and seven fields, 7 for Sunday and 1#2, which the server takes
// but robfig does not, stay refused: the default and the examples need none of them.
func checkSchedule(spec string) error {
	if strings.HasPrefix(spec, "@") {
		if _, err := cron.ParseStandard(spec); err != nil {
			return fmt.Errorf("%q: %v; the descriptors are @yearly, @monthly, @weekly, @daily, @hourly and @every followed by a duration", spec, err)
		}
		if every, ok := strings.CutPrefix(spec, "@every "); ok {
			if d, _ := time.ParseDuration(every); d < time.Second {
				return fmt.Errorf("%q: the Temporal server takes intervals of 1s or more", spec)
			}
		}
		return nil
	}
	fields := strings.Fields(spec)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("%q has %d fields; a cron schedule has 5 (minute hour day-of-month month day-of-week), e.g. \"0 3 * * *\" for 03:00 every day, or is a descriptor like @daily", spec, len(fields))
	}
	var problems []string
	for i, field := range fields {
		f := cronFields[i]
		switch _, err := f.parser.Parse(field); {
		case strings.Contains(field, "?"):
			problems = append(problems, fmt.Sprintf("%s %q: the Temporal server does not take ?; write *", f.name, field))
		case slices.Contains(strings.Split(field, ","), ""):
			problems = append(problems, fmt.Sprintf("%s %q: a list has an empty item", f.name, field))
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s %q: %v", f.name, field, err))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%q: %s", spec, strings.Join(problems, "; "))
	}
	return nil
}
