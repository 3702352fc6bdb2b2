package workflows

import "strings"

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

// DecisionReasons are the values of the reason label of tailor_followups_total, in the order
// ReasonLabel tries them. The decision's full reason stays in the workflow's state.
var DecisionReasons = []struct{ Label, Phrase string }{
	{"sending_paused", "sending paused"}, // first: the provider's message may say "expired"
	{"duplicate", "duplicate"},
	{"expired", "expired"},
	{"min_gap", "min_gap"},
	{"cap", "max_per_window"},
	{"quiet_hours", "quiet hours"},
	{"unsubscribed", "unsubscribed"},
	{"consent_withdrawn", "consent withdrawn"},
	{"suppressed", "mail provider reported"},
	{"paused", "paused all mail"},
	{"kind_opted_out", "chose not to receive"},
	{"goal_reached", "goal reached"},
	{"unhappy", "not what they hoped for"},
	{"heavy_user", "heavy user"},
	{"no_offer", "no offer configured"},
	{"moment_passed", "the moment passed"},
	{"segment", "segment "},
	{"replaced", "replaced by"},
	{"replaced", "came before the fallback"},
	{"no_match", "matches no open wish"},
	{"ended", "already ended"},
}

// ReasonLabel classifies d for the reason label: "none" for a plain schedule, the first
// DecisionReasons phrase its reason holds, else "other". Every label is one of a fixed few.
func ReasonLabel(d Decision) string {
	for _, r := range DecisionReasons {
		if strings.Contains(d.Reason, r.Phrase) {
			return r.Label
		}
	}
	if d.Outcome == OutcomeScheduled {
		return "none"
	}
	return "other"
}
