package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

func (h *harness) usageWithContract(offset time.Duration, used float64, contractEnds time.Duration) {
	h.signal(offset, workflows.SignalUsage, workflows.UsageSignal{Reading: lifecycle.UsageReading{
		Metric: "data_mb", Used: used, Limit: 1000, At: storyStart.Add(offset), ContractEndsAt: storyStart.Add(contractEnds)}})
}

// Issue #16, item 5: a leaver whose contract ends within contract_end_within (default 30 days) gets
// the retention offer (the offer configured for churn-risk), which the leaver strategy otherwise
// leaves out; once per contract end, whether the leaver or the contract end is known first.
func TestLeaverWithAnEndingContractGetsTheRetentionOffer(t *testing.T) {
	tests := []struct {
		name         string
		policy       lifecycle.Policy
		readingAt    time.Duration
		contractEnds time.Duration
		leaverAt     time.Duration
		wantSent     []string
		wantSkipped  string // a skipped offer decision's reason holds this
	}{
		{name: "contract ends in 20 days: the retention offer with the exit question",
			policy: telecomPolicy(), readingAt: day, contractEnds: 40 * day, leaverAt: 20 * day,
			wantSent: []string{"offer@day20", "exit@day27"}}, // the exit question waits for min_gap (7d); the offer is timely
		{name: "the contract end is learned after the customer became a leaver",
			policy: telecomPolicy(), readingAt: 25 * day, contractEnds: 50 * day, leaverAt: 10 * day,
			wantSent: []string{"exit@day10", "offer@day25"}},
		{name: "contract ends in 70 days: no offer, the leaver strategy as before",
			policy: telecomPolicy(), readingAt: day, contractEnds: 90 * day, leaverAt: 20 * day,
			wantSent: []string{"exit@day20"}},
		{name: "no offer configured for churn-risk: none, and why",
			policy: lifecycle.DefaultPolicy(), readingAt: day, contractEnds: 40 * day, leaverAt: 20 * day,
			wantSent: []string{"exit@day20"}, wantSkipped: "no offer configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, telecomStore(t), tt.policy)
			h.usageWithContract(tt.readingAt, 100, tt.contractEnds)
			h.segment(tt.leaverAt, lifecycle.SegmentLeaver, "no purchase for 400 days")
			h.segment(tt.leaverAt+2*day, lifecycle.SegmentLeaver, "no purchase for 402 days") // a nightly recompute again
			h.requireCanceled(h.runUntil(55*day, workflows.CustomerLifecycleInput{CustomerID: "anna"}))

			require.Equal(t, tt.wantSent, sentDays(h.status), "%s: decisions %+v", tt.name, h.status.Decisions)
			for _, e := range h.status.Emails {
				if e.Kind == lifecycle.KindOffer {
					end := storyStart.Add(tt.contractEnds).Format("2006-01-02")
					require.Equal(t, "Before your contract ends on "+end, e.Subject, tt.name)
					require.True(t, strings.HasSuffix(e.Key, "/offer/data_mb/retention/"+storyStart.Add(tt.contractEnds).Format("20060102")), e.Key)
				}
			}
			if tt.wantSkipped != "" {
				skipped := reasonsOf(h.status, workflows.OutcomeSkipped, lifecycle.KindOffer)
				require.Len(t, skipped, 1, "%s: decisions %+v", tt.name, h.status.Decisions)
				require.Contains(t, skipped[0], tt.wantSkipped)
			}
		})
	}
}
