package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Activities are referenced through a nil pointer: only the method names reach the worker.
var a *activities.Activities

const defaultContinueAsNewAfter = 500

var (
	customerIDKey = temporal.NewSearchAttributeKeyKeyword(SearchAttrCustomerID)
	stageKey      = temporal.NewSearchAttributeKeyKeyword(SearchAttrLifecycleStage)
	segmentKey    = temporal.NewSearchAttributeKeyKeyword(SearchAttrSegment)
)

// CustomerLifecycle is the long-running workflow of one customer (ID CustomerWorkflowID).
func CustomerLifecycle(ctx workflow.Context, in CustomerLifecycleInput) error {
	l, err := setup(ctx, in)
	if err != nil {
		return err
	}
	return l.run(ctx)
}

// lifecycleRun is one run of the workflow: the carried State plus what this run needs.
type lifecycleRun struct {
	state    *State
	policy   lifecycle.Policy
	channels map[string]workflow.ReceiveChannel
	// upserted and upsertedSegment are the stage and segment last written to the search
	// attributes, to write only changes.
	upserted        Stage
	upsertedSegment lifecycle.Segment
	handled         int // events handled in this run, for continue-as-new
	canAfter        int
	loc             *time.Location // the customer's time zone, for quiet hours
	// contactPolicy is version 1 of the "contact-policy" change (docs/VERSIONING.md): the contact
	// loaded per run, sends in a local activity, offers dropped when they expire. One change id for
	// all three, because every GetVersion also upserts the TemporalChangeVersion search attribute,
	// a visibility write per customer.
	contactPolicy bool
	// wake lets a handler that queued a follow-up (an accepted offer's confirmation) reach the main loop.
	wake workflow.Channel
	// countDecision adds a decision to tailor_followups_total; not a command, and the SDK counts
	// nothing while it replays history.
	countDecision func(Decision)
	// recordOutcomes (version 2) writes the deferrals, skips and drops of campaign follow-ups to
	// PostgreSQL for campaign summaries: outcomes collects them, flushOutcomes writes them in one
	// local activity before the workflow waits.
	recordOutcomes bool
	outcomes       []lifecycle.FollowUpOutcome
	// handoffs is version 1 of the "handoffs" change, asked once per run at the first hand-off.
	handoffs, handoffsChecked bool
	// retention is version 1 of the "leaver-retention" change, asked once per run at the first
	// leaver whose contract ends within contract_end_within.
	retention, retentionChecked bool
	// purchaseRecorded is version 1 of the "purchase-recorded" change (input version 3): a purchase
	// signal that carries what the event layer recorded runs no RecordPurchase activity. Asked once
	// per run, at the first such signal.
	purchaseRecorded, purchaseRecordedChecked bool
}

// signalNames is the fixed order in which signal channels are drained.
var signalNames = []string{SignalPurchase, SignalRestock, SignalSale, SignalSeason, SignalUnsubscribe,
	SignalConsent, SignalPreferences, SignalSuppress, SignalUsage, SignalComplaint, SignalSegment, SignalHandoffDone, SignalRecall, SignalReply}

func setup(ctx workflow.Context, in CustomerLifecycleInput) (*lifecycleRun, error) {
	if in.CustomerID == "" {
		return nil, temporal.NewNonRetryableApplicationError("customer id is empty", activities.ErrTypeInvalidInput, nil)
	}
	l := &lifecycleRun{state: in.State, canAfter: in.ContinueAsNewAfter, channels: map[string]workflow.ReceiveChannel{},
		recordOutcomes: in.Version >= 2, purchaseRecorded: in.Version >= 3, purchaseRecordedChecked: in.Version >= 3}
	if l.state == nil {
		l.state = newState(in.CustomerID)
	}
	if l.canAfter <= 0 {
		l.canAfter = defaultContinueAsNewAfter
	}
	metrics := workflow.GetMetricsHandler(ctx) // replay-aware: counts nothing while replaying
	l.countDecision = func(d Decision) {
		metrics.WithTags(map[string]string{"kind": activities.KindLabel(d.Kind), "outcome": string(d.Outcome), "reason": string(d.ReasonCode())}).
			Counter(FollowUpsMetric).Inc(1)
	}
	for _, name := range signalNames {
		l.channels[name] = workflow.GetSignalChannel(ctx, name)
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) {
		return l.status(workflow.Now(ctx)), nil
	}); err != nil {
		return nil, fmt.Errorf("register status query: %w", err)
	}

	l.wake = workflow.NewBufferedChannel(ctx, 1)
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateInterested, l.onInterested,
		workflow.UpdateHandlerOptions{Validator: l.validateInterested}); err != nil {
		return nil, fmt.Errorf("register %s update: %w", UpdateInterested, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCheckin, l.onCheckin,
		workflow.UpdateHandlerOptions{Validator: l.validateCheckin}); err != nil {
		return nil, fmt.Errorf("register %s update: %w", UpdateCheckin, err)
	}

	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	if err := workflow.ExecuteLocalActivity(lctx, a.LoadPolicy).Get(ctx, &l.policy); err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	// A workflow started at version 1 or later has the contact-policy change from its first task;
	// older ones ask GetVersion, which also tells histories recorded before the change apart.
	l.contactPolicy = in.Version >= 1 || workflow.GetVersion(ctx, "contact-policy", workflow.DefaultVersion, 1) == 1
	// Runs recorded before quiet hours existed did not load the customer's time zone.
	if l.contactPolicy {
		var contact activities.Contact
		if err := workflow.ExecuteLocalActivity(lctx, a.LoadContact, l.state.CustomerID).Get(ctx, &contact); err == nil {
			l.state.Timezone = contact.Timezone
		} else {
			l.decide(Decision{At: workflow.Now(ctx), Outcome: OutcomeFailed, Code: lifecycle.ReasonOther, Reason: "load contact, quiet hours fall back to UTC: " + err.Error()})
		}
	}
	l.loc = time.UTC
	if loc, err := lifecycle.LoadLocation(l.state.Timezone); err == nil {
		l.loc = loc
	}
	// Hand-offs still open when the last run continued as new: only runs with the change hold any.
	for _, h := range l.state.Handoffs {
		l.handoffs, l.handoffsChecked = true, true
		l.watchHandoff(ctx, h.ID)
	}
	if l.contactPolicy && in.State == nil {
		// Whoever starts a customer's workflow sets CustomerId and LifecycleStage=new in the start
		// options (lifecycleclient): no upsert until the stage changes, one visibility write less
		// per customer. A continued run writes its stage again rather than trust the carry-over.
		l.upserted = StageNew
	} else {
		l.upsertSearchAttributes(ctx)
	}
	return l, nil
}

func (l *lifecycleRun) run(ctx workflow.Context) error {
	for {
		if l.handled >= l.canAfter || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return l.continueAsNew(ctx)
		}

		// An offer is dropped the moment it expires while it waits, instead of when the policy
		// would have let it go out; histories recorded before keep the old timing.
		dropAtExpiry := l.contactPolicy
		if dropAtExpiry {
			l.dropExpired(workflow.Now(ctx))
		}
		next, readyAt, hasNext := l.state.next(l.policy, l.loc)
		wakeAt := readyAt
		if dropAtExpiry {
			for _, f := range l.state.Pending {
				// One instant after expiry, so that the offer is really gone when the timer fires.
				if expiry := f.ExpiresAt.Add(time.Millisecond); !f.ExpiresAt.IsZero() && expiry.Before(wakeAt) {
					wakeAt = expiry
				}
			}
		}
		if hasNext && !readyAt.After(workflow.Now(ctx)) {
			// Due now: events that already arrived go first, as they may change what is due.
			if l.drain(ctx) {
				continue
			}
			l.sendFollowUp(ctx, next)
			continue
		}

		l.flushOutcomes(ctx)
		selector := workflow.NewSelector(ctx)
		for _, name := range signalNames {
			selector.AddReceive(l.channels[name], func(c workflow.ReceiveChannel, _ bool) {
				l.receive(ctx, name, c)
			})
		}
		// Cancelling the workflow (an operator's decision) ends it; pending follow-ups go with it.
		selector.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		selector.AddReceive(l.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		if hasNext {
			selector.AddFuture(workflow.NewTimer(timerCtx, wakeAt.Sub(workflow.Now(ctx))), func(workflow.Future) {})
		}
		selector.Select(ctx)
		cancelTimer()
		if err := ctx.Err(); err != nil {
			return temporal.NewCanceledError(err.Error())
		}
	}
}

// dropExpired drops every waiting offer whose end has passed.
func (l *lifecycleRun) dropExpired(now time.Time) {
	for _, f := range slices.Clone(l.state.Pending) {
		if !f.ExpiresAt.IsZero() && now.After(f.ExpiresAt) {
			l.dropExpiredOffer(now, f)
		}
	}
}

// continueAsNew drains signals that arrived meanwhile, waits for handlers, and starts the next
// run with the whole state, so nothing is lost across the boundary.
func (l *lifecycleRun) continueAsNew(ctx workflow.Context) error {
	for l.drain(ctx) {
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	l.flushOutcomes(ctx)
	return workflow.NewContinueAsNewError(ctx, CustomerLifecycle, CustomerLifecycleInput{
		CustomerID:         l.state.CustomerID,
		State:              l.state,
		ContinueAsNewAfter: l.canAfter,
		// The next run starts a new history: every change is in effect there.
		Version: CurrentVersion,
	})
}

// drain handles every signal already buffered; it reports whether it handled any.
func (l *lifecycleRun) drain(ctx workflow.Context) bool {
	handled := false
	for _, name := range signalNames {
		for {
			c := l.channels[name]
			if c.Len() == 0 {
				break
			}
			l.receive(ctx, name, c)
			handled = true
		}
	}
	return handled
}

func (l *lifecycleRun) receive(ctx workflow.Context, name string, c workflow.ReceiveChannel) {
	l.handled++
	switch name {
	case SignalPurchase:
		handle(ctx, c, l.onPurchase)
	case SignalRestock:
		handle(ctx, c, l.onRestock)
	case SignalSale:
		handle(ctx, c, l.onSale)
	case SignalSeason:
		handle(ctx, c, l.onSeason)
	case SignalUnsubscribe:
		handle(ctx, c, l.onUnsubscribe)
	case SignalConsent:
		handle(ctx, c, l.onConsent)
	case SignalPreferences:
		handle(ctx, c, l.onPreferences)
	case SignalSuppress:
		handle(ctx, c, l.onSuppress)
	case SignalUsage:
		handle(ctx, c, l.onUsage)
	case SignalComplaint:
		handle(ctx, c, l.onComplaint)
	case SignalSegment:
		handle(ctx, c, l.onSegment)
	case SignalHandoffDone:
		handle(ctx, c, l.onHandoffDone)
	case SignalRecall:
		handle(ctx, c, l.onRecall)
	case SignalReply:
		handle(ctx, c, l.onReply)
	}
	l.upsertSearchAttributes(ctx)
}

// handle receives one signal of type T from c and passes it to on.
func handle[T any](ctx workflow.Context, c workflow.ReceiveChannel, on func(workflow.Context, T)) {
	var sig T
	c.Receive(ctx, &sig)
	on(ctx, sig)
}

func eventTime(ctx workflow.Context, at time.Time) time.Time {
	if at.IsZero() {
		return workflow.Now(ctx)
	}
	return at
}

func (l *lifecycleRun) onPurchase(ctx workflow.Context, sig PurchaseSignal) {
	s, now := l.state, workflow.Now(ctx)
	if sig.PurchaseID == "" || slices.ContainsFunc(s.Purchases, func(p PurchaseRecord) bool { return p.ID == sig.PurchaseID }) {
		l.decide(Decision{At: now, Outcome: OutcomeIgnored, Code: lifecycle.ReasonDuplicate, Reason: fmt.Sprintf("purchase %q already recorded or without id", sig.PurchaseID)})
		return
	}
	at := eventTime(ctx, sig.At)
	res, recorded := l.recordedPurchase(ctx, sig)
	if !recorded {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout:    30 * time.Second,
			ScheduleToCloseTimeout: 24 * time.Hour,
			RetryPolicy:            &temporal.RetryPolicy{MaximumInterval: 5 * time.Minute},
		})
		err := workflow.ExecuteActivity(actx, a.RecordPurchase, activities.RecordPurchaseInput{Purchase: lifecycle.Purchase{
			ID: sig.PurchaseID, CustomerID: s.CustomerID, SKU: sig.SKU, WantedColor: sig.WantedColor, At: at,
		}}).Get(ctx, &res)
		if err != nil {
			l.decide(Decision{At: now, Outcome: OutcomeFailed, Code: lifecycle.ReasonOther, Reason: fmt.Sprintf("record purchase %s of %s: %v", sig.PurchaseID, sig.SKU, err)})
			return
		}
	}
	p := res.Product
	s.Purchases = appendBounded(s.Purchases, PurchaseRecord{
		ID: sig.PurchaseID, SKU: p.SKU, Product: p.Product, Name: p.Name, Category: p.Category, Color: p.Color, Size: p.Size, At: at,
	}, maxPurchases)
	s.Preferences = res.Preferences
	if s.Stage == StageNew {
		s.Stage = StagePurchased
	}
	wanted := lifecycle.Normalize(sig.WantedColor)
	if wanted != "" && wanted != lifecycle.Normalize(p.Color) {
		s.Wishes = append(s.Wishes, lifecycle.Wish{ID: sig.PurchaseID, Product: p.Product, Name: p.Name, Color: wanted, Size: p.Size, CreatedAt: at})
	}
	// One season fallback at a time, counted from the latest purchase in a category that has one.
	// The policy comes from a recorded local activity and its categories were empty (all) before
	// they existed, so replaying older histories takes the same branch.
	if l.policy.SeasonFallbackAfter(p.Category) {
		for _, f := range s.Pending {
			if f.Kind == lifecycle.KindSeason && f.Fallback {
				l.drop(now, f, lifecycle.ReasonReplaced, "replaced by the fallback of a later purchase")
			}
		}
		l.schedule(now, lifecycle.FollowUp{
			Key:      lifecycle.SendKey(s.CustomerID, lifecycle.KindSeason, "fallback-"+sig.PurchaseID),
			Kind:     lifecycle.KindSeason,
			Due:      at.Add(l.policy.SeasonFallback),
			Fallback: true,
		}, fmt.Sprintf("season fallback %s after purchase %s, unless a season campaign comes first", formatDuration(l.policy.SeasonFallback), sig.PurchaseID))
	}
	// Buying again says enough about an earlier disappointment: upsells may resume.
	s.Unhappy = ""
	l.scheduleCare(now, at, sig.PurchaseID, p)
}

// recordedPurchase returns the product and preferences the signal carries, when the workflow may
// take them instead of running RecordPurchase: the event layer wrote them in the transaction that
// recorded the purchase and owes the signal, so the purchase is recorded and the activity would
// only read them back (one workflow task and three history events per purchase).
//
// Why they are not stale by the time the signal arrives. The product is the one bought, as it was
// then; the activity would read the catalogue row as it is at delivery. The stored preferences
// change in two places only: in a purchase's own transaction (whose signal carries its own result)
// and when this workflow saves a preference edit (onPreferences, SavePreferences). "Stop learning"
// is written in the transaction that owes its preferences signal, so a purchase recorded after it
// learned nothing. What can be stale is an edit this workflow saved after the purchase was recorded
// but handled before it (an edit owed first, delivered first: say a learned item removed); the
// carried preferences would bring the removed item back. PreferencesBefore tells: when the stored
// preferences the purchase learned from are not the ones the workflow holds (that edit, or a
// purchase kept as history that taught the store without a signal), the activity reads what is
// stored now, as before the change. A workflow that has neither recorded a purchase nor saved an
// edit holds no preferences yet (those imported with the customer are read at the first purchase)
// and has saved nothing that could be lost: it takes the carried ones. Once the customer stopped
// learning, a carried purchase that still taught something was recorded before the stop, and the
// edit saved since may have dropped it: the activity again.
func (l *lifecycleRun) recordedPurchase(ctx workflow.Context, sig PurchaseSignal) (activities.RecordPurchaseResult, bool) {
	r, s := sig.Recorded, l.state
	if r == nil {
		return activities.RecordPurchaseResult{}, false
	}
	before, after, held := lifecycle.Preferences{}.Merge(r.PreferencesBefore), lifecycle.Preferences{}.Merge(r.Preferences), lifecycle.Preferences{}.Merge(s.Preferences)
	readYet := len(s.Purchases) > 0 || s.PreferencesEdited || !samePreferences(held, lifecycle.Preferences{})
	if (readYet && !samePreferences(before, held)) || (s.LearningStopped && !samePreferences(before, after)) {
		return activities.RecordPurchaseResult{}, false
	}
	if !l.purchaseRecordedChecked {
		l.purchaseRecordedChecked = true
		l.purchaseRecorded = workflow.GetVersion(ctx, "purchase-recorded", workflow.DefaultVersion, 1) == 1
	}
	if !l.purchaseRecorded {
		return activities.RecordPurchaseResult{}, false
	}
	return activities.RecordPurchaseResult{Product: r.Product, Preferences: after}, true
}

// samePreferences compares two normalized (Merge) preference lists.
func samePreferences(a, b lifecycle.Preferences) bool {
	return slices.Equal(a.Colors, b.Colors) && slices.Equal(a.Sizes, b.Sizes) && slices.Equal(a.Categories, b.Categories)
}

func (l *lifecycleRun) onRestock(ctx workflow.Context, sig RestockSignal) {
	s, now := l.state, workflow.Now(ctx)
	at := eventTime(ctx, sig.At)
	l.expireWishes(now)
	matched := false
	for _, w := range s.Wishes {
		if !w.MatchesRestock(sig.Product, at, l.policy.RestockWindow) {
			continue
		}
		matched = true
		product := sig.Product
		l.schedule(now, lifecycle.FollowUp{
			Key:       lifecycle.SendKey(s.CustomerID, lifecycle.KindRestock, w.ID),
			Kind:      lifecycle.KindRestock,
			Due:       at,
			ExpiresAt: w.CreatedAt.Add(l.policy.RestockWindow),
			WishID:    w.ID,
			Product:   &product,
			Holdout:   sig.Holdout,
		}, fmt.Sprintf("%s restocked in wished %s, size %s", product.SKU, w.Color, w.Size))
	}
	if !matched {
		l.decide(Decision{At: now, Kind: lifecycle.KindRestock, Outcome: OutcomeIgnored, Code: lifecycle.ReasonNoMatch,
			Reason: fmt.Sprintf("restock of %s (%s, %s, %s) matches no open wish", sig.Product.SKU, sig.Product.Product, sig.Product.Color, sig.Product.Size)})
	}
}

func (l *lifecycleRun) onSale(ctx workflow.Context, sig SaleSignal) {
	s, now := l.state, workflow.Now(ctx)
	category := lifecycle.Normalize(sig.Category)
	switch {
	case !sig.Until.IsZero() && !now.Before(sig.Until):
		l.decide(Decision{At: now, Kind: lifecycle.KindSale, Outcome: OutcomeIgnored, Code: lifecycle.ReasonEnded, Reason: fmt.Sprintf("sale %s already ended at %s", sig.SaleID, sig.Until.Format(time.RFC3339))})
	case !l.contactPolicy && !l.boughtOrLikes(category):
		// Runs from before the contact-policy change ignored a sale outside the categories the
		// workflow had seen; SendFollowUp now checks the stored preferences instead.
		l.decide(Decision{At: now, Kind: lifecycle.KindSale, Outcome: OutcomeIgnored, Code: lifecycle.ReasonNoProducts, Reason: fmt.Sprintf("sale on %s: not a category the customer bought or likes", category)})
	default:
		l.schedule(now, lifecycle.FollowUp{
			Key:         lifecycle.SendKey(s.CustomerID, lifecycle.KindSale, sig.SaleID),
			Kind:        lifecycle.KindSale,
			Due:         now,
			ExpiresAt:   sig.Until,
			SaleID:      sig.SaleID,
			Category:    category,
			DiscountPct: sig.DiscountPct,
			Holdout:     sig.Holdout,
		}, fmt.Sprintf("sale on %s, %d%% off", category, sig.DiscountPct))
	}
}

func (l *lifecycleRun) boughtOrLikes(category string) bool {
	if slices.Contains(l.state.Preferences.Categories, category) {
		return true
	}
	return slices.ContainsFunc(l.state.Purchases, func(p PurchaseRecord) bool { return lifecycle.Normalize(p.Category) == category })
}

func (l *lifecycleRun) onSeason(ctx workflow.Context, sig SeasonSignal) {
	s, now := l.state, workflow.Now(ctx)
	for _, f := range s.Pending {
		if f.Kind == lifecycle.KindSeason && f.Fallback {
			l.drop(now, f, lifecycle.ReasonReplaced, fmt.Sprintf("season campaign %q came before the fallback", sig.Collection))
		}
	}
	l.schedule(now, lifecycle.FollowUp{
		Key:        lifecycle.SendKey(s.CustomerID, lifecycle.KindSeason, sig.Collection),
		Kind:       lifecycle.KindSeason,
		Due:        now,
		Collection: sig.Collection,
		Holdout:    sig.Holdout,
	}, fmt.Sprintf("season campaign %q", sig.Collection))
}

func (l *lifecycleRun) onUnsubscribe(ctx workflow.Context, sig UnsubscribeSignal) {
	reason := "unsubscribed"
	if sig.Reason != "" {
		reason += ": " + sig.Reason
	}
	l.withdrawConsent(ctx, "unsubscribe", lifecycle.ReasonUnsubscribed, reason)
}

func (l *lifecycleRun) onConsent(ctx workflow.Context, sig ConsentSignal) {
	s, now := l.state, workflow.Now(ctx)
	s.ConsentSource, s.ConsentAt = sig.Source, eventTime(ctx, sig.At)
	if !sig.Granted {
		l.withdrawConsent(ctx, sig.Source, lifecycle.ReasonConsentWithdrawn, "marketing consent withdrawn ("+sig.Source+")")
		return
	}
	if s.Stage == StageUnsubscribed {
		s.Stage = s.stageAfterConsent()
	}
	l.decide(Decision{At: now, Outcome: OutcomeScheduled, Code: lifecycle.ReasonNone, Reason: "marketing consent granted (" + sig.Source + "); later events may be followed up again"})
}

// withdrawConsent stops every pending marketing follow-up at once.
func (l *lifecycleRun) withdrawConsent(ctx workflow.Context, source string, code lifecycle.ReasonCode, reason string) {
	s, now := l.state, workflow.Now(ctx)
	s.ConsentSource, s.ConsentAt = source, now
	l.dropMarketing(now, code, reason)
	if s.Stage != StageSuppressed {
		s.Stage = StageUnsubscribed
	}
	l.decide(Decision{At: now, Outcome: OutcomeDropped, Code: code, Reason: reason + "; all follow-ups stopped"})
}

func (l *lifecycleRun) onSuppress(ctx workflow.Context, sig SuppressSignal) {
	s, now := l.state, workflow.Now(ctx)
	if s.Stage == StageSuppressed {
		return // the provider may report the same address more than once
	}
	reason := fmt.Sprintf("the mail provider reported %s for the address", sig.Event)
	l.dropMarketing(now, lifecycle.ReasonSuppressed, reason)
	s.Stage = StageSuppressed
	l.decide(Decision{At: now, Outcome: OutcomeDropped, Code: lifecycle.ReasonSuppressed, Reason: reason + "; marketing stopped"})
}

func (l *lifecycleRun) onPreferences(ctx workflow.Context, sig PreferencesSignal) {
	s, now := l.state, workflow.Now(ctx)
	prefs := lifecycle.Preferences{}.Merge(sig.Preferences) // normalized, sorted
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{MaximumInterval: 5 * time.Minute},
	})
	if err := workflow.ExecuteActivity(actx, a.SavePreferences, activities.SavePreferencesInput{
		CustomerID: s.CustomerID, Preferences: prefs,
	}).Get(ctx, nil); err != nil {
		l.decide(Decision{At: now, Outcome: OutcomeFailed, Code: lifecycle.ReasonOther, Reason: "save the customer's preferences: " + err.Error()})
		return
	}
	s.Preferences, s.Paused, s.PreferencesEdited = prefs, sig.Paused, true
	learning := ""
	if sig.StopLearning != s.LearningStopped {
		learning = "; learning from what the customer does resumed"
		if sig.StopLearning {
			learning = "; learning from what the customer does stopped: only what they state is used"
		}
	}
	s.LearningStopped = sig.StopLearning
	s.Kinds = nil
	for _, k := range lifecycle.MarketingKinds {
		if slices.Contains(sig.Kinds, k) {
			s.Kinds = append(s.Kinds, k)
		}
	}
	if len(s.Kinds) == len(lifecycle.MarketingKinds) {
		s.Kinds = nil // all
	}
	for _, f := range slices.Clone(s.Pending) {
		if code, reason := s.unwanted(f); code != "" {
			l.drop(now, f, code, reason)
		}
	}
	l.decide(Decision{At: now, Outcome: OutcomeScheduled, Code: lifecycle.ReasonNone, Reason: fmt.Sprintf(
		"preferences edited by the customer: colours %v, sizes %v, categories %v, kinds %v, paused %t%s",
		prefs.Colors, prefs.Sizes, prefs.Categories, s.Kinds, s.Paused, learning)})
}

func (l *lifecycleRun) dropMarketing(now time.Time, code lifecycle.ReasonCode, reason string) {
	for _, f := range slices.Clone(l.state.Pending) {
		if !f.Kind.Transactional() {
			l.drop(now, f, code, reason)
		}
	}
}

func (l *lifecycleRun) validateInterested(req InterestedRequest) error {
	if !slices.ContainsFunc(l.state.Emails, func(e SentEmail) bool { return e.Key == req.OfferKey && !e.Kind.Transactional() }) {
		return fmt.Errorf("no offer %q was sent to customer %s", req.OfferKey, l.state.CustomerID)
	}
	return nil
}

// onInterested records "yes, I'm interested": the goal of that offer is reached, so no more offers
// of its kind for the same product go out, and a transactional confirmation is queued.
func (l *lifecycleRun) onInterested(ctx workflow.Context, req InterestedRequest) (InterestedResult, error) {
	s, now := l.state, workflow.Now(ctx)
	i := slices.IndexFunc(s.Emails, func(e SentEmail) bool { return e.Key == req.OfferKey })
	offer := s.Emails[i]
	if slices.Contains(s.Accepted, req.OfferKey) {
		return InterestedResult{Accepted: true, AlreadyAccepted: true, Message: "You already told us you are interested in “" + offer.Subject + "”. We will be in touch."}, nil
	}
	s.Accepted = appendBounded(s.Accepted, req.OfferKey, maxDoneKeys)
	if offer.Goal != "" && !slices.Contains(s.Goals, offer.Goal) {
		s.Goals = append(s.Goals, offer.Goal)
	}
	l.decide(Decision{At: now, Kind: offer.Kind, Key: offer.Key, Outcome: OutcomeAccepted, Code: lifecycle.ReasonNone, Reason: "the customer said yes to “" + offer.Subject + "”"})
	for _, f := range slices.Clone(s.Pending) {
		if code, reason := s.unwanted(f); code != "" {
			l.drop(now, f, code, reason)
		}
	}
	l.schedule(now, lifecycle.FollowUp{
		Key:   lifecycle.SendKey(s.CustomerID, lifecycle.KindConfirmation, req.OfferKey),
		Kind:  lifecycle.KindConfirmation,
		Due:   now,
		Offer: offer.Subject,
	}, "confirmation of the accepted offer “"+offer.Subject+"”")
	l.openHandoff(ctx, lifecycle.HandoffOfferAccepted, req.OfferKey, "said yes to “"+offer.Subject+"”")
	l.wake.SendAsync(struct{}{})
	return InterestedResult{Accepted: true, Message: "Thank you! We noted your interest in “" + offer.Subject + "” and will be in touch shortly."}, nil
}

// schedule queues f unless a follow-up with the same key is queued or done (duplicate events).
func (l *lifecycleRun) schedule(now time.Time, f lifecycle.FollowUp, why string) {
	l.scheduleFor(now, f, lifecycle.ReasonNone, why)
}

// scheduleFor is schedule for a follow-up whose scheduling itself has a reason code (a change of
// segment); a deferral or a skip has the code of what holds it.
func (l *lifecycleRun) scheduleFor(now time.Time, f lifecycle.FollowUp, code lifecycle.ReasonCode, why string) {
	s := l.state
	if s.known(f.Key) {
		l.decide(Decision{At: now, Kind: f.Kind, Key: f.Key, Outcome: OutcomeIgnored, Code: lifecycle.ReasonDuplicate, Reason: "duplicate: already scheduled or handled"})
		return
	}
	if f.Segment == lifecycle.SegmentNone {
		f.Segment = s.Segment // the wording follows the customer's segment
	}
	if skip, reason := s.unwanted(f); skip != "" {
		s.markDone(f.Key)
		l.decide(Decision{At: now, Kind: f.Kind, Key: f.Key, Outcome: OutcomeSkipped, Code: skip, Reason: why + "; " + reason})
		return
	}
	s.Pending = append(s.Pending, f)
	ready := s.readyAt(f, l.policy, l.loc)
	if ready.After(f.Due) && !ready.Before(now) {
		held, reason := l.deferralReason(f, ready)
		l.decide(Decision{At: now, Kind: f.Kind, Key: f.Key, Outcome: OutcomeDeferred, Until: ready, Code: held,
			Reason: why + "; " + reason})
		return
	}
	l.decide(Decision{At: now, Kind: f.Kind, Key: f.Key, Outcome: OutcomeScheduled, Until: ready, Code: code, Reason: why})
}

func (l *lifecycleRun) drop(now time.Time, f lifecycle.FollowUp, code lifecycle.ReasonCode, reason string) {
	l.state.removePending(f.Key)
	l.state.markDone(f.Key)
	l.decide(Decision{At: now, Kind: f.Kind, Key: f.Key, Outcome: OutcomeDropped, Code: code, Reason: reason})
}

// dropExpiredOffer drops f, whose offer ended while the contact policy held it.
func (l *lifecycleRun) dropExpiredOffer(now time.Time, f lifecycle.FollowUp) {
	_, held := l.deferralReason(f, now)
	l.drop(now, f, lifecycle.ReasonExpired, fmt.Sprintf("offer expired at %s while waiting for the contact policy (%s)",
		f.ExpiresAt.Format(time.RFC3339), held))
}

// expireWishes forgets wishes older than the restock window.
func (l *lifecycleRun) expireWishes(now time.Time) {
	l.state.Wishes = slices.DeleteFunc(l.state.Wishes, func(w lifecycle.Wish) bool {
		return now.After(w.CreatedAt.Add(l.policy.RestockWindow))
	})
}

func (l *lifecycleRun) sendFollowUp(ctx workflow.Context, f lifecycle.FollowUp) {
	s, now := l.state, workflow.Now(ctx)
	if !f.ExpiresAt.IsZero() && now.After(f.ExpiresAt) {
		l.dropExpiredOffer(now, f)
		return
	}
	in := activities.SendFollowUpInput{CustomerID: s.CustomerID, FollowUp: f}
	retry := &temporal.RetryPolicy{MaximumInterval: 10 * time.Minute}
	var res activities.SendFollowUpResult
	var err error
	// A local activity: the decision and the send share one workflow task, which halves the server
	// round trips per email (see docs/BENCHMARKS.md). Histories recorded before used a regular
	// activity and still replay through the default branch.
	if l.contactPolicy {
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout:    time.Minute,
			ScheduleToCloseTimeout: 24 * time.Hour,
			RetryPolicy:            retry,
		})
		err = workflow.ExecuteLocalActivity(lctx, a.SendFollowUp, in).Get(ctx, &res)
	} else {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout:    time.Minute,
			ScheduleToCloseTimeout: 24 * time.Hour,
			RetryPolicy:            retry,
		})
		err = workflow.ExecuteActivity(actx, a.SendFollowUp, in).Get(ctx, &res)
	}
	now = workflow.Now(ctx)
	if retryAt, reason, held := l.heldBySendingPause(ctx, err, now); held {
		l.hold(f, now, retryAt, reason)
		return
	}
	s.removePending(f.Key)
	s.markDone(f.Key)
	switch {
	case err != nil:
		var appErr *temporal.ApplicationError
		reason := err.Error()
		if errors.As(err, &appErr) {
			reason = appErr.Type() + ": " + appErr.Error()
		}
		l.decide(Decision{At: now, Kind: f.Kind, Key: f.Key, Outcome: OutcomeFailed, Code: lifecycle.ReasonOther, Reason: reason})
	case res.HeldOut:
		// Counted by SendFollowUp. A contact like an email for min_gap and the cap, and a restock's
		// wish is fulfilled, so that what follows is the same for the control and the emailed.
		s.HeldOut = appendBounded(s.HeldOut, SentEmail{Kind: f.Kind, Key: f.Key, Subject: res.Subject, SentAt: now}, maxEmails)
		s.LastSentAt = now
		if f.Kind == lifecycle.KindRestock {
			s.Wishes = slices.DeleteFunc(s.Wishes, func(w lifecycle.Wish) bool { return w.ID == f.WishID })
		}
		l.decide(Decision{At: now, Kind: f.Kind, Key: f.Key, Outcome: OutcomeHeldOut, Code: lifecycle.ReasonHeldOut,
			Reason: "“" + res.Subject + "” " + res.SkipReason})
		l.recordDeferrals(now)
	case !res.Sent:
		// Recorded, not counted: SendFollowUp counted this skip in tailor_emails_total. A result
		// recorded before SkipCode existed has none: ReasonCode derives it.
		s.decide(Decision{At: now, Kind: f.Kind, Key: f.Key, Outcome: OutcomeSkipped, Code: res.SkipCode, Reason: res.SkipReason})
	default:
		s.Emails = appendBounded(s.Emails, SentEmail{Kind: f.Kind, Key: f.Key, Subject: res.Subject, MessageID: res.MessageID, SentAt: now, Goal: goalOf(f)}, maxEmails)
		if !f.Kind.Transactional() {
			s.LastSentAt = now
		}
		if f.Kind == lifecycle.KindRestock {
			s.Wishes = slices.DeleteFunc(s.Wishes, func(w lifecycle.Wish) bool { return w.ID == f.WishID })
		}
		if s.Stage == StageNew || s.Stage == StagePurchased {
			s.Stage = StageFollowedUp
		}
		l.decide(Decision{At: now, Kind: f.Kind, Key: f.Key, Outcome: OutcomeSent, Code: lifecycle.ReasonNone, Reason: res.Subject})
		l.recordDeferrals(now)
	}
	l.upsertSearchAttributes(ctx)
}

// heldBySendingPause reports whether err says sending is paused (the mail provider refuses the
// API key): then nothing was sent, the follow-up is not at fault, and it tries again at retryAt,
// however long the pause lasts. The "sending-paused" change (docs/VERSIONING.md) is met only
// when the error comes, which histories recorded before it never hold.
func (l *lifecycleRun) heldBySendingPause(ctx workflow.Context, err error, now time.Time) (retryAt time.Time, reason string, held bool) {
	var appErr *temporal.ApplicationError
	if err == nil || !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeSendingPaused {
		return time.Time{}, "", false
	}
	if workflow.GetVersion(ctx, "sending-paused", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return time.Time{}, "", false
	}
	paused := activities.SendingPaused{Reason: appErr.Error()}
	if appErr.HasDetails() {
		_ = appErr.Details(&paused) // unreadable details: the message and the default wait
	}
	if paused.RetryIn <= 0 {
		paused.RetryIn = activities.DefaultSendingPausedRetry
	}
	return now.Add(paused.RetryIn), paused.Reason, true
}

// heldPrefix starts the decision of a follow-up held by a pause of all sending.
const heldPrefix = "held, tries again then: "

// hold keeps f pending until retryAt. A long pause holds a follow-up many times: its decision is
// brought up to date instead of repeated, so the bounded decision log keeps the rest.
func (l *lifecycleRun) hold(f lifecycle.FollowUp, now, retryAt time.Time, reason string) {
	s := l.state
	for i := range s.Pending {
		if s.Pending[i].Key == f.Key {
			s.Pending[i].Due = retryAt
		}
	}
	d := Decision{At: now, Kind: f.Kind, Key: f.Key, Outcome: OutcomeDeferred, Until: retryAt, Code: lifecycle.ReasonSendingPaused, Reason: heldPrefix + reason}
	for i := len(s.Decisions) - 1; i >= 0; i-- {
		if prev := s.Decisions[i]; prev.Key == f.Key {
			if prev.Outcome == OutcomeDeferred && prev.ReasonCode() == lifecycle.ReasonSendingPaused {
				s.Decisions = slices.Delete(s.Decisions, i, i+1)
				s.decide(d) // counted when first held
				return
			}
			break
		}
	}
	l.decide(d)
}

// recordDeferrals notes, after an email went out, which queued follow-ups now wait because of it.
func (l *lifecycleRun) recordDeferrals(now time.Time) {
	s := l.state
	for _, f := range s.Pending {
		if ready := s.readyAt(f, l.policy, l.loc); ready.After(f.Due) && ready.After(now) {
			code, reason := l.deferralReason(f, ready)
			l.decide(Decision{At: now, Kind: f.Kind, Key: f.Key, Outcome: OutcomeDeferred, Until: ready, Code: code, Reason: reason})
		}
	}
}

// deferralReason names the rules of the contact policy that hold f until ready; the code is the
// first of them (min_gap, then the cap, then quiet hours).
func (l *lifecycleRun) deferralReason(f lifecycle.FollowUp, ready time.Time) (lifecycle.ReasonCode, string) {
	s, p := l.state, l.policy
	var why []string
	code := lifecycle.ReasonOther
	first := func(c lifecycle.ReasonCode) {
		if len(why) == 0 {
			code = c
		}
	}
	if !s.LastSentAt.IsZero() && s.LastSentAt.Add(p.MinGap).After(f.Due) {
		first(lifecycle.ReasonMinGap)
		last := "the last email"
		if n := len(s.HeldOut); n > 0 && s.HeldOut[n-1].SentAt.Equal(s.LastSentAt) {
			last = "the follow-up held out" // a contact like an email: the control is treated alike
		}
		why = append(why, fmt.Sprintf("min_gap %s since %s at %s", formatDuration(p.MinGap), last, s.LastSentAt.Format(time.RFC3339)))
	}
	gapOK := f.Due
	if !s.LastSentAt.IsZero() && s.LastSentAt.Add(p.MinGap).After(gapOK) {
		gapOK = s.LastSentAt.Add(p.MinGap)
	}
	if capped := s.afterCap(gapOK, p); capped.After(gapOK) {
		first(lifecycle.ReasonCap)
		why = append(why, fmt.Sprintf("max_per_window %d per %s", p.MaxPerWindow, formatDuration(p.CapWindow)))
		gapOK = capped
	}
	if quiet := p.QuietHours.NextAllowed(gapOK, l.loc); quiet.After(gapOK) {
		first(lifecycle.ReasonQuietHours)
		why = append(why, fmt.Sprintf("quiet hours %s in %s", p.QuietHours, l.loc))
	}
	if len(why) == 0 {
		return code, "contact policy"
	}
	return code, strings.Join(why, "; ")
}

// upsertSearchAttributes mirrors the stage and the segment into the search attributes when either
// changed. The attributes must be registered on the namespace (`starter setup`), or the server
// fails the workflow task.
func (l *lifecycleRun) upsertSearchAttributes(ctx workflow.Context) {
	if l.upserted == l.state.Stage && l.upsertedSegment == l.state.Segment {
		return
	}
	l.upserted, l.upsertedSegment = l.state.Stage, l.state.Segment
	updates := []temporal.SearchAttributeUpdate{
		customerIDKey.ValueSet(l.state.CustomerID),
		stageKey.ValueSet(string(l.state.Stage)),
	}
	if l.state.Segment != lifecycle.SegmentNone {
		updates = append(updates, segmentKey.ValueSet(string(l.state.Segment)))
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

// formatDuration writes whole days as "14d", the way LIFECYCLE_CONFIG spells them.
func formatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}
