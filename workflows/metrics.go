package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// FollowUpsMetric counts the lifecycle's decisions in the worker's /metrics, by kind, outcome and
// reason.
const FollowUpsMetric = "tailor_followups_total"

// CampaignReachedMetric counts the customers campaigns reached, by campaign kind.
const CampaignReachedMetric = "tailor_campaign_reached_total"

// decide records d in the state and counts the workflow's own decisions: scheduled, deferred,
// dropped, skipped and ignored. Sent and failed, and the skips SendFollowUp decides, are counted
// where they happen (tailor_emails_total).
func (l *lifecycleRun) decide(d Decision) {
	l.state.decide(d)
	switch d.Outcome {
	case OutcomeScheduled, OutcomeDeferred, OutcomeDropped, OutcomeSkipped, OutcomeIgnored:
		if l.countDecision != nil {
			l.countDecision(d)
		}
	}
	switch d.Outcome {
	case OutcomeDeferred, OutcomeDropped, OutcomeSkipped:
		if l.recordOutcomes && d.Key != "" && d.Kind.Campaign() {
			l.outcomes = append(l.outcomes, lifecycle.FollowUpOutcome{
				Key: d.Key, CustomerID: l.state.CustomerID, Kind: d.Kind, Outcome: string(d.Outcome), Reason: ReasonLabel(d), At: d.At,
			})
		}
	}
}

// flushOutcomes writes the collected outcomes in one local activity. They are a report for
// campaign summaries: when PostgreSQL does not take them within a minute they are given up, and
// the decisions in the workflow's state still tell.
func (l *lifecycleRun) flushOutcomes(ctx workflow.Context) {
	if len(l.outcomes) == 0 {
		return
	}
	batch := l.outcomes
	l.outcomes = nil
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: time.Minute,
	})
	if err := workflow.ExecuteLocalActivity(lctx, a.RecordOutcomes, activities.RecordOutcomesInput{Outcomes: batch}).Get(ctx, nil); err != nil {
		l.state.decide(Decision{At: workflow.Now(ctx), Outcome: OutcomeFailed,
			Reason: fmt.Sprintf("record %d follow-up outcomes for campaign summaries: %v", len(batch), err)})
	}
}

// DecisionReasons are the values of the reason label of tailor_followups_total, in the order
// ReasonLabel tries them. The decision's full reason stays in the workflow's state.
var DecisionReasons = []struct{ Label, Phrase string }{
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
