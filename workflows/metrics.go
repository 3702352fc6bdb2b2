package workflows

import (
	"strings"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// FollowUpsMetric counts the lifecycle's decisions in the worker's /metrics, by kind, outcome and
// reason.
const FollowUpsMetric = "tailor_followups_total"

// CampaignReachedMetric counts the customers campaigns reached, by campaign kind.
const CampaignReachedMetric = "tailor_campaign_reached_total"

// decide records d in the state, counts the workflow's own decisions (scheduled, deferred,
// dropped, skipped and ignored; sent and failed, and the skips SendFollowUp decides, are counted
// where they happen, in tailor_emails_total) and collects a campaign follow-up's outcome.
func (l *lifecycleRun) decide(d Decision) {
	l.state.decide(d)
	switch d.Outcome {
	case OutcomeScheduled, OutcomeDeferred, OutcomeDropped, OutcomeSkipped, OutcomeIgnored:
		if l.countDecision != nil {
			l.countDecision(d)
		}
	}
	l.collectOutcome(d)
}

// ReasonCode is why d was decided, from the fixed set of lifecycle.ReasonCodes: the reason label of
// tailor_followups_total and the reason of a campaign outcome. It is the code set where d was
// decided; a decision without one was recorded before codes existed and is classified from its
// sentence once, here.
func (d Decision) ReasonCode() lifecycle.ReasonCode {
	if d.Code != "" {
		return d.Code
	}
	return legacyReasonCode(d)
}

// legacyReasons are the phrases by which decisions recorded before Decision.Code were classified,
// in the order they are tried.
//
// The fallback exists only for state written before the change (workflow state carried through
// continue-as-new, and send results in recorded histories): it can go once no such state remains,
// i.e. every customer workflow has continued as new on code that records the code (see
// docs/VERSIONING.md for how to tell).
var legacyReasons = []struct {
	code   lifecycle.ReasonCode
	phrase string
}{
	{lifecycle.ReasonSendingPaused, "held, tries again then: "},
	{lifecycle.ReasonSendingPaused, "sending paused"}, // before "expired": the provider's message may say it
	{lifecycle.ReasonDuplicate, "duplicate"},
	{lifecycle.ReasonExpired, "expired"},
	{lifecycle.ReasonMinGap, "min_gap"},
	{lifecycle.ReasonCap, "max_per_window"},
	{lifecycle.ReasonQuietHours, "quiet hours"},
	{lifecycle.ReasonUnsubscribed, "unsubscribed"},
	{lifecycle.ReasonConsentWithdrawn, "consent withdrawn"},
	{lifecycle.ReasonSuppressed, "mail provider reported"},
	{lifecycle.ReasonPaused, "paused all mail"},
	{lifecycle.ReasonKindOptedOut, "chose not to receive"},
	{lifecycle.ReasonGoalReached, "goal reached"},
	{lifecycle.ReasonUnhappy, "not what they hoped for"},
	{lifecycle.ReasonHeavyUser, "heavy user"},
	{lifecycle.ReasonNoOffer, "no offer configured"},
	{lifecycle.ReasonMomentPassed, "the moment passed"},
	{lifecycle.ReasonSegment, "segment "},
	{lifecycle.ReasonReplaced, "replaced by"},
	{lifecycle.ReasonReplaced, "came before the fallback"},
	{lifecycle.ReasonNoMatch, "matches no open wish"},
	{lifecycle.ReasonEnded, "already ended"},
}

func legacyReasonCode(d Decision) lifecycle.ReasonCode {
	if d.Outcome == OutcomeSent {
		return lifecycle.ReasonNone // its sentence is the email's subject
	}
	for _, r := range legacyReasons {
		if strings.Contains(d.Reason, r.phrase) {
			return r.code
		}
	}
	if d.Outcome == OutcomeScheduled || d.Outcome == OutcomeAccepted {
		return lifecycle.ReasonNone
	}
	return lifecycle.ReasonOther
}
