package workflows

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// The usage phase: meter readings and the moment of truth, complaints, care tips and the
// "is it what you hoped for?" check-in after a purchase.

// usagePolicy is the moment-of-truth policy; a policy loaded before it existed has none, and then
// the defaults hold (which offer nothing).
func (l *lifecycleRun) usagePolicy() lifecycle.UsagePolicy {
	if l.policy.Usage.Threshold <= 0 {
		return lifecycle.DefaultUsagePolicy()
	}
	return l.policy.Usage
}

// onUsage adds a meter reading to the customer's usage profile. The first reading of a period at
// the threshold is the moment of truth: the workflow classifies the customer's behaviour and
// queues the offer that fits, or deliberately none, and records why either way.
func (l *lifecycleRun) onUsage(ctx workflow.Context, sig UsageSignal) {
	s, now := l.state, workflow.Now(ctx)
	r := sig.Reading
	r.Metric = lifecycle.Normalize(r.Metric)
	if r.At.IsZero() {
		r.At = now
	}
	if r.Metric == "" || r.Limit <= 0 || r.Used < 0 {
		l.decide(Decision{At: now, Kind: lifecycle.KindOffer, Outcome: OutcomeIgnored, Code: lifecycle.ReasonOther,
			Reason: fmt.Sprintf("usage reading without a metric, with a limit of %g or a negative use: ignored", r.Limit)})
		return
	}
	pol := l.usagePolicy()
	i := slices.IndexFunc(s.Usage, func(p lifecycle.UsageProfile) bool { return p.Metric == r.Metric })
	if i < 0 {
		s.Usage = append(s.Usage, lifecycle.UsageProfile{Metric: r.Metric})
		slices.SortFunc(s.Usage, func(a, b lifecycle.UsageProfile) int { return strings.Compare(a.Metric, b.Metric) })
		i = slices.IndexFunc(s.Usage, func(p lifecycle.UsageProfile) bool { return p.Metric == r.Metric })
	}
	profile, moment := s.Usage[i].Add(r, pol.Threshold)
	s.Usage[i] = profile
	// A leaver's reading may tell that the contract ends soon: the retention offer. The moment of
	// truth below still follows the leaver strategy, which skips its offer.
	l.offerRetention(ctx, now)
	if !moment {
		return
	}

	usedPct := int(math.Floor(r.Used / r.Limit * 100))
	churn := lifecycle.ChurnIndicators(profile, lifecycle.ChurnFacts{LastComplaintAt: s.LastComplaintAt, OptedOutKinds: len(s.Kinds) > 0}, r.At, pol)
	behaviour, why := lifecycle.ClassifyMoment(profile, churn, pol)
	m := Moment{At: r.At, Metric: r.Metric, UsedPct: usedPct, Behaviour: behaviour, Why: why}
	offer, ok, decision := lifecycle.ChooseOffer(behaviour, pol)
	m.Decision = decision
	what := fmt.Sprintf("moment of truth: %s at %d%% of the bundle; %s (%s)", r.Metric, usedPct, behaviour, why)
	period := profile.Periods[len(profile.Periods)-1]
	key := lifecycle.SendKey(s.CustomerID, lifecycle.KindOffer, r.Metric+"/"+period.StartedAt.UTC().Format("20060102T150405Z"))
	switch {
	case !ok:
		s.markDone(key)
		code := lifecycle.ReasonNoOffer
		if behaviour == lifecycle.BehaviourHeavy { // ChooseOffer never offers heavy users anything
			code = lifecycle.ReasonHeavyUser
		}
		l.decide(Decision{At: now, Kind: lifecycle.KindOffer, Key: key, Outcome: OutcomeSkipped, Code: code, Reason: what + "; " + decision})
	case now.After(r.At.Add(pol.OfferValidFor)):
		m.Decision = fmt.Sprintf("%s, but the moment passed: the reading is from %s, offers are valid for %s",
			decision, r.At.Format(time.RFC3339), formatDuration(pol.OfferValidFor))
		s.markDone(key)
		l.decide(Decision{At: now, Kind: lifecycle.KindOffer, Key: key, Outcome: OutcomeSkipped, Code: lifecycle.ReasonMomentPassed, Reason: what + "; " + m.Decision})
	default:
		m.Offer = offer.Name
		l.schedule(now, lifecycle.FollowUp{
			Key:         key,
			Kind:        lifecycle.KindOffer,
			Due:         now,
			ExpiresAt:   r.At.Add(pol.OfferValidFor),
			BundleOffer: &offer,
			Metric:      r.Metric,
			UsedPct:     usedPct,
			Behaviour:   behaviour,
		}, what+"; "+decision)
	}
	s.Moments = appendBounded(s.Moments, m, maxMoments)
}

// onComplaint notes a complaint: a churn indicator at the next moment of truth.
func (l *lifecycleRun) onComplaint(ctx workflow.Context, sig ComplaintSignal) {
	s, now := l.state, workflow.Now(ctx)
	at := eventTime(ctx, sig.At)
	if at.After(s.LastComplaintAt) {
		s.LastComplaintAt = at
	}
	reason := "complaint"
	if sig.Reason != "" {
		reason += ": " + sig.Reason
	}
	l.decide(Decision{At: now, Outcome: OutcomeScheduled, Code: lifecycle.ReasonNone, Reason: reason + "; a churn indicator at the next moment of truth"})
}

// scheduleCare queues the usage phase of a purchase when its category has a care plan: tips a
// while after the purchase, then the check-in.
func (l *lifecycleRun) scheduleCare(now, at time.Time, purchaseID string, p lifecycle.Product) {
	plan, ok := l.policy.CarePlanFor(p.Category)
	if !ok {
		return
	}
	s := l.state
	for _, step := range []struct {
		kind  lifecycle.Kind
		after time.Duration
		what  string
	}{
		{lifecycle.KindCare, plan.TipsAfter, "care tips"},
		{lifecycle.KindCheckin, plan.CheckinAfter, "check-in"},
	} {
		if step.after <= 0 {
			continue
		}
		l.schedule(now, lifecycle.FollowUp{
			Key:         lifecycle.SendKey(s.CustomerID, step.kind, purchaseID),
			Kind:        step.kind,
			Due:         at.Add(step.after),
			PurchaseID:  purchaseID,
			ProductName: p.Name,
			Category:    lifecycle.Normalize(p.Category),
		}, fmt.Sprintf("%s for %s %s after purchase %s", step.what, p.Name, formatDuration(step.after), purchaseID))
	}
}

func (l *lifecycleRun) validateCheckin(a CheckinAnswer) error {
	if !slices.ContainsFunc(l.state.Emails, func(e SentEmail) bool { return e.Key == a.CheckinKey && e.Kind == lifecycle.KindCheckin }) {
		return fmt.Errorf("no check-in %q was sent to customer %s", a.CheckinKey, l.state.CustomerID)
	}
	return nil
}

// onCheckin records the answer to "is it what you hoped for?". An unhappy answer turns the next
// step into service contact: upsells waiting are dropped, and later ones are skipped until the
// customer says it is fine after all or buys again.
func (l *lifecycleRun) onCheckin(ctx workflow.Context, a CheckinAnswer) (CheckinResult, error) {
	s, now := l.state, workflow.Now(ctx)
	if slices.Contains(s.Answered, a.CheckinKey) {
		return CheckinResult{AlreadyAnswered: true, Message: "Thank you, we already have your answer."}, nil
	}
	s.Answered = appendBounded(s.Answered, a.CheckinKey, maxDoneKeys)
	purchaseID := strings.TrimPrefix(a.CheckinKey, lifecycle.SendKey(s.CustomerID, lifecycle.KindCheckin, ""))
	name := s.purchaseName(purchaseID)
	if a.Happy {
		if s.Unhappy == purchaseID {
			s.Unhappy = ""
		}
		l.decide(Decision{At: now, Kind: lifecycle.KindCheckin, Key: a.CheckinKey, Outcome: OutcomeAccepted, Code: lifecycle.ReasonNone,
			Reason: fmt.Sprintf("the customer is happy with %s", name)})
		return CheckinResult{Message: "Thank you! We are glad " + name + " is what you hoped for."}, nil
	}
	s.Unhappy = purchaseID
	reason := fmt.Sprintf("the customer said %s is not what they hoped for: service contact instead of an upsell", name)
	for _, f := range slices.Clone(s.Pending) {
		if f.Kind.Upsell() {
			l.drop(now, f, lifecycle.ReasonUnhappy, reason)
		}
	}
	l.decide(Decision{At: now, Kind: lifecycle.KindCheckin, Key: a.CheckinKey, Outcome: OutcomeAccepted, Code: lifecycle.ReasonUnhappy, Reason: reason})
	l.schedule(now, lifecycle.FollowUp{
		Key:         lifecycle.SendKey(s.CustomerID, lifecycle.KindService, purchaseID),
		Kind:        lifecycle.KindService,
		Due:         now,
		PurchaseID:  purchaseID,
		ProductName: name,
	}, "service contact about "+name)
	l.openHandoff(ctx, lifecycle.HandoffUnhappy, a.CheckinKey, name+" is not what they hoped for: contact them")
	l.wake.SendAsync(struct{}{})
	return CheckinResult{Message: "We are sorry " + name + " is not what you hoped for. Our service desk will contact you shortly."}, nil
}
