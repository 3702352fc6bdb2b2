package workflows_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// misleading is a sentence that holds the words of many reasons: a decision's label must not
// depend on its wording.
const misleading = "held, tries again then: sending paused; duplicate; offer expired; min_gap 7d; max_per_window 3; " +
	"quiet hours; unsubscribed; consent withdrawn; the mail provider reported bounce; paused all mail; " +
	"chose not to receive; goal reached; not what they hoped for; heavy user; no offer configured; " +
	"the moment passed; segment leaver; replaced by; matches no open wish; already ended"

// TestReasonCodeComesFromTheCode: for every code, a decision that carries it is labelled with it,
// whatever its sentence says, so rewording a sentence changes no metric and no campaign outcome.
func TestReasonCodeComesFromTheCode(t *testing.T) {
	outcomes := []workflows.Outcome{workflows.OutcomeScheduled, workflows.OutcomeDeferred, workflows.OutcomeDropped,
		workflows.OutcomeSkipped, workflows.OutcomeIgnored, workflows.OutcomeFailed}
	for _, code := range lifecycle.ReasonCodes {
		for _, outcome := range outcomes {
			for _, sentence := range []string{"", misleading, "something reworded entirely", strings.ToUpper(string(code))} {
				d := workflows.Decision{Outcome: outcome, Code: code, Reason: sentence}
				require.Equal(t, code, d.ReasonCode(), "%s decision with code %s and sentence %q", outcome, code, sentence)
			}
		}
	}
}

// TestReasonCodesAreDistinct: every code is one label value, named once.
func TestReasonCodesAreDistinct(t *testing.T) {
	seen := map[lifecycle.ReasonCode]bool{}
	for _, code := range lifecycle.ReasonCodes {
		require.False(t, seen[code], "code %q listed twice", code)
		require.Regexp(t, `^[a-z_]+$`, string(code), "code %q is not a metric label", code)
		seen[code] = true
	}
}

// TestReasonCodeOfDecisionsRecordedBefore: a decision from state written before codes existed has
// none; its code is derived from its sentence, as the label was then.
func TestReasonCodeOfDecisionsRecordedBefore(t *testing.T) {
	tests := []struct {
		outcome workflows.Outcome
		reason  string
		want    lifecycle.ReasonCode
	}{
		{workflows.OutcomeScheduled, "season fallback 90d after purchase p1, unless a season campaign comes first", lifecycle.ReasonNone},
		{workflows.OutcomeDeferred, "sale on trousers, 20% off; min_gap 7d since the last email at 2026-01-19T10:00:00Z; quiet hours 21:00-08:00 in UTC", lifecycle.ReasonMinGap},
		{workflows.OutcomeDeferred, "sale on suits; max_per_window 3 per 30d", lifecycle.ReasonCap},
		{workflows.OutcomeDeferred, "restocked; quiet hours 21:00-08:00 in Europe/Amsterdam", lifecycle.ReasonQuietHours},
		{workflows.OutcomeDropped, "offer expired at 2026-02-01T00:00:00Z while waiting for the contact policy (min_gap 7d)", lifecycle.ReasonExpired},
		{workflows.OutcomeIgnored, "duplicate: already scheduled or handled", lifecycle.ReasonDuplicate},
		{workflows.OutcomeSkipped, "sale on trousers, 20% off; goal reached: the customer already said yes", lifecycle.ReasonGoalReached},
		{workflows.OutcomeSkipped, "moment of truth: data_mb at 82% of the bundle; heavy (...); heavy user without churn indicators: no offer", lifecycle.ReasonHeavyUser},
		{workflows.OutcomeSkipped, "moment of truth: data_mb at 80%; unknown (...); unknown: no offer configured for this behaviour", lifecycle.ReasonNoOffer},
		{workflows.OutcomeSkipped, "sale on trousers; segment leaver: only the exit question and one win-back, no sale email", lifecycle.ReasonSegment},
		{workflows.OutcomeDropped, "the customer said Classic trousers is not what they hoped for: service contact instead of an upsell", lifecycle.ReasonUnhappy},
		{workflows.OutcomeDropped, "marketing consent withdrawn (preference-page); all follow-ups stopped", lifecycle.ReasonConsentWithdrawn},
		{workflows.OutcomeDropped, "the mail provider reported bounce for the address; marketing stopped", lifecycle.ReasonSuppressed},
		{workflows.OutcomeIgnored, "restock of TR-GREEN-50 (classic-trousers, green, 50) matches no open wish", lifecycle.ReasonNoMatch},
		{workflows.OutcomeFailed, "something new", lifecycle.ReasonOther},
		{workflows.OutcomeSent, "Your sale has not expired yet", lifecycle.ReasonNone},
		{workflows.OutcomeDeferred, "held, tries again then: sending paused since 2026-03-01T10:00:00Z: the mail provider refused the API key (401: The provided authorization grant is invalid, expired, or revoked)", lifecycle.ReasonSendingPaused},
	}
	for _, tt := range tests {
		got := workflows.Decision{Outcome: tt.outcome, Reason: tt.reason}.ReasonCode()
		require.Equal(t, tt.want, got, "%s %q", tt.outcome, tt.reason)
		require.Contains(t, lifecycle.ReasonCodes, got, "code %q of %q is not one of the fixed set", got, tt.reason)
	}
}
