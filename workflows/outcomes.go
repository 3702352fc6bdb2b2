package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Campaign summaries (version 2): what became of a campaign's follow-up that was not emailed is
// written to PostgreSQL, so `starter campaign status` can count deferrals and skips by reason.

// collectOutcome keeps d for flushOutcomes when it defers, skips or drops a campaign follow-up.
func (l *lifecycleRun) collectOutcome(d Decision) {
	switch d.Outcome {
	case OutcomeDeferred, OutcomeDropped, OutcomeSkipped:
		if l.recordOutcomes && d.Key != "" && d.Kind.Campaign() {
			l.outcomes = append(l.outcomes, lifecycle.FollowUpOutcome{
				Key: d.Key, CustomerID: l.state.CustomerID, Kind: d.Kind, Outcome: string(d.Outcome), Reason: d.ReasonCode(), At: d.At,
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
		l.state.decide(Decision{At: workflow.Now(ctx), Outcome: OutcomeFailed, Code: lifecycle.ReasonOther,
			Reason: fmt.Sprintf("record %d follow-up outcomes for campaign summaries: %v", len(batch), err)})
	}
}
