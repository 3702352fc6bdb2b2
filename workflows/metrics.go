package workflows

// FollowUpsMetric counts the lifecycle's scheduling decisions in the worker's /metrics.
const FollowUpsMetric = "tailor_followups_total"

// decide records d in the state and counts the scheduling decisions: scheduled, deferred,
// dropped and ignored. Sent, skipped and failed are counted where they happen, by SendFollowUp
// (tailor_emails_total).
func (l *lifecycleRun) decide(d Decision) {
	l.state.decide(d)
	switch d.Outcome {
	case OutcomeScheduled, OutcomeDeferred, OutcomeDropped, OutcomeIgnored:
		if l.countDecision != nil {
			l.countDecision(d)
		}
	}
}
