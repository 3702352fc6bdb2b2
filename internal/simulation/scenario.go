package simulation

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// Day is the unit of a scenario's timeline.
const Day = 24 * time.Hour

// defaultEndAfter is how long a scenario runs after its last event unless end_day says otherwise:
// long enough for a season fallback (90 days by default) to fire.
const defaultEndAfter = 120

// DefaultStart is when a scenario starts unless it sets start: Monday 5 January 2026, 10:00 UTC.
func DefaultStart() time.Time { return time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC) }

// Scenario is a parsed, validated scenario file.
type Scenario struct {
	Name        string // the file it came from, for messages
	Description string
	Customer    lifecycle.Customer
	Preferences lifecycle.Preferences // stated on "import"; purchases add to them
	Products    []lifecycle.Product   // oldest first: a later product is newer
	Start       time.Time
	Policy      lifecycle.Policy // defaults, overridden by the scenario's policy block
	Events      []Event          // in time order
	Expect      []Expectation
	EndDay      int

	// CustomerFrom says where the customer came from when not from the scenario's customer
	// block (--from-db): the database, and whether a customer block was ignored. Empty otherwise.
	CustomerFrom string
	// CatalogueFrom says where the products came from when not from the scenario's catalogue
	// block: the database's products in stock. Empty otherwise.
	CatalogueFrom string

	location *time.Location
}

// Event is one thing that happens in the shop: when, where in the file, and what (see eventTypes).
type Event struct {
	Day  int
	At   time.Time
	Line int // in the scenario file

	// Action is what happens: one of the *XxxEvent types of events.go, e.g. *PurchaseEvent.
	Action Action
}

// ExpectationType names what an expectation checks.
type ExpectationType string

const (
	ExpectEmail   ExpectationType = "email"    // an email of Kind on Day
	ExpectNoEmail ExpectationType = "no_email" // no email from FromDay to ToDay, both included
	ExpectStage   ExpectationType = "stage"    // the stage at the end
	// ExpectDecision: a decision with Outcome (about Kind, on Day, with a reason containing
	// ReasonContains, each when given). It shows that the workflow deliberately sent nothing and
	// why, which no_email cannot tell from a workflow that never noticed.
	ExpectDecision ExpectationType = "decision"
	// ExpectAttributed: a purchase the report counts for Kind (credited to an email of that
	// kind, or with Holdout a conversion of its holdout), with Revenue and on Day when given.
	ExpectAttributed ExpectationType = "attributed"
)

// Expectation is one line of the scenario's expect block.
type Expectation struct {
	Type    ExpectationType
	Line    int
	Kind    lifecycle.Kind
	Day     int
	At      string // optional, with Kind: the local time "HH:MM" the email went out
	FromDay int
	ToDay   int
	Stage   workflows.Stage

	// A decision expectation: Kind and Day above, AnyDay when it gave no day.
	Outcome        workflows.Outcome
	ReasonContains string
	AnyDay         bool

	// An attributed expectation: Kind, and Day unless AnyDay.
	Revenue string // like 55.20; "" for any
	Holdout bool
}

func (e Expectation) String() string {
	switch e.Type {
	case ExpectEmail:
		if e.At != "" {
			return fmt.Sprintf("email: %s, day: %d, at: %q", e.Kind, e.Day, e.At)
		}
		return fmt.Sprintf("email: %s, day: %d", e.Kind, e.Day)
	case ExpectNoEmail:
		return fmt.Sprintf("no_email: {from_day: %d, to_day: %d}", e.FromDay, e.ToDay)
	case ExpectAttributed:
		s := "attributed: {kind: " + string(e.Kind)
		if e.Revenue != "" {
			s += fmt.Sprintf(", revenue: %q", e.Revenue)
		}
		if e.Holdout {
			s += ", holdout: true"
		}
		if !e.AnyDay {
			s += fmt.Sprintf(", day: %d", e.Day)
		}
		return s + "}"
	case ExpectDecision:
		s := "decision: " + string(e.Outcome)
		if e.Kind != "" {
			s += ", kind: " + string(e.Kind)
		}
		if !e.AnyDay {
			s += fmt.Sprintf(", day: %d", e.Day)
		}
		if e.ReasonContains != "" {
			s += fmt.Sprintf(", reason_contains: %q", e.ReasonContains)
		}
		return s
	default:
		return fmt.Sprintf("stage: %s", e.Stage)
	}
}

// The YAML layout. Every field is known: anything else in a file is an error with its line.
type (
	scenarioFile struct {
		Description string        `yaml:"description"`
		Customer    customerFile  `yaml:"customer"`
		Catalogue   catalogueFile `yaml:"catalogue"`
		Start       string        `yaml:"start"`
		Policy      yaml.Node     `yaml:"policy"` // LIFECYCLE_CONFIG's layout, parsed by config.ParsePolicy
		Events      []eventFile   `yaml:"-"`      // filled from scenarioYAML, the layout events.go builds from eventTypes
		Expect      []expectFile  `yaml:"expect"`
		EndDay      *int          `yaml:"end_day"`
	}
	customerFile struct {
		ID         string   `yaml:"id"`
		Name       string   `yaml:"name"`
		Email      string   `yaml:"email"`
		Locale     string   `yaml:"locale"`
		Timezone   string   `yaml:"timezone"`
		Colors     []string `yaml:"colors"`
		Sizes      []string `yaml:"sizes"`
		Categories []string `yaml:"categories"`
		Consent    *bool    `yaml:"consent"`
	}
	catalogueFile struct {
		Products []productFile `yaml:"products"`
	}
	productFile struct {
		SKU         string   `yaml:"sku"`
		Product     string   `yaml:"product"`
		Name        string   `yaml:"name"`
		Category    string   `yaml:"category"`
		Color       string   `yaml:"color"`
		Size        string   `yaml:"size"`
		Price       string   `yaml:"price"`
		Stock       int      `yaml:"stock"`
		Collections []string `yaml:"collections"`
	}
	// eventFile is one event as decoded: Blocks holds, per event type in eventTypes' order, its
	// block (a pointer to the type's file struct) or nil.
	eventFile struct {
		Day    *int
		At     string
		Blocks []any
	}
	expectFile struct {
		Email          string          `yaml:"email"`
		Day            *int            `yaml:"day"`
		At             string          `yaml:"at"`
		NoEmail        *noEmailFile    `yaml:"no_email"`
		Stage          string          `yaml:"stage"`
		Decision       string          `yaml:"decision"`
		Kind           string          `yaml:"kind"`
		ReasonContains string          `yaml:"reason_contains"`
		Attributed     *attributedFile `yaml:"attributed"`
	}
	attributedFile struct {
		Kind    string `yaml:"kind"`
		Revenue string `yaml:"revenue"`
		Holdout bool   `yaml:"holdout"`
		Day     *int   `yaml:"day"`
	}
	noEmailFile struct {
		FromDay *int `yaml:"from_day"`
		ToDay   *int `yaml:"to_day"`
	}
)

// knownFields turns yaml.v3's Go type names into what a person can act on; eventFieldMessages
// adds the top level, the event and each event type's block.
var knownFields = strings.NewReplacer(append([]string{
	"in type simulation.customerFile", "in customer (known: id, name, email, locale, timezone, colors, sizes, categories, consent)",
	"in type simulation.catalogueFile", "in catalogue (known: products)",
	"in type simulation.productFile", "in a product (known: sku, product, name, category, color, size, price, stock, collections)",
	"in type simulation.expectFile", "in an expectation (known: email with day and at, no_email, stage, decision with kind, day and reason_contains, attributed)",
	"in type simulation.attributedFile", "in attributed (known: kind, revenue, holdout, day)",
	"in type simulation.noEmailFile", "in no_email (known: from_day, to_day)",
}, eventFieldMessages()...)...)

// LoadScenario reads and validates the scenario file at path.
func LoadScenario(path string) (*Scenario, error) {
	return LoadScenarioFrom(path, nil)
}

// LoadScenarioFrom reads and validates the scenario file at path with the customer (and, without
// a catalogue block, the products) read from the database; db nil is LoadScenario.
func LoadScenarioFrom(path string, db *FromDB) (*Scenario, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return ParseScenarioFrom(raw, path, db)
}

// DeclaresCatalogue reports whether the scenario has a catalogue block, so that --from-db reads
// the database's products only when they are needed. A file that does not parse reports true:
// ParseScenario will say what is wrong with it.
func DeclaresCatalogue(raw []byte) bool {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return true
	}
	k, _ := child(lines{root: &root}.top(), "catalogue")
	return k != nil
}

// ParseScenario parses and validates a scenario; name is used in messages. It reports every
// problem at once, each with its line.
func ParseScenario(raw []byte, name string) (*Scenario, error) {
	return ParseScenarioFrom(raw, name, nil)
}

// ParseScenarioFrom parses and validates a scenario whose customer is db's (--from-db): the
// scenario's customer block becomes optional and, when present, is ignored. Without a catalogue
// block the catalogue is db's products in stock. db nil is ParseScenario.
func ParseScenarioFrom(raw []byte, name string, db *FromDB) (*Scenario, error) {
	decoded := reflect.New(scenarioYAML)
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(decoded.Interface()); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the file is empty; a scenario needs at least customer, catalogue and events", name)
		}
		return nil, fmt.Errorf("%s: %s", name, knownFields.Replace(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &parser{name: name, lines: lines{root: &root}, db: db, seen: map[string]int{}}
	sc := p.scenario(decodedScenario(decoded.Elem()))
	if len(p.problems) > 0 {
		return nil, fmt.Errorf("%s: %d problem(s):\n%s", name, len(p.problems), strings.Join(p.problems, "\n"))
	}
	return sc, nil
}

type parser struct {
	name     string
	lines    lines
	db       *FromDB
	problems []string
	seen     map[string]int // events of each type so far, for eventCheck.nth
}

// input adds err, a broken lifecycle input rule, after prefix; nil adds nothing.
func (p *parser) input(line int, prefix string, err error) {
	if err != nil {
		p.addf(line, "%s%v", prefix, err)
	}
}

func (p *parser) addf(line int, format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf("line %d: %s", line, fmt.Sprintf(format, args...)))
}

var clockRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)

func (p *parser) scenario(f scenarioFile) *Scenario {
	sc := &Scenario{Name: p.name, Description: strings.TrimSpace(f.Description), Start: DefaultStart(), Policy: lifecycle.DefaultPolicy()}
	switch {
	case p.db != nil:
		p.dbCustomer(sc)
	case !p.lines.has("customer"):
		p.addf(1, "customer is missing: declare one (id, email, ...) or read one from the database with starter simulate --from-db ID")
		sc.location = time.UTC
	default:
		p.customer(sc, f.Customer)
	}
	if p.db != nil && !p.lines.has("catalogue") {
		p.dbCatalogue(sc)
	} else {
		p.catalogue(sc, f.Catalogue)
	}
	if f.Start != "" {
		start, err := time.Parse(time.RFC3339, f.Start)
		if err != nil {
			p.addf(p.lines.key("start"), "start %q is not an RFC 3339 time like 2026-01-05T10:00:00Z", f.Start)
		} else {
			sc.Start = start.UTC()
		}
	}
	p.policy(sc, &f.Policy)
	if len(f.Events) == 0 {
		p.addf(p.lines.key("events"), "events: a scenario needs at least one event")
	}
	for i, ef := range f.Events {
		if ev, ok := p.event(sc, ef, p.lines.item("events", i)); ok {
			sc.Events = append(sc.Events, ev)
		}
	}
	slices.SortStableFunc(sc.Events, func(a, b Event) int { return a.At.Compare(b.At) })
	last := 0
	for _, ev := range sc.Events {
		last = max(last, ev.Day)
	}
	sc.EndDay = last + defaultEndAfter
	if f.EndDay != nil {
		sc.EndDay = *f.EndDay
		if sc.EndDay < last {
			p.addf(p.lines.key("end_day"), "end_day %d is before the last event on day %d", sc.EndDay, last)
		}
	}
	for i, xf := range f.Expect {
		if x, ok := p.expectation(xf, p.lines.item("expect", i)); ok {
			sc.Expect = append(sc.Expect, x)
		}
	}
	return sc
}

func (p *parser) customer(sc *Scenario, c customerFile) {
	line := p.lines.key("customer")
	sc.Customer = lifecycle.Customer{
		ID:               strings.TrimSpace(c.ID),
		Name:             strings.TrimSpace(c.Name),
		Email:            strings.TrimSpace(c.Email),
		Locale:           strings.ToLower(strings.TrimSpace(c.Locale)),
		Timezone:         strings.TrimSpace(c.Timezone),
		MarketingConsent: c.Consent == nil || *c.Consent,
	}
	if sc.Customer.ID == "" {
		p.addf(line, "customer: id is missing")
	} else {
		p.input(line, "customer: ", lifecycle.ValidateID("id", sc.Customer.ID))
	}
	if sc.Customer.Email == "" {
		p.addf(line, "customer: email is missing")
	} else {
		p.input(line, "customer: ", lifecycle.ValidateEmail("email", sc.Customer.Email))
	}
	p.input(line, "customer: ", lifecycle.CheckLine("name", sc.Customer.Name, lifecycle.MaxNameLen))
	if sc.Customer.Locale == "" {
		sc.Customer.Locale = lifecycle.LocaleEnglish
	}
	if !lifecycle.ValidLocale(sc.Customer.Locale) {
		p.addf(line, "customer: locale %q has no templates; use %s or %s", c.Locale, lifecycle.LocaleEnglish, lifecycle.LocaleDutch)
	}
	if sc.Customer.Timezone == "" {
		sc.Customer.Timezone = "UTC"
	}
	// The workflow's own zone database, so quiet hours and the timeline agree on every host.
	loc, err := lifecycle.LoadLocation(sc.Customer.Timezone)
	if err != nil || sc.Customer.Timezone == "Local" {
		p.addf(line, "customer: timezone %q is not an IANA name like Europe/Amsterdam", c.Timezone)
		loc = time.UTC
	}
	sc.location = loc
	sc.Preferences = lifecycle.Preferences{}.Merge(lifecycle.Preferences{Colors: c.Colors, Sizes: c.Sizes, Categories: c.Categories})
}

// dbCustomer takes the customer and their stored preferences from the database; a customer block
// in the file is ignored, and the output says so.
func (p *parser) dbCustomer(sc *Scenario) {
	c := p.db.Customer
	c.Locale = strings.ToLower(strings.TrimSpace(c.Locale))
	c.Timezone = strings.TrimSpace(c.Timezone)
	if c.Locale == "" {
		c.Locale = lifecycle.LocaleEnglish
	}
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	what := fmt.Sprintf("customer %s from the database at %s", c.ID, p.db.Database)
	if !lifecycle.ValidLocale(c.Locale) {
		p.addf(1, "%s: locale %q has no templates", what, c.Locale)
	}
	loc, err := lifecycle.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "Local" {
		p.addf(1, "%s: timezone %q is not an IANA name like Europe/Amsterdam", what, c.Timezone)
		loc = time.UTC
	}
	sc.Customer = c
	sc.location = loc
	sc.Preferences = lifecycle.Preferences{}.Merge(p.db.Preferences)
	sc.CustomerFrom = fmt.Sprintf("the database at %s, read-only (marketing consent %s%s; %s)",
		p.db.Database, yesNo(c.MarketingConsent), map[bool]string{true: ", address suppressed"}[c.Suppressed], describePreferences(sc.Preferences))
	if p.lines.has("customer") {
		sc.CustomerFrom += fmt.Sprintf("; the scenario's customer block (line %d) is ignored", p.lines.key("customer"))
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// describePreferences is stated preferences on one line: "colors grey, navy; sizes 50; no categories".
func describePreferences(p lifecycle.Preferences) string {
	var parts []string
	for _, l := range []struct {
		name string
		list []string
	}{{"colors", p.Colors}, {"sizes", p.Sizes}, {"categories", p.Categories}} {
		if len(l.list) == 0 {
			parts = append(parts, "no "+l.name)
		} else {
			parts = append(parts, l.name+" "+strings.Join(l.list, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// dbCatalogue makes the products in stock in the database the catalogue, oldest first as
// store.AllProducts lists them.
func (p *parser) dbCatalogue(sc *Scenario) {
	for _, prod := range p.db.Products {
		if prod.Stock > 0 {
			prod.Collections = slices.Clone(prod.Collections)
			sc.Products = append(sc.Products, prod)
		}
	}
	if len(sc.Products) == 0 {
		p.addf(1, "catalogue is missing and the database at %s has no product in stock: declare a catalogue block", p.db.Database)
	}
	sc.CatalogueFrom = fmt.Sprintf("the %d product(s) in stock in the database at %s", len(sc.Products), p.db.Database)
}

func (p *parser) catalogue(sc *Scenario, c catalogueFile) {
	if len(c.Products) == 0 {
		p.addf(p.lines.key("catalogue"), "catalogue: products is empty; list at least the products the events name")
	}
	seen := map[string]int{}
	for i, pf := range c.Products {
		line := p.lines.item2("catalogue", "products", i)
		prod := lifecycle.Product{
			SKU:         strings.TrimSpace(pf.SKU),
			Product:     strings.TrimSpace(pf.Product),
			Name:        strings.TrimSpace(pf.Name),
			Category:    lifecycle.Normalize(pf.Category),
			Color:       lifecycle.Normalize(pf.Color),
			Size:        lifecycle.Normalize(pf.Size),
			Stock:       pf.Stock,
			Collections: trimmedSet(pf.Collections),
		}
		switch first, dup := seen[prod.SKU]; {
		case prod.SKU == "":
			p.addf(line, "product: sku is missing")
		case lifecycle.ValidateID("sku", prod.SKU) != nil:
			p.input(line, "product: ", lifecycle.ValidateID("sku", prod.SKU))
		case dup:
			p.addf(line, "product %s: already listed on line %d", prod.SKU, first)
		default:
			seen[prod.SKU] = line
		}
		if prod.Product == "" {
			p.addf(line, "product %s: product (the style shared by all colours and sizes) is missing", prod.SKU)
		}
		if prod.Name == "" {
			prod.Name = prod.Product
		}
		// The importer's rules for the same columns (store.ImportProducts).
		prefix := "product " + prod.SKU + ": "
		p.input(line, prefix, lifecycle.CheckLine("product", prod.Product, lifecycle.MaxNameLen))
		p.input(line, prefix, lifecycle.CheckLine("name", strings.TrimSpace(pf.Name), lifecycle.MaxNameLen)) // once, when given
		p.input(line, prefix, lifecycle.CheckLine("category", prod.Category, lifecycle.MaxLabelLen))
		p.input(line, prefix, lifecycle.CheckLine("color", prod.Color, lifecycle.MaxLabelLen))
		p.input(line, prefix, lifecycle.CheckLine("size", prod.Size, lifecycle.MaxLabelLen))
		for _, col := range prod.Collections {
			p.input(line, prefix, lifecycle.CheckLine("collection", col, lifecycle.MaxLabelLen))
		}
		cents, ok := lifecycle.ParsePrice(strings.TrimSpace(pf.Price))
		if !ok {
			p.addf(line, "product %s: price %q is not a price like 79.95", prod.SKU, pf.Price)
		}
		prod.PriceCents = cents
		if prod.Stock < 0 {
			p.addf(line, "product %s: stock %d is negative", prod.SKU, prod.Stock)
		}
		sc.Products = append(sc.Products, prod)
	}
}

// policy reads the scenario's policy block with config.ParsePolicy, the parser of
// LIFECYCLE_CONFIG, so the block accepts exactly what the file does. Each setting is parsed on its
// own first, so that a problem names its line; then the whole block, for the checks that span
// settings (max_per_window needs a cap_window).
func (p *parser) policy(sc *Scenario, node *yaml.Node) {
	if node.Kind == 0 || node.Tag == "!!null" {
		return // no policy block: the defaults
	}
	line := p.lines.key("policy")
	if node.Kind != yaml.MappingNode {
		p.addf(line, "policy: expected settings like LIFECYCLE_CONFIG's (min_gap: 7d, quiet_hours: 21:00-08:00, ...)")
		return
	}
	bad := len(p.problems)
	for i := 0; i+1 < len(node.Content); i += 2 {
		setting := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: node.Content[i : i+2]}
		if _, err := parsePolicyNode(setting); err != nil {
			for _, msg := range policyProblems(err) {
				p.addf(node.Content[i].Line, "%s", msg)
			}
		}
	}
	policy, err := parsePolicyNode(node)
	if err != nil {
		if len(p.problems) == bad {
			for _, msg := range policyProblems(err) {
				p.addf(line, "%s", msg)
			}
		}
		return
	}
	sc.Policy = policy
}

func parsePolicyNode(n *yaml.Node) (lifecycle.Policy, error) {
	raw, err := yaml.Marshal(n)
	if err != nil {
		return lifecycle.Policy{}, fmt.Errorf("policy: %w", err)
	}
	return config.ParsePolicy(raw, "policy")
}

// policyProblems is config.ParsePolicy's error as one message per problem, without the lines
// of the re-encoded block, which mean nothing to the scenario's author: the caller puts the
// scenario's own line in front.
func policyProblems(err error) []string {
	var pe *config.PolicyError
	if !errors.As(err, &pe) {
		return []string{err.Error()}
	}
	out := make([]string, len(pe.Problems))
	for i, problem := range pe.Problems {
		out[i] = pe.Name + ": " + problem.String()
	}
	return out
}

func (p *parser) event(sc *Scenario, f eventFile, line int) (Event, bool) {
	ev := Event{Line: line}
	bad := len(p.problems)
	if f.Day == nil {
		p.addf(line, "event: day is missing")
	} else if *f.Day < 0 {
		p.addf(line, "event: day %d is negative", *f.Day)
	} else {
		ev.Day = *f.Day
	}
	ev.At = sc.Start.Add(time.Duration(ev.Day) * Day)
	if f.At != "" {
		m := clockRE.FindStringSubmatch(f.At)
		if m == nil {
			p.addf(line, "event on day %d: at %q is not a local time like 09:30", ev.Day, f.At)
		} else {
			h, _ := strconv.Atoi(m[1])
			mi, _ := strconv.Atoi(m[2])
			local := ev.At.In(sc.location)
			ev.At = time.Date(local.Year(), local.Month(), local.Day(), h, mi, 0, 0, sc.location).UTC()
			if ev.At.Before(sc.Start) {
				p.addf(line, "event on day %d at %s (%s) is before the start %s", ev.Day, f.At, sc.Customer.Timezone, sc.Start.Format(time.RFC3339))
			}
		}
	}

	actions := 0
	for i, t := range eventTypes {
		if f.Blocks[i] == nil {
			continue
		}
		actions++
		p.seen[t.name]++
		a := t.parse(eventCheck{p: p, sc: sc, name: t.name, line: line, day: ev.Day, nth: p.seen[t.name]}, f.Blocks[i])
		if ev.Action == nil {
			ev.Action = a
		}
	}
	if actions != 1 {
		p.addf(line, "event on day %d: give exactly one of %s (found %d)", ev.Day, eventNames(), actions)
	}
	return ev, len(p.problems) == bad
}

// kindList writes kinds like "restock, sale or season".
func kindList(kinds []lifecycle.Kind) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// outcomes are the decisions a decision expectation can name.
var outcomes = []workflows.Outcome{workflows.OutcomeScheduled, workflows.OutcomeDeferred, workflows.OutcomeSent, workflows.OutcomeDropped,
	workflows.OutcomeSkipped, workflows.OutcomeFailed, workflows.OutcomeIgnored, workflows.OutcomeAccepted, workflows.OutcomeHeldOut}

func (p *parser) expectation(f expectFile, line int) (Expectation, bool) {
	x := Expectation{Line: line}
	bad := len(p.problems)
	set := 0
	if f.Email != "" {
		set++
		x.Type, x.Kind = ExpectEmail, lifecycle.Kind(lifecycle.Normalize(f.Email))
		if !slices.Contains(lifecycle.AllKinds, x.Kind) {
			p.addf(line, "expect: email kind %q is unknown; use %s", f.Email, kindList(lifecycle.AllKinds))
		}
		if f.At != "" {
			if !clockRE.MatchString(f.At) {
				p.addf(line, "expect: at %q is not a local time like 08:00", f.At)
			}
			x.At = f.At
		}
		if f.Day == nil {
			p.addf(line, "expect: email %s needs day: the day it should go out", f.Email)
		} else {
			x.Day = *f.Day
		}
	}
	if f.Decision != "" {
		set++
		x.Type, x.Outcome = ExpectDecision, workflows.Outcome(lifecycle.Normalize(f.Decision))
		if !slices.Contains(outcomes, x.Outcome) {
			names := make([]string, len(outcomes))
			for i, o := range outcomes {
				names[i] = string(o)
			}
			p.addf(line, "expect: decision %q is unknown; use %s", f.Decision, strings.Join(names, ", "))
		}
		if f.Kind != "" {
			x.Kind = lifecycle.Kind(lifecycle.Normalize(f.Kind))
			if !slices.Contains(lifecycle.AllKinds, x.Kind) {
				p.addf(line, "expect: decision kind %q is unknown; use %s", f.Kind, kindList(lifecycle.AllKinds))
			}
		}
		if f.Day == nil {
			x.AnyDay = true
		} else {
			x.Day = *f.Day
		}
		if f.At != "" && f.Email == "" {
			p.addf(line, "expect: at belongs to an email expectation; a decision takes day")
		}
		x.ReasonContains = f.ReasonContains
	}
	if f.Email == "" && f.Decision == "" && (f.Day != nil || f.At != "") {
		p.addf(line, "expect: day and at belong to an email expectation (email: KIND, day: D, at: \"HH:MM\") or a decision")
	}
	if f.Decision == "" && (f.Kind != "" || f.ReasonContains != "") {
		p.addf(line, "expect: kind and reason_contains belong to a decision expectation (decision: skipped, kind: offer, reason_contains: \"heavy user\")")
	}
	if f.NoEmail != nil {
		set++
		x.Type = ExpectNoEmail
		if f.NoEmail.FromDay == nil || f.NoEmail.ToDay == nil {
			p.addf(line, "expect: no_email needs from_day and to_day")
		} else {
			x.FromDay, x.ToDay = *f.NoEmail.FromDay, *f.NoEmail.ToDay
			if x.FromDay > x.ToDay {
				p.addf(line, "expect: no_email from_day %d is after to_day %d", x.FromDay, x.ToDay)
			}
		}
	}
	if f.Stage != "" {
		set++
		x.Type, x.Stage = ExpectStage, workflows.Stage(lifecycle.Normalize(f.Stage))
		if !slices.Contains([]workflows.Stage{workflows.StageNew, workflows.StagePurchased, workflows.StageFollowedUp, workflows.StageUnsubscribed, workflows.StageSuppressed}, x.Stage) {
			p.addf(line, "expect: stage %q is unknown; use new, purchased, followed-up, unsubscribed or suppressed", f.Stage)
		}
	}
	if a := f.Attributed; a != nil {
		set++
		x.Type, x.Kind, x.Holdout = ExpectAttributed, lifecycle.Kind(lifecycle.Normalize(a.Kind)), a.Holdout
		if !slices.Contains(lifecycle.AllKinds, x.Kind) || x.Kind.Transactional() {
			p.addf(line, "expect: attributed kind %q is not a marketing kind; use %s", a.Kind, kindList(lifecycle.HoldoutKinds))
		}
		if a.Revenue != "" {
			cents, ok := lifecycle.ParsePrice(strings.TrimSpace(a.Revenue))
			if !ok {
				p.addf(line, "expect: attributed revenue %q is not an amount like 55.20", a.Revenue)
			}
			x.Revenue = money(cents)
		}
		if a.Day == nil {
			x.AnyDay = true
		} else {
			x.Day = *a.Day
		}
	}
	if set != 1 {
		p.addf(line, "expect: give exactly one of email (with day), no_email, stage, decision, attributed")
	}
	return x, len(p.problems) == bad
}

// lines finds where things are in the scenario file.
type lines struct{ root *yaml.Node }

func (l lines) top() *yaml.Node {
	if l.root == nil || len(l.root.Content) == 0 {
		return nil
	}
	return l.root.Content[0]
}

func child(n *yaml.Node, key string) (keyNode, value *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// has reports whether the file has the top-level key.
func (l lines) has(name string) bool {
	k, _ := child(l.top(), name)
	return k != nil
}

// key returns the line of a top-level key, 1 when it is missing.
func (l lines) key(name string) int {
	if k, _ := child(l.top(), name); k != nil {
		return k.Line
	}
	return 1
}

// item returns the line of the i-th element of a top-level list.
func (l lines) item(list string, i int) int {
	_, seq := child(l.top(), list)
	if seq != nil && seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
		return seq.Content[i].Line
	}
	return l.key(list)
}

// item2 returns the line of the i-th element of the list under parent.key.
func (l lines) item2(parent, list string, i int) int {
	_, p := child(l.top(), parent)
	_, seq := child(p, list)
	if seq != nil && seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
		return seq.Content[i].Line
	}
	return l.key(parent)
}

// trimmedSet trims names, keeping their case, sorted and distinct, like the product import.
func trimmedSet(list []string) []string {
	out := []string{}
	for _, v := range list {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}
