package simulation

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/internal/campaigns"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// eventTypes are the things that can happen in a scenario's events, in the order messages list
// them. Each is declared once, in its section below: the YAML block it reads (a struct whose yaml
// tags are its fields), how it checks a block (parse, which adds every problem with its line) and
// what it does to the simulated shop and workflow, returning its line in the timeline (run).
// Everything else — the event's YAML layout and unknown-field messages, "give exactly one of",
// the replay — is built from this list.
//
// Adding an event type: a section below like the others and its line here, and its row in
// docs/SCENARIOS.md ("Adding an event type").
var eventTypes = []eventType{
	define("purchase", parsePurchase),
	define("restock", parseRestock),
	define("sale", parseSale),
	define("season", parseSeason),
	define("unsubscribe", parseUnsubscribe),
	define("consent", parseConsent),
	define("preferences", parsePreferences),
	define("suppress", parseSuppress),
	define("interested", parseInterested),
	define("usage", parseUsage),
	define("complaint", parseComplaint),
	define("segment", parseSegment),
	define("checkin", parseCheckin),
}

// Action is what an event does: one of the *XxxEvent types in this file.
type Action interface {
	// run does what the production caller does (the database change first, then the signal or
	// the Update) at ev.At and returns the event's line in the timeline: the type's name, a
	// space, then the detail.
	run(r *runner, ev Event) (string, error)
}

// eventType is one entry of eventTypes.
type eventType struct {
	name  string       // the key in an event, and the first word of its timeline line
	block reflect.Type // the struct its YAML block decodes into
	parse func(c eventCheck, block any) Action
}

// define makes an event type from its parse function, which names the block type F.
func define[F any, A Action](name string, parse func(c eventCheck, f *F) A) eventType {
	return eventType{name: name, block: reflect.TypeFor[F](), parse: func(c eventCheck, block any) Action {
		return parse(c, block.(*F))
	}}
}

// eventCheck is what an event type's parse sees: the scenario as parsed so far (start, catalogue,
// time zone), the event's line and day, and how many events of this type the file has had up to
// and including this one.
type eventCheck struct {
	p    *parser
	sc   *Scenario
	name string
	line int
	day  int
	nth  int
}

// problemf adds a problem about the event: "line L: <type> on day D: <message>".
func (c eventCheck) problemf(format string, args ...any) {
	c.p.addf(c.line, "%s on day %d: %s", c.name, c.day, fmt.Sprintf(format, args...))
}

// input adds err, a broken lifecycle input rule; nil adds nothing.
func (c eventCheck) input(err error) {
	if err != nil {
		c.problemf("%v", err)
	}
}

// holdout checks a campaign event's holdout: a percentage like `starter sale --holdout`.
func (c eventCheck) holdout(pct *int) *int {
	if pct != nil && (*pct < 0 || *pct > 100) {
		c.problemf("holdout must be a percentage from 0 to 100, got %d", *pct)
	}
	return pct
}

// withHoldout gives the campaign its --holdout, keyed by its ID as the starter keys it; nil
// leaves the policy's holdout for the kind.
func withHoldout(in workflows.CampaignInput, pct *int) workflows.CampaignInput {
	if pct == nil {
		return in
	}
	return in.WithHoldout(*pct)
}

// holdoutText names a campaign's own holdout in its timeline line; "" without one.
func holdoutText(in workflows.CampaignInput) string {
	if h := in.StartProgress(time.Time{}).Holdout; h != nil {
		return fmt.Sprintf(", holdout %d%% (%s)", h.Pct, h.Key)
	}
	return ""
}

// knownSKU checks that sku is given and in the catalogue.
func (c eventCheck) knownSKU(sku string) {
	if sku == "" {
		c.problemf("sku is missing")
		return
	}
	if !slices.ContainsFunc(c.sc.Products, func(pr lifecycle.Product) bool { return pr.SKU == sku }) {
		c.problemf("SKU %q is not in the catalogue", sku)
	}
}

// eventNames lists the event types like "purchase, restock, ..., checkin".
func eventNames() string {
	names := make([]string, len(eventTypes))
	for i, t := range eventTypes {
		names[i] = t.name
	}
	return strings.Join(names, ", ")
}

// The YAML layout of an event and of the whole file, built from eventTypes so that the decoder
// itself rejects an unknown field anywhere, with its line, in the file's order: day, at and one
// optional block per event type. scenarioYAML is scenarioFile with its events.
var (
	eventYAML    = eventLayout()
	scenarioYAML = reflect.StructOf([]reflect.StructField{
		{Name: "File", Type: reflect.TypeFor[scenarioFile](), Tag: `yaml:",inline"`},
		{Name: "Events", Type: reflect.SliceOf(eventYAML), Tag: `yaml:"events"`},
	})
)

const eventBlocksFrom = 2 // eventYAML's fields: day, at, then one per event type

func eventLayout() reflect.Type {
	fields := []reflect.StructField{
		{Name: "Day", Type: reflect.TypeFor[*int](), Tag: `yaml:"day"`},
		{Name: "At", Type: reflect.TypeFor[string](), Tag: `yaml:"at"`},
	}
	for _, t := range eventTypes {
		fields = append(fields, reflect.StructField{
			Name: "Block" + strings.ToUpper(t.name[:1]) + t.name[1:],
			Type: reflect.PointerTo(t.block),
			Tag:  reflect.StructTag(fmt.Sprintf("yaml:%q", t.name)),
		})
	}
	return reflect.StructOf(fields)
}

// decodedScenario takes the file and its events out of a decoded scenarioYAML.
func decodedScenario(v reflect.Value) scenarioFile {
	f := v.Field(0).Interface().(scenarioFile)
	events := v.Field(1)
	for i := range events.Len() {
		e := events.Index(i)
		ef := eventFile{Day: e.Field(0).Interface().(*int), At: e.Field(1).String(), Blocks: make([]any, len(eventTypes))}
		for j := range eventTypes {
			if b := e.Field(eventBlocksFrom + j); !b.IsNil() {
				ef.Blocks[j] = b.Interface()
			}
		}
		f.Events = append(f.Events, ef)
	}
	return f
}

// eventFieldMessages turns the decoder's names of the event layouts into what a person can act
// on, like knownFields: "in purchase (known: sku, wanted_color, id)".
func eventFieldMessages() []string {
	out := []string{
		"in type " + scenarioYAML.String(), "at the top level (known: description, customer, catalogue, start, policy, events, expect, end_day)",
		"in type " + eventYAML.String(), "in an event (known: day, at, " + eventNames() + ")",
	}
	for _, t := range eventTypes {
		var fields []string
		for _, f := range reflect.VisibleFields(t.block) {
			fields = append(fields, strings.Split(f.Tag.Get("yaml"), ",")[0])
		}
		out = append(out, "in type "+t.block.String(), fmt.Sprintf("in %s (known: %s)", t.name, strings.Join(fields, ", ")))
	}
	// The layouts' Go types where the decoder names them otherwise ("cannot unmarshal !!str `x`
	// into ..."), as they were called when they were written by hand.
	return append(out, scenarioYAML.String(), "simulation.scenarioFile", eventYAML.String(), "simulation.eventFile")
}

// ---- purchase

type purchaseFile struct {
	SKU         string `yaml:"sku"`
	WantedColor string `yaml:"wanted_color"`
	ID          string `yaml:"id"`
}

// PurchaseEvent is `starter purchase`.
type PurchaseEvent struct {
	ID          string
	SKU         string
	WantedColor string
}

func parsePurchase(c eventCheck, f *purchaseFile) *PurchaseEvent {
	pu := &PurchaseEvent{ID: strings.TrimSpace(f.ID), SKU: strings.TrimSpace(f.SKU), WantedColor: lifecycle.Normalize(f.WantedColor)}
	if pu.ID == "" {
		pu.ID = fmt.Sprintf("p%d", c.nth)
	}
	c.input(lifecycle.ValidateID("id", pu.ID))
	c.knownSKU(pu.SKU)
	return pu
}

func (pu *PurchaseEvent) run(r *runner, ev Event) (string, error) {
	p, err := r.shop.Product(r.ctx, pu.SKU)
	if err != nil {
		return "", err
	}
	// Through the event layer, like `starter purchase`: recorded with its signal, then delivered.
	res, err := r.layer.Purchase(r.ctx, events.Purchase{ID: pu.ID, CustomerID: r.sc.Customer.ID, SKU: pu.SKU, WantedColor: pu.WantedColor, At: ev.At})
	if err != nil {
		return "", err
	}
	if !res.New {
		// A purchase id the layer recorded before owes nothing new; a scenario repeats one to show
		// what the workflow does when it hears it twice, which only a relay that died between the
		// delivery and marking it delivered does: the simulation delivers the recorded signal again.
		if _, err := r.outbox.redeliver(r.ctx, res.EventID, envLifecycle{r.env}); err != nil {
			return "", err
		}
	}
	// A data bundle has neither colour nor size: name only what the product has.
	details := []string{p.Name}
	if p.Color != "" {
		details = append(details, p.Color)
	}
	if p.Size != "" {
		details = append(details, "size "+p.Size)
	}
	text := fmt.Sprintf("purchase %s: %s (%s)", pu.ID, p.SKU, strings.Join(details, ", "))
	if pu.WantedColor != "" {
		text += ", wanted " + pu.WantedColor
	}
	return text, nil
}

// ---- restock

type restockFile struct {
	SKU      string `yaml:"sku"`
	Quantity int    `yaml:"quantity"`
	Holdout  *int   `yaml:"holdout"`
}

// RestockEvent is `starter restock`.
type RestockEvent struct {
	SKU      string
	Quantity int
	Holdout  *int // --holdout; nil: the policy's
}

func parseRestock(c eventCheck, f *restockFile) *RestockEvent {
	re := &RestockEvent{SKU: strings.TrimSpace(f.SKU), Quantity: f.Quantity, Holdout: c.holdout(f.Holdout)}
	c.knownSKU(re.SKU)
	if re.Quantity < 1 {
		c.problemf("quantity must be at least 1, got %d", re.Quantity)
	}
	return re
}

func (re *RestockEvent) run(r *runner, ev Event) (string, error) {
	p, err := r.shop.Restock(r.ctx, re.SKU, re.Quantity)
	if err != nil {
		return "", err
	}
	text := fmt.Sprintf("restock %s (+%d, now %d in stock)", p.SKU, re.Quantity, p.Stock)
	// Like `starter restock`: only customers with a matching open wish are told.
	wishes, err := r.shop.OpenWishes(r.ctx, p.Product, p.Color, p.Size, ev.At.Add(-r.policy.RestockWindow))
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(wishes, func(w store.OpenWish) bool { return w.CustomerID == r.sc.Customer.ID }) {
		return text + ": no open wish of the customer matches, so the workflow is not told", nil
	}
	in := withHoldout(campaigns.Restock(p, ev.At, r.policy.RestockWindow), re.Holdout)
	r.env.SignalWorkflow(workflows.SignalRestock, *in.Restock)
	return text + holdoutText(in), nil
}

// ---- sale

type saleFile struct {
	Category string `yaml:"category"`
	Discount int    `yaml:"discount"`
	UntilDay *int   `yaml:"until_day"`
	Holdout  *int   `yaml:"holdout"`
}

// SaleEvent is `starter sale`; Until is the last second of the until day in UTC, zero without end.
type SaleEvent struct {
	Category    string
	DiscountPct int
	UntilDay    int
	Until       time.Time
	Holdout     *int // --holdout; nil: the policy's
}

// Sale discounts a scenario accepts, in percent: the same bounds as `starter sale`.
const (
	minDiscount = 1
	maxDiscount = 90
)

func parseSale(c eventCheck, f *saleFile) *SaleEvent {
	s := &SaleEvent{Category: lifecycle.Normalize(f.Category), DiscountPct: f.Discount, Holdout: c.holdout(f.Holdout)}
	switch {
	case s.Category == "":
		c.problemf("category is missing")
	case !slices.ContainsFunc(c.sc.Products, func(pr lifecycle.Product) bool { return pr.Category == s.Category }):
		c.problemf("no product in the catalogue has category %q", s.Category)
	}
	if s.DiscountPct < minDiscount || s.DiscountPct > maxDiscount {
		c.problemf("discount must be between %d and %d percent, got %d", minDiscount, maxDiscount, s.DiscountPct)
	}
	if f.UntilDay != nil {
		s.UntilDay = *f.UntilDay
		if s.UntilDay < c.day {
			c.problemf("until_day %d is before the sale starts", s.UntilDay)
		}
		// Like `starter sale --until`: the last second of that day in UTC.
		d := c.sc.Start.Add(time.Duration(s.UntilDay) * Day)
		s.Until = time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, time.UTC)
	}
	return s
}

func (s *SaleEvent) run(r *runner, _ Event) (string, error) {
	in := withHoldout(workflows.SaleCampaign(workflows.SaleSignal{SaleID: saleID(s.Category, s.Until, s.DiscountPct), Category: s.Category,
		DiscountPct: s.DiscountPct, Until: s.Until}), s.Holdout)
	sig := *in.Sale
	r.env.SignalWorkflow(workflows.SignalSale, sig)
	until := "without end"
	if !s.Until.IsZero() {
		until = fmt.Sprintf("until day %d (%s)", s.UntilDay, s.Until.Format("2006-01-02"))
	}
	return fmt.Sprintf("sale %s: %d%% off %s %s", sig.SaleID, s.DiscountPct, s.Category, until) + holdoutText(in), nil
}

// saleID names a sale like `starter sale`: sale/<category>/<yyyymmdd of the last day, or open>-<pct>.
func saleID(category string, until time.Time, pct int) string {
	day := "open"
	if !until.IsZero() {
		day = until.UTC().Format("20060102")
	}
	return fmt.Sprintf("sale/%s/%s-%d", category, day, pct)
}

// ---- season

type seasonFile struct {
	Collection string `yaml:"collection"`
	Holdout    *int   `yaml:"holdout"`
}

// SeasonEvent is `starter season`.
type SeasonEvent struct {
	Collection string
	Holdout    *int // --holdout; nil: the policy's
}

func parseSeason(c eventCheck, f *seasonFile) *SeasonEvent {
	s := &SeasonEvent{Collection: strings.TrimSpace(f.Collection), Holdout: c.holdout(f.Holdout)}
	switch {
	case s.Collection == "":
		c.problemf("collection is missing")
	case !slices.ContainsFunc(c.sc.Products, func(pr lifecycle.Product) bool { return slices.Contains(pr.Collections, s.Collection) }):
		c.problemf("no product in the catalogue belongs to collection %q (names match exactly)", s.Collection)
	}
	return s
}

func (s *SeasonEvent) run(r *runner, _ Event) (string, error) {
	in := withHoldout(workflows.SeasonCampaign(workflows.SeasonSignal{Collection: s.Collection}), s.Holdout)
	r.env.SignalWorkflow(workflows.SignalSeason, *in.Season)
	return fmt.Sprintf("season %q", s.Collection) + holdoutText(in), nil
}

// ---- unsubscribe

type unsubscribeFile struct {
	Reason string `yaml:"reason"`
}

// UnsubscribeEvent is `starter unsubscribe` (or the unsubscribe link).
type UnsubscribeEvent struct {
	Reason string
}

func parseUnsubscribe(_ eventCheck, f *unsubscribeFile) *UnsubscribeEvent {
	return &UnsubscribeEvent{Reason: strings.TrimSpace(f.Reason)}
}

func (u *UnsubscribeEvent) run(r *runner, _ Event) (string, error) {
	// Through the event layer: consent withdrawn (no activity sends from here on) with the
	// unsubscribe signal, which tells the workflow why, owed in the same transaction.
	reason := u.Reason
	if reason == "" {
		reason = "unsubscribe link"
	}
	if _, err := r.layer.Unsubscribe(r.ctx, events.Unsubscribe{CustomerID: r.sc.Customer.ID, Reason: reason, Source: "simulation"}); err != nil {
		return "", err
	}
	return "unsubscribe (" + reason + ")", nil
}

// ---- consent

type consentFile struct {
	Granted *bool  `yaml:"granted"`
	Source  string `yaml:"source"`
}

// ConsentEvent is `starter consent`: consent saved in the database, then the consent signal.
type ConsentEvent struct {
	Granted bool
	Source  string
}

func parseConsent(c eventCheck, f *consentFile) *ConsentEvent {
	ce := &ConsentEvent{Source: strings.TrimSpace(f.Source)}
	if f.Granted == nil {
		c.problemf("granted is missing (true or false)")
	} else {
		ce.Granted = *f.Granted
	}
	if ce.Source == "" {
		ce.Source = "starter" // `starter consent`'s default
	}
	return ce
}

func (ce *ConsentEvent) run(r *runner, ev Event) (string, error) {
	// The database first, like `starter consent`: SendFollowUp checks it before every email.
	// Through the event layer: saved with its signal owed, then delivered.
	if _, err := r.layer.Consent(r.ctx, events.Consent{CustomerID: r.sc.Customer.ID, Granted: ce.Granted, Source: ce.Source}); err != nil {
		return "", err
	}
	if ce.Granted {
		return "consent granted (source " + ce.Source + ")", nil
	}
	return "consent withdrawn (source " + ce.Source + ")", nil
}

// ---- preferences

type preferencesFile struct {
	Colors     []string `yaml:"colors"`
	Sizes      []string `yaml:"sizes"`
	Categories []string `yaml:"categories"`
	Kinds      []string `yaml:"kinds"`
	Paused     bool     `yaml:"paused"`
}

// PreferencesEvent is the customer saving the preference page: the preferences signal, which the
// workflow saves to the database itself.
type PreferencesEvent struct {
	Preferences lifecycle.Preferences
	Kinds       []lifecycle.Kind // wanted kinds; empty: all
	Paused      bool
}

func parsePreferences(c eventCheck, f *preferencesFile) *PreferencesEvent {
	pe := &PreferencesEvent{
		Preferences: lifecycle.Preferences{}.Merge(lifecycle.Preferences{Colors: f.Colors, Sizes: f.Sizes, Categories: f.Categories}),
		Paused:      f.Paused,
	}
	for _, k := range f.Kinds {
		kind := lifecycle.Kind(lifecycle.Normalize(k))
		if !slices.Contains(lifecycle.MarketingKinds, kind) {
			c.problemf("kind %q is unknown; use restock, sale or season", k)
		} else if !slices.Contains(pe.Kinds, kind) {
			pe.Kinds = append(pe.Kinds, kind)
		}
	}
	return pe
}

func (pe *PreferencesEvent) run(r *runner, _ Event) (string, error) {
	// Like the preference page: only the signal; the workflow saves the lists itself.
	if _, err := r.layer.Preferences(r.ctx, events.Preferences{CustomerID: r.sc.Customer.ID, Signal: workflows.PreferencesSignal{
		Preferences: pe.Preferences, Kinds: slices.Clone(pe.Kinds), Paused: pe.Paused,
	}}); err != nil {
		return "", err
	}
	kinds := "all kinds"
	if len(pe.Kinds) > 0 {
		names := make([]string, len(pe.Kinds))
		for i, k := range pe.Kinds {
			names[i] = string(k)
		}
		kinds = "kinds " + strings.Join(names, ", ")
	}
	text := fmt.Sprintf("preferences colours %s, sizes %s, categories %s, %s", list(pe.Preferences.Colors),
		list(pe.Preferences.Sizes), list(pe.Preferences.Categories), kinds)
	if pe.Paused {
		text += ", all mail paused"
	}
	return text, nil
}

func list(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// ---- suppress

type suppressFile struct {
	Event string `yaml:"event"`
}

// SuppressEvent is the SendGrid Event Webhook reporting the address: suppressed in the database,
// then the suppress signal.
type SuppressEvent struct {
	Event string // bounce, dropped, spamreport, unsubscribe, group_unsubscribe
}

// suppressingEvents are the SendGrid events that suppress an address (internal/sendgrid/eventwebhook).
var suppressingEvents = []string{"bounce", "dropped", "spamreport", "unsubscribe", "group_unsubscribe"}

func parseSuppress(c eventCheck, f *suppressFile) *SuppressEvent {
	s := &SuppressEvent{Event: lifecycle.Normalize(f.Event)}
	if !slices.Contains(suppressingEvents, s.Event) {
		c.problemf("event %q does not suppress an address; use one of %s", f.Event, strings.Join(suppressingEvents, ", "))
	}
	return s
}

func (s *SuppressEvent) run(r *runner, ev Event) (string, error) {
	// Like the SendGrid Event Webhook: the address is suppressed in the database, then the signal.
	email := r.sc.Customer.Email
	if _, err := r.layer.Suppression(r.ctx, events.Suppression{
		EventID: fmt.Sprintf("%s/%s/%d", email, s.Event, ev.At.UnixNano()), Email: email, CustomerID: r.sc.Customer.ID, Event: s.Event, At: ev.At,
	}); err != nil {
		return "", err
	}
	return fmt.Sprintf("suppress the mail provider reported %s for %s", s.Event, email), nil
}

// ---- interested

type interestedFile struct {
	Kind     string `yaml:"kind"`
	OfferDay *int   `yaml:"offer_day"`
}

// InterestedEvent is the customer clicking "yes, I'm interested" under an offer email: the
// interested Update for the most recent offer email of Kind (any when empty) sent on OfferDay
// (any day when nil) at or before the event.
type InterestedEvent struct {
	Kind     lifecycle.Kind
	OfferDay *int
}

func parseInterested(c eventCheck, f *interestedFile) *InterestedEvent {
	ie := &InterestedEvent{Kind: lifecycle.Kind(lifecycle.Normalize(f.Kind)), OfferDay: f.OfferDay}
	if ie.Kind != "" && !ie.Kind.Upsell() {
		c.problemf("kind %q is not an offer; use %s", f.Kind, kindList(offerKinds()))
	}
	if d := ie.OfferDay; d != nil && (*d < 0 || *d > c.day) {
		c.problemf("offer_day %d must be between 0 and the day of the event", *d)
	}
	if ie.Kind == "" && ie.OfferDay == nil {
		c.problemf("say which offer: kind (the most recent offer email of that kind) and/or offer_day (sent that day)")
	}
	return ie
}

// offerKinds are the kinds of email that offer something: "yes, I'm interested" answers them.
func offerKinds() []lifecycle.Kind {
	var out []lifecycle.Kind
	for _, k := range lifecycle.AllKinds {
		if k.Upsell() {
			out = append(out, k)
		}
	}
	return out
}

// run clicks "yes, I'm interested" under the offer email the event names, through the workflow's
// Update as the interest page does; the answer completes the event's text.
func (ie *InterestedEvent) run(r *runner, ev Event) (string, error) {
	which := "offer email"
	if ie.Kind != "" {
		which = string(ie.Kind) + " email"
	}
	if ie.OfferDay != nil {
		which += fmt.Sprintf(" of day %d", *ie.OfferDay)
	}
	var offer *recordedEmail
	for _, e := range r.mailer.sent() {
		// Only emails that offer something carry the "yes, I'm interested" link.
		if !e.Kind.Upsell() || e.at.After(ev.At) || (ie.Kind != "" && e.Kind != ie.Kind) ||
			(ie.OfferDay != nil && dayOf(r.sc.Start, e.at) != *ie.OfferDay) {
			continue
		}
		offer = &e
	}
	if offer == nil {
		return "interested in the " + which + ", but no such email went out before: nothing to accept", nil
	}
	text := fmt.Sprintf("interested in the %s email of day %d, %q", offer.Kind, dayOf(r.sc.Start, offer.at), offer.Subject)
	i := len(r.events) // apply appends this event's entry next
	r.answers[i] = text + ": the workflow did not answer"
	r.env.UpdateWorkflow(workflows.UpdateInterested, fmt.Sprintf("interested-line-%d", ev.Line), &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { r.answers[i] = text + ": rejected: " + err.Error() },
		OnComplete: func(v any, err error) {
			res, _ := v.(workflows.InterestedResult)
			switch {
			case err != nil:
				r.answers[i] = text + ": failed: " + err.Error()
			case res.AlreadyAccepted:
				r.answers[i] = text + ": already accepted: " + res.Message
			case res.Accepted:
				r.answers[i] = text + ": accepted: " + res.Message
			default:
				r.answers[i] = text + ": not accepted: " + res.Message
			}
		},
	}, workflows.InterestedRequest{OfferKey: offer.Key})
	return text, nil
}

// ---- usage

type usageFile struct {
	Metric          string   `yaml:"metric"`
	Used            *float64 `yaml:"used"`
	Limit           *float64 `yaml:"limit"`
	ContractEndsDay *int     `yaml:"contract_ends_day"`
}

// UsageEvent is a meter reading of a metered product, e.g. the MB used of a data bundle, as the
// operator's metering feed sends it: the usage signal. ContractEndsAt is zero when not given.
type UsageEvent struct {
	Metric          string
	Used            float64
	Limit           float64
	ContractEndsDay int
	ContractEndsAt  time.Time // day ContractEndsDay at the start's time of day
}

// parseUsage checks a meter reading: a metric, what was used of a positive limit, and optionally
// the day the contract ends.
func parseUsage(c eventCheck, f *usageFile) *UsageEvent {
	u := &UsageEvent{Metric: strings.TrimSpace(f.Metric)}
	if u.Metric == "" {
		c.problemf("metric is missing, e.g. data_mb")
	}
	switch {
	case f.Used == nil:
		c.problemf("used is missing: how much of the bundle is used so far")
	case *f.Used < 0:
		c.problemf("used %g is negative", *f.Used)
	default:
		u.Used = *f.Used
	}
	switch {
	case f.Limit == nil:
		c.problemf("limit is missing: the size of the bundle, in the metric's unit")
	case *f.Limit <= 0:
		c.problemf("limit %g must be more than 0", *f.Limit)
	default:
		u.Limit = *f.Limit
	}
	if d := f.ContractEndsDay; d != nil {
		if *d < 0 {
			c.problemf("contract_ends_day %d is negative", *d)
		}
		u.ContractEndsDay = *d
		u.ContractEndsAt = c.sc.Start.Add(time.Duration(*d) * Day)
	}
	return u
}

func (u *UsageEvent) run(r *runner, ev Event) (string, error) {
	// Like the metering feed: only the signal; the workflow keeps the usage profile itself.
	if _, err := r.layer.Usage(r.ctx, events.Usage{CustomerID: r.sc.Customer.ID, Reading: lifecycle.UsageReading{
		Metric: u.Metric, Used: u.Used, Limit: u.Limit, At: ev.At, ContractEndsAt: u.ContractEndsAt,
	}}); err != nil {
		return "", err
	}
	// Rounded down, so that a reading just below the threshold never shows as at it.
	text := fmt.Sprintf("usage %s: %g of %g (%d%%)", u.Metric, u.Used, u.Limit, int(math.Floor(u.Used*100/u.Limit)))
	if !u.ContractEndsAt.IsZero() {
		text += fmt.Sprintf(", contract ends on day %d (%s)", u.ContractEndsDay, u.ContractEndsAt.Format(time.DateOnly))
	}
	return text, nil
}

// ---- complaint

type complaintFile struct {
	Reason string `yaml:"reason"`
}

// ComplaintEvent is a complaint (service desk, survey): the complaint signal, a churn indicator.
type ComplaintEvent struct {
	Reason string
}

func parseComplaint(_ eventCheck, f *complaintFile) *ComplaintEvent {
	return &ComplaintEvent{Reason: strings.TrimSpace(f.Reason)}
}

func (ce *ComplaintEvent) run(r *runner, ev Event) (string, error) {
	// Like `starter note --kind complaint`: the note and its complaint signal, through the layer.
	if _, _, err := r.layer.Note(r.ctx, events.Note{
		ID: fmt.Sprintf("complaint-%d", ev.At.UnixNano()), CustomerID: r.sc.Customer.ID, Kind: store.NoteComplaint, Text: ce.Reason, OccurredAt: ev.At,
	}); err != nil {
		return "", err
	}
	if ce.Reason == "" {
		return "complaint (no reason given)", nil
	}
	return "complaint (" + ce.Reason + ")", nil
}

// ---- segment

type segmentFile struct {
	Segment string   `yaml:"segment"`
	Reasons []string `yaml:"reasons"`
}

// SegmentEvent is the nightly recompute putting the customer in Segment: the segment signal.
type SegmentEvent struct {
	Segment lifecycle.Segment
	Reasons []string
}

func parseSegment(c eventCheck, f *segmentFile) *SegmentEvent {
	se := &SegmentEvent{Segment: lifecycle.Segment(lifecycle.Normalize(f.Segment))}
	if !slices.Contains(lifecycle.Segments, se.Segment) {
		names := make([]string, len(lifecycle.Segments))
		for i, s := range lifecycle.Segments {
			names[i] = string(s)
		}
		c.problemf("segment %q is unknown; use %s", f.Segment, strings.Join(names, ", "))
	}
	for _, reason := range f.Reasons {
		if reason = strings.TrimSpace(reason); reason != "" {
			se.Reasons = append(se.Reasons, reason)
		}
	}
	return se
}

func (se *SegmentEvent) run(r *runner, ev Event) (string, error) {
	// Like the nightly SegmentRecompute: the segment signal with its reasons.
	r.env.SignalWorkflow(workflows.SignalSegment, workflows.SegmentSignal{Segment: se.Segment, Reasons: slices.Clone(se.Reasons), At: ev.At})
	text := "segment " + string(se.Segment)
	if len(se.Reasons) > 0 {
		text += ": " + strings.Join(se.Reasons, "; ")
	}
	return text, nil
}

// ---- checkin

type checkinFile struct {
	Happy *bool `yaml:"happy"`
}

// CheckinEvent is the customer answering "is it what you hoped for?" under the most recent
// check-in email sent at or before the event, through the workflow's checkin Update as the
// check-in page does.
type CheckinEvent struct {
	Happy bool
}

func parseCheckin(c eventCheck, f *checkinFile) *CheckinEvent {
	ce := &CheckinEvent{}
	if f.Happy == nil {
		c.problemf("happy is missing (true: it is what they hoped for, false: it is not)")
	} else {
		ce.Happy = *f.Happy
	}
	return ce
}

// run answers the most recent check-in email sent at or before the event, through the workflow's
// checkin Update as the check-in page does; the answer completes the event's text.
func (ce *CheckinEvent) run(r *runner, ev Event) (string, error) {
	answer := "not what they hoped for"
	if ce.Happy {
		answer = "what they hoped for"
	}
	var last *recordedEmail
	for _, e := range r.mailer.sent() {
		if e.Kind == lifecycle.KindCheckin && !e.at.After(ev.At) {
			last = &e
		}
	}
	if last == nil {
		return "checkin answer " + answer + ", but no check-in email went out before: nothing to answer", nil
	}
	text := fmt.Sprintf("checkin answer to the check-in email of day %d, %q: %s", dayOf(r.sc.Start, last.at), last.Subject, answer)
	i := len(r.events) // apply appends this event's entry next
	r.answers[i] = text + ": the workflow did not answer"
	r.env.UpdateWorkflow(workflows.UpdateCheckin, fmt.Sprintf("checkin-line-%d", ev.Line), &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { r.answers[i] = text + ": rejected: " + err.Error() },
		OnComplete: func(v any, err error) {
			res, _ := v.(workflows.CheckinResult)
			switch {
			case err != nil:
				r.answers[i] = text + ": failed: " + err.Error()
			case res.AlreadyAnswered:
				r.answers[i] = text + ": already answered: " + res.Message
			default:
				r.answers[i] = text + ": recorded: " + res.Message
			}
		},
	}, workflows.CheckinAnswer{CheckinKey: last.Key, Happy: ce.Happy})
	return text, nil
}
