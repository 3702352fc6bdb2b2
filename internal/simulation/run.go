package simulation

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/workflows"
)

// Simulated emails carry links signed like production ones, with a simulation-only secret, to a
// shop that does not exist: they show what the customer would see, not a working page.
const (
	linkBaseURL = "https://shop.example"
	linkSecret  = "simulation-only-secret-never-used-in-production"
)

// runTimeout bounds one simulation in real time; a year takes well under a second.
const runTimeout = time.Minute

// Options change how Run runs a scenario.
type Options struct {
	// Shop is the database the activities use, already holding the scenario's customer and
	// products. Nil means a fresh in-memory Catalogue.
	Shop Shop
	// Policy replaces the scenario's policy (starter simulate --config).
	Policy *lifecycle.Policy
}

// Result is what a simulation did: every event and decision in time order, the emails the mail
// provider would have received, the stage at the end and the outcome of each expectation.
type Result struct {
	Scenario    string       `json:"scenario"`
	Description string       `json:"description,omitempty"`
	Customer    CustomerView `json:"customer"`
	// CustomerFrom and CatalogueFrom say where the customer and the products came from when not
	// from the scenario file (--from-db); empty otherwise.
	CustomerFrom  string     `json:"customer_from,omitempty"`
	CatalogueFrom string     `json:"catalogue_from,omitempty"`
	Policy        PolicyView `json:"policy"`
	Start         time.Time  `json:"start"`
	End           time.Time  `json:"end"`
	EndDay        int        `json:"end_day"`
	Timeline      []Entry    `json:"timeline"`
	Emails        []Email    `json:"emails"`
	// Attributions are the purchases as the report would count them: credited to an email, or
	// conversions of a holdout.
	Attributions []Attribution    `json:"attributions,omitempty"`
	Stage        workflows.Stage  `json:"stage"`
	Checks       []Check          `json:"expectations"`
	Passed       bool             `json:"passed"`
	status       workflows.Status // the last query
	location     *time.Location
}

// CustomerView is who the scenario follows.
type CustomerView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Locale   string `json:"locale"`
	Timezone string `json:"timezone"`
}

// PolicyView is the contact policy used, written the way LIFECYCLE_CONFIG spells it.
type PolicyView struct {
	MinGap         string `json:"min_gap"`
	RestockWindow  string `json:"restock_window"`
	SeasonFallback string `json:"season_fallback"`
	QuietHours     string `json:"quiet_hours"`    // like 21:00-08:00 in the customer's time zone; "" for none
	MaxPerWindow   int    `json:"max_per_window"` // 0: no cap
	CapWindow      string `json:"cap_window"`
	// AttributionWindow: a purchase this long after an email is credited to it.
	AttributionWindow string `json:"attribution_window"`
}

func policyView(p lifecycle.Policy) PolicyView {
	return PolicyView{
		MinGap: formatDuration(p.MinGap), RestockWindow: formatDuration(p.RestockWindow), SeasonFallback: formatDuration(p.SeasonFallback),
		QuietHours: p.QuietHours.String(), MaxPerWindow: p.MaxPerWindow, CapWindow: formatDuration(p.CapWindow),
		AttributionWindow: formatDuration(cmp.Or(p.AttributionWindow, lifecycle.DefaultAttributionWindow)),
	}
}

// String is the policy on one line, as the timeline's header shows it.
func (v PolicyView) String() string {
	s := fmt.Sprintf("min_gap %s, restock_window %s, season_fallback %s", v.MinGap, v.RestockWindow, v.SeasonFallback)
	if v.QuietHours != "" {
		s += ", quiet_hours " + v.QuietHours + " local time"
	} else {
		s += ", no quiet_hours"
	}
	if v.MaxPerWindow > 0 {
		s += fmt.Sprintf(", max_per_window %d per cap_window %s", v.MaxPerWindow, v.CapWindow)
	} else {
		s += ", no max_per_window"
	}
	return s
}

// Entry is one line of the timeline: an event (Event set) or a decision of the workflow.
type Entry struct {
	Day      int                  `json:"day"`
	At       time.Time            `json:"at"`
	Local    string               `json:"local"` // At in the customer's time zone
	Event    string               `json:"event,omitempty"`
	Outcome  workflows.Outcome    `json:"outcome,omitempty"`
	Kind     lifecycle.Kind       `json:"kind,omitempty"`
	Key      string               `json:"key,omitempty"`
	Until    time.Time            `json:"until,omitzero"`
	UntilDay *int                 `json:"until_day,omitempty"`
	Reason   string               `json:"reason,omitempty"` // for sent: the subject
	Code     lifecycle.ReasonCode `json:"code,omitempty"`   // a decision's reason code
}

// Email is one email the mail provider received.
type Email struct {
	Day       int            `json:"day"`
	At        time.Time      `json:"at"`
	Local     string         `json:"local"`
	Kind      lifecycle.Kind `json:"kind"`
	Key       string         `json:"key"`
	To        string         `json:"to"`
	Subject   string         `json:"subject"`
	MessageID string         `json:"message_id"`
	Text      string         `json:"text"`
	HTML      string         `json:"html"`
}

// Run simulates the scenario: it starts the customer's CustomerLifecycle workflow at sc.Start in
// Temporal's time-skipping test environment, replays the events, and stops it at sc.EndDay. An
// error means the simulation itself could not run; failed expectations are in Result.Checks.
func Run(ctx context.Context, sc *Scenario, opts Options) (*Result, error) {
	policy := sc.Policy
	if opts.Policy != nil {
		policy = *opts.Policy
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(sc.Start)
	env.SetTestTimeout(runTimeout)

	shop := opts.Shop
	if shop == nil {
		shop = NewCatalogue(sc, env.Now)
	}
	mailer := &recorder{now: env.Now}
	signer, err := links.New([]byte(linkSecret), linkBaseURL, 0, env.Now)
	if err != nil {
		return nil, fmt.Errorf("simulated links: %w", err)
	}
	env.RegisterWorkflow(workflows.CustomerLifecycle)
	env.RegisterActivity(&activities.Activities{
		Store: shop, Mailer: mailer, Policy: policy, Links: signer, Now: env.Now, Handoffs: newHandoffs(),
	})

	r := &runner{ctx: ctx, sc: sc, shop: shop, policy: policy, env: env, location: sc.location, mailer: mailer, answers: map[int]string{}}
	r.outbox = newShopEvents(shop, sc.Customer.ID, env.Now)
	r.layer = events.New(r.outbox, envLifecycle{env}, env.Now)
	// Events at the same moment go in one callback, in file order.
	for i := 0; i < len(sc.Events); {
		j := i
		for j < len(sc.Events) && sc.Events[j].At.Equal(sc.Events[i].At) {
			j++
		}
		batch := sc.Events[i:j]
		env.RegisterDelayedCallback(func() { r.apply(batch) }, batch[0].At.Sub(sc.Start))
		i = j
	}
	end := sc.Start.Add(time.Duration(sc.EndDay) * Day)
	env.RegisterDelayedCallback(func() {
		if err := r.query(); err != nil {
			r.fail(fmt.Errorf("query the workflow's status at the end: %w", err))
			return
		}
		env.CancelWorkflow()
	}, end.Sub(sc.Start))

	env.ExecuteWorkflow(workflows.CustomerLifecycle, workflows.CustomerLifecycleInput{
		CustomerID: sc.Customer.ID,
		// One run for the whole simulation: the real workflow would continue as new after 500
		// events, carrying everything, which changes no decision.
		ContinueAsNewAfter: 1 << 30,
	})
	if r.err != nil {
		return nil, r.err
	}
	if err := env.GetWorkflowError(); !env.IsWorkflowCompleted() || !temporal.IsCanceledError(err) {
		return nil, fmt.Errorf("the workflow ended before day %d: %v", sc.EndDay, err)
	}

	res := &Result{
		Scenario:    sc.Name,
		Description: sc.Description,
		Customer: CustomerView{ID: sc.Customer.ID, Name: sc.Customer.Name, Email: sc.Customer.Email,
			Locale: sc.Customer.Locale, Timezone: sc.Customer.Timezone},
		CustomerFrom:  sc.CustomerFrom,
		CatalogueFrom: sc.CatalogueFrom,
		Policy:        policyView(policy),
		Start:         sc.Start,
		End:           end,
		EndDay:        sc.EndDay,
		Stage:         r.status.Stage,
		status:        r.status,
		location:      sc.location,
	}
	res.Timeline = r.timeline()
	for i, e := range mailer.sent() {
		res.Emails = append(res.Emails, Email{
			Day: res.day(e.at), At: e.at, Local: res.local(e.at), Kind: e.Kind, Key: e.Key, To: e.ToEmail,
			Subject: e.Subject, MessageID: fmt.Sprintf("sim-%d", i+1), Text: e.Text, HTML: e.HTML,
		})
	}
	r.outbox.mu.Lock()
	bought := slices.Clone(r.outbox.bought)
	r.outbox.mu.Unlock()
	res.Attributions = res.attribute(bought, policy.AttributionWindow)
	res.Checks = check(sc.Expect, res)
	res.Passed = !slices.ContainsFunc(res.Checks, func(c Check) bool { return !c.Passed })
	return res, nil
}

// runner replays the events; its methods run in the test environment's callbacks, one at a time.
type runner struct {
	ctx      context.Context
	sc       *Scenario
	shop     Shop
	layer    *events.Service // the shop events: the production use cases over outbox
	outbox   *shopEvents
	policy   lifecycle.Policy
	env      *testsuite.TestWorkflowEnvironment
	location *time.Location
	mailer   *recorder

	// answers completes the text of interested events (by index in events) once the workflow
	// has answered the Update.
	answers map[int]string

	events    []Entry
	decisions []workflows.Decision
	status    workflows.Status
	err       error
}

func (r *runner) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.env.CancelWorkflow()
}

// apply does what the starter would for each event: the database change first, then the signal.
func (r *runner) apply(batch []Event) {
	if r.err != nil {
		return
	}
	if err := r.ctx.Err(); err != nil {
		r.fail(err)
		return
	}
	// Everything decided since the last query, before this event can push it out of the
	// workflow's bounded decision list. Before the first event there is nothing to read (and a
	// callback at day 0 runs before the workflow has started).
	if len(r.events) > 0 {
		if err := r.query(); err != nil {
			r.fail(fmt.Errorf("query the workflow's status before the event on day %d: %w", batch[0].Day, err))
			return
		}
	}
	for _, ev := range batch {
		text, err := ev.Action.run(r, ev)
		if err != nil {
			r.fail(fmt.Errorf("%s: line %d: event on day %d: %w", r.sc.Name, ev.Line, ev.Day, err))
			return
		}
		r.events = append(r.events, Entry{Day: ev.Day, At: ev.At, Event: text})
	}
}

// query reads the workflow's status and adds the decisions not seen before.
func (r *runner) query() error {
	v, err := r.env.QueryWorkflow(workflows.QueryStatus)
	if err != nil {
		return err
	}
	var st workflows.Status
	if err := v.Get(&st); err != nil {
		return err
	}
	r.status = st
	r.decisions = mergeDecisions(r.decisions, st.Decisions)
	return nil
}

// mergeDecisions appends to seen the decisions of latest that come after it. latest is the tail of
// the workflow's bounded list: it starts somewhere inside seen (or right after it), so the longest
// suffix of seen that latest starts with is what both hold.
func mergeDecisions(seen, latest []workflows.Decision) []workflows.Decision {
	for k := min(len(seen), len(latest)); k > 0; k-- {
		if slices.EqualFunc(seen[len(seen)-k:], latest[:k], sameDecision) {
			return append(seen, latest[k:]...)
		}
	}
	return append(seen, latest...)
}

func sameDecision(a, b workflows.Decision) bool {
	return a.At.Equal(b.At) && a.Until.Equal(b.Until) && a.Kind == b.Kind && a.Key == b.Key &&
		a.Outcome == b.Outcome && a.Reason == b.Reason && a.Code == b.Code
}

// timeline merges events and decisions in time order; at the same moment an event comes before
// the decisions it caused.
func (r *runner) timeline() []Entry {
	out := slices.Clone(r.events)
	for i, text := range r.answers {
		out[i].Event = text
	}
	for _, d := range r.decisions {
		e := Entry{At: d.At, Outcome: d.Outcome, Kind: d.Kind, Key: d.Key, Until: d.Until, Reason: d.Reason, Code: d.Code}
		if !d.Until.IsZero() {
			ud := dayOf(r.sc.Start, d.Until)
			e.UntilDay = &ud
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b Entry) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(b.Event, a.Event) // events (non-empty) first
	})
	for i := range out {
		out[i].Day = dayOf(r.sc.Start, out[i].At)
		out[i].Local = localTime(out[i].At, r.location)
	}
	return out
}

func dayOf(start, t time.Time) int {
	d := t.Sub(start)
	if d < 0 {
		return -int((-d + Day - 1) / Day)
	}
	return int(d / Day)
}

func (res *Result) day(t time.Time) int { return dayOf(res.Start, t) }

func (res *Result) local(t time.Time) string { return localTime(t, res.location) }

func localTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2006-01-02 15:04 MST")
}

// formatDuration writes whole days as "14d", the way LIFECYCLE_CONFIG spells them.
func formatDuration(d time.Duration) string {
	if d >= Day && d%Day == 0 {
		return fmt.Sprintf("%dd", d/Day)
	}
	return d.String()
}

// recorder is the mail provider: it keeps every email with the simulated time it arrived.
type recorder struct {
	now    func() time.Time
	mu     sync.Mutex
	emails []recordedEmail
}

type recordedEmail struct {
	lifecycle.Email
	at time.Time
}

func (m *recorder) Send(_ context.Context, e lifecycle.Email) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.emails = append(m.emails, recordedEmail{Email: e, at: m.now()})
	return fmt.Sprintf("sim-%d", len(m.emails)), nil
}

func (m *recorder) sent() []recordedEmail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.emails)
}
