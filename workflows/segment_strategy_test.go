package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

func (h *harness) segment(offset time.Duration, seg lifecycle.Segment, reason string) {
	h.signal(offset, workflows.SignalSegment, workflows.SegmentSignal{Segment: seg, Reasons: []string{reason}, At: storyStart.Add(offset)})
}

// reasonsOf returns the reasons of the decisions with outcome about kind.
func reasonsOf(st workflows.Status, outcome workflows.Outcome, kind lifecycle.Kind) []string {
	var out []string
	for _, d := range decisions(st, outcome) {
		if d.Kind == kind {
			out = append(out, d.Reason)
		}
	}
	return out
}

// Seed 004: the follow-ups adapt to the customer's value segment.
func TestSegmentStrategies(t *testing.T) {
	t.Run("ambassador: an invitation to early access, and the sale as early access", func(t *testing.T) {
		h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
		h.purchase(0, "p1", "TR-BLUE-50", "")
		h.segment(10*day, lifecycle.SegmentAmbassador, "referred 2 customers")
		h.sale(20*day, "trousers", 20, 0)
		h.requireCanceled(h.runUntil(30*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

		require.Equal(t, []string{"invitation@day10", "sale@day20"}, sentDays(h.status), "decisions: %+v", h.status.Decisions)
		require.Equal(t, lifecycle.SegmentAmbassador, h.status.Segment)
		require.Equal(t, []string{"referred 2 customers"}, h.status.SegmentReasons)
		mails := h.mailer.sent()
		require.NotContains(t, mails[0].Text, "%", "an invitation needs no discount")
		require.Contains(t, strings.ToLower(mails[1].Subject+mails[1].Text), "early access")
	})

	t.Run("loyal: a short feedback ask", func(t *testing.T) {
		h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
		h.purchase(0, "p1", "TR-BLUE-50", "")
		h.segment(10*day, lifecycle.SegmentLoyal, "2 purchases in 365 days")
		h.segment(11*day, lifecycle.SegmentLoyal, "3 purchases in 365 days") // the same segment again: nothing new
		h.requireCanceled(h.runUntil(30*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

		require.Equal(t, []string{"feedback@day10"}, sentDays(h.status), "decisions: %+v", h.status.Decisions)
		require.Equal(t, []string{"3 purchases in 365 days"}, h.status.SegmentReasons, "the reasons are refreshed")
	})

	t.Run("shopper: discount-led sale mail only", func(t *testing.T) {
		h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
		h.purchase(0, "p1", "TR-BLUE-50", "")
		h.segment(10*day, lifecycle.SegmentShopper, "4 of 5 responses were to sale emails")
		h.sale(20*day, "trousers", 20, 0)
		h.signal(30*day, workflows.SignalSeason, workflows.SeasonSignal{Collection: "autumn"})
		h.requireCanceled(h.runUntil(100*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

		require.Equal(t, []string{"sale@day20"}, sentDays(h.status), "decisions: %+v", h.status.Decisions)
		held := append(reasonsOf(h.status, workflows.OutcomeDropped, lifecycle.KindSeason), reasonsOf(h.status, workflows.OutcomeSkipped, lifecycle.KindSeason)...)
		require.Len(t, held, 2, "the season fallback waiting and the season campaign: %+v", h.status.Decisions)
		for _, r := range held {
			require.Contains(t, r, "segment shopper: discount-led sale mail only")
		}
		require.True(t, strings.HasPrefix(h.mailer.sent()[0].Subject, "20%"), "discount first: %q", h.mailer.sent()[0].Subject)
	})

	t.Run("leaver: the exit question, quiet, then one win-back", func(t *testing.T) {
		h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
		h.purchase(0, "p1", "TR-BLUE-50", "")
		h.segment(10*day, lifecycle.SegmentLeaver, "said they are leaving: moving abroad")
		h.sale(20*day, "trousers", 20, 0)
		h.requireCanceled(h.runUntil(100*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

		require.Equal(t, []string{"exit@day10", "winback@day70"}, sentDays(h.status), "decisions: %+v", h.status.Decisions)
		require.Len(t, reasonsOf(h.status, workflows.OutcomeDropped, lifecycle.KindSeason), 1, "the season fallback goes")
		sale := reasonsOf(h.status, workflows.OutcomeSkipped, lifecycle.KindSale)
		require.Len(t, sale, 1)
		require.Contains(t, sale[0], "segment leaver: only the exit question and one win-back")
	})

	t.Run("a leaver who comes back: the win-back is no longer needed", func(t *testing.T) {
		h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
		h.purchase(0, "p1", "TR-BLUE-50", "")
		h.segment(10*day, lifecycle.SegmentLeaver, "no purchase for 400 days")
		h.purchase(30*day, "p2", "CH-GREY-50", "")
		h.segment(31*day, lifecycle.SegmentLoyal, "2 purchases in 365 days")
		h.requireCanceled(h.runUntil(100*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

		require.Equal(t, []string{"exit@day10", "feedback@day31"}, sentDays(h.status), "decisions: %+v", h.status.Decisions)
		dropped := reasonsOf(h.status, workflows.OutcomeDropped, lifecycle.KindWinback)
		require.Len(t, dropped, 1, "decisions: %+v", h.status.Decisions)
		require.Contains(t, dropped[0], "for leavers")
	})
}
