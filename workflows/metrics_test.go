package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/workflows"
)

func TestReasonLabel(t *testing.T) {
	tests := []struct {
		outcome workflows.Outcome
		reason  string
		want    string
	}{
		{workflows.OutcomeScheduled, "season fallback 90d after purchase p1, unless a season campaign comes first", "none"},
		{workflows.OutcomeDeferred, "sale on trousers, 20% off; min_gap 7d since the last email at 2026-01-19T10:00:00Z; quiet hours 21:00-08:00 in UTC", "min_gap"},
		{workflows.OutcomeDeferred, "sale on suits; max_per_window 3 per 30d", "cap"},
		{workflows.OutcomeDeferred, "restocked; quiet hours 21:00-08:00 in Europe/Amsterdam", "quiet_hours"},
		{workflows.OutcomeDropped, "offer expired at 2026-02-01T00:00:00Z while waiting for the contact policy (min_gap 7d)", "expired"},
		{workflows.OutcomeIgnored, "duplicate: already scheduled or handled", "duplicate"},
		{workflows.OutcomeSkipped, "sale on trousers, 20% off; goal reached: the customer already said yes", "goal_reached"},
		{workflows.OutcomeSkipped, "moment of truth: data_mb at 82% of the bundle; heavy (...); heavy user without churn indicators: no offer", "heavy_user"},
		{workflows.OutcomeSkipped, "moment of truth: data_mb at 80%; unknown (...); unknown: no offer configured for this behaviour", "no_offer"},
		{workflows.OutcomeSkipped, "sale on trousers; segment leaver: only the exit question and one win-back, no sale email", "segment"},
		{workflows.OutcomeDropped, "the customer said Classic trousers is not what they hoped for: service contact instead of an upsell", "unhappy"},
		{workflows.OutcomeDropped, "marketing consent withdrawn (preference-page); all follow-ups stopped", "consent_withdrawn"},
		{workflows.OutcomeDropped, "the mail provider reported bounce for the address; marketing stopped", "suppressed"},
		{workflows.OutcomeIgnored, "restock of TR-GREEN-50 (classic-trousers, green, 50) matches no open wish", "no_match"},
		{workflows.OutcomeFailed, "something new", "other"},
		{workflows.OutcomeDeferred, "held, tries again then: sending paused since 2026-03-01T10:00:00Z: the mail provider refused the API key (401: The provided authorization grant is invalid, expired, or revoked)", "sending_paused"},
	}
	labels := map[string]bool{"none": true, "other": true}
	for _, r := range workflows.DecisionReasons {
		labels[r.Label] = true
	}
	for _, tt := range tests {
		got := workflows.ReasonLabel(workflows.Decision{Outcome: tt.outcome, Reason: tt.reason})
		require.Equal(t, tt.want, got, "%s %q", tt.outcome, tt.reason)
		require.True(t, labels[got], "label %q of %q is not one of the fixed labels", got, tt.reason)
	}
}
