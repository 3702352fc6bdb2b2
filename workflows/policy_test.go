package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

func TestQuietHoursInTheCustomersTimezone(t *testing.T) {
	policy := lifecycle.DefaultPolicy()
	policy.QuietHours = lifecycle.QuietHours{Start: 21 * 60, End: 8 * 60}
	h := newHarness(t, newStore(t), policy)
	h.purchase(0, "p1", "TR-BLUE-50", "grey")
	// storyStart is 10:00 UTC, 05:00 in New York. 14d+18h later it is 23:00 there.
	h.restock(14*day+18*time.Hour, "TR-GREY-50")
	h.requireCanceled(h.runUntil(20*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.Len(t, h.status.Emails, 1)
	sent := h.status.Emails[0].SentAt
	ny, err := lifecycle.LoadLocation("America/New_York")
	require.NoError(t, err)
	require.Equal(t, "Tue 2026-01-20 08:00 EST", sent.In(ny).Format("Mon 2006-01-02 15:04 MST"), "the restock waits for the end of quiet hours in New York")
	var restockDeferral string
	for _, d := range decisions(h.status, workflows.OutcomeDeferred) {
		if d.Kind == lifecycle.KindRestock {
			restockDeferral = d.Reason
		}
	}
	require.Contains(t, restockDeferral, "quiet hours 21:00-08:00 in America/New_York")
}

func TestFrequencyCapAndPriority(t *testing.T) {
	policy := lifecycle.DefaultPolicy()
	policy.MinGap = day
	policy.MaxPerWindow, policy.CapWindow = 2, 30*day
	h := newHarness(t, newStore(t), policy)
	h.purchase(0, "p1", "TR-BLUE-50", "grey")
	h.sale(1*day, "trousers", 10, 0)
	h.sale(2*day, "trousers", 20, 0)
	// Day 3: the cap (2 in 30 days) holds both the sale and the restock until day 31, when the
	// day-1 email leaves the window; then the restock goes first, the sale min_gap later... but the
	// cap allows only one until the day-2 email leaves too, on day 32.
	h.sale(3*day, "trousers", 30, 0)
	h.restock(3*day, "TR-GREY-50")
	h.requireCanceled(h.runUntil(40*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.Equal(t, []string{"sale@day1", "sale@day2", "restock@day31", "sale@day32"}, sentDays(h.status))
	var capped bool
	for _, d := range decisions(h.status, workflows.OutcomeDeferred) {
		if d.Kind == lifecycle.KindRestock {
			require.Contains(t, d.Reason, "max_per_window 2 per 30d")
			capped = true
		}
	}
	require.True(t, capped, "the restock deferral names the cap: %+v", h.status.Decisions)
}

func TestConsentChangesMidWait(t *testing.T) {
	h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
	h.purchase(0, "p1", "TR-BLUE-50", "grey")
	h.restock(14*day, "TR-GREY-50")
	h.sale(16*day, "trousers", 20, 0) // waits for day 21
	h.signal(18*day, workflows.SignalConsent, workflows.ConsentSignal{Granted: false, Source: "support desk"})
	h.sale(19*day, "trousers", 25, 0) // while withdrawn: skipped
	h.signal(25*day, workflows.SignalConsent, workflows.ConsentSignal{Granted: true, Source: "preference-page"})
	h.sale(26*day, "trousers", 30, 0) // consent again: sent
	h.requireCanceled(h.runUntil(30*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.Equal(t, []string{"restock@day14", "sale@day26"}, sentDays(h.status))
	require.Equal(t, workflows.StageFollowedUp, h.status.Stage)
	var dropReason string
	for _, d := range decisions(h.status, workflows.OutcomeDropped) {
		if d.Key == "customer/david/sale/sale/trousers/16" {
			dropReason = d.Reason
		}
	}
	require.Contains(t, dropReason, "marketing consent withdrawn (support desk)", "the waiting sale is dropped")
	skipped := decisions(h.status, workflows.OutcomeSkipped)
	require.Len(t, skipped, 1)
	require.Contains(t, skipped[0].Reason, "unsubscribed")
}

func TestInterestedConfirmsAndReachesTheGoal(t *testing.T) {
	h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
	h.purchase(0, "p1", "TR-BLUE-50", "")
	h.sale(1*day, "trousers", 20, 0)
	saleKey := "customer/david/sale/sale/trousers/1"
	update := func(key string, want func(workflows.InterestedResult, error)) {
		h.env.UpdateWorkflow(workflows.UpdateInterested, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { want(workflows.InterestedResult{}, err) },
			OnComplete: func(v any, err error) {
				res, _ := v.(workflows.InterestedResult)
				want(res, err)
			},
		}, workflows.InterestedRequest{OfferKey: key})
	}
	var first, again workflows.InterestedResult
	var unknownErr error
	h.at(2*day, func() {
		update(saleKey, func(r workflows.InterestedResult, err error) { require.NoError(t, err); first = r })
	})
	h.at(3*day, func() {
		update(saleKey, func(r workflows.InterestedResult, err error) { require.NoError(t, err); again = r })
		update("customer/david/sale/nope", func(_ workflows.InterestedResult, err error) { unknownErr = err })
	})
	h.sale(20*day, "trousers", 40, 0) // same category: the goal is reached, no more sale offers
	h.requireCanceled(h.runUntil(25*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.True(t, first.Accepted)
	require.False(t, first.AlreadyAccepted)
	require.True(t, again.AlreadyAccepted)
	require.ErrorContains(t, unknownErr, "no offer")
	require.Equal(t, []string{"sale@day1", "confirmation@day2"}, sentDays(h.status), "the confirmation ignores min_gap")

	mails := h.mailer.sent()
	require.Equal(t, "Thank you: Sale: 20% off trousers in your size", mails[1].Subject)
	require.Empty(t, mails[1].Headers, "a transactional email has no List-Unsubscribe")
	skipped := decisions(h.status, workflows.OutcomeSkipped)
	require.Len(t, skipped, 1)
	require.Contains(t, skipped[0].Reason, "goal reached")
}

func TestPreferencesPauseAndKinds(t *testing.T) {
	st := newStore(t)
	h := newHarness(t, st, lifecycle.DefaultPolicy())
	h.purchase(0, "p1", "TR-BLUE-50", "grey")
	h.signal(1*day, workflows.SignalPreferences, workflows.PreferencesSignal{
		Preferences: lifecycle.Preferences{Colors: []string{"Grey"}, Sizes: []string{"50"}, Categories: []string{"trousers"}},
		Kinds:       []lifecycle.Kind{lifecycle.KindRestock},
	})
	h.sale(2*day, "trousers", 20, 0) // not a kind the customer wants
	h.restock(14*day, "TR-GREY-50")  // wanted
	h.signal(15*day, workflows.SignalPreferences, workflows.PreferencesSignal{Paused: true})
	h.sale(16*day, "trousers", 30, 0) // paused
	h.requireCanceled(h.runUntil(100*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.Equal(t, []string{"restock@day14"}, sentDays(h.status), "no sale (unwanted kind), no season (paused)")
	prefs, err := st.Preferences(context.Background(), "david")
	require.NoError(t, err)
	require.Empty(t, prefs.Colors, "the last edit cleared the lists and was saved to PostgreSQL")
	var reasons []string
	for _, d := range h.status.Decisions {
		reasons = append(reasons, d.Reason)
	}
	require.Contains(t, reasons, "sale on trousers, 20% off; the customer chose not to receive sale emails")
	require.Contains(t, reasons, "the customer chose not to receive season emails", "the season fallback is dropped")
	require.Contains(t, reasons, "sale on trousers, 30% off; the customer paused all mail")
}

func TestSuppressionStopsMarketing(t *testing.T) {
	h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
	h.purchase(0, "p1", "TR-BLUE-50", "")
	h.signal(5*day, workflows.SignalSuppress, workflows.SuppressSignal{Event: "bounce"})
	h.sale(6*day, "trousers", 20, 0)
	h.requireCanceled(h.runUntil(100*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))
	require.Empty(t, h.mailer.sent())
	require.Equal(t, workflows.StageSuppressed, h.status.Stage)
}

func TestAnOfferIsDroppedWhenItExpiresNotWhenItCouldHaveGone(t *testing.T) {
	policy := lifecycle.DefaultPolicy()
	policy.MaxPerWindow, policy.CapWindow = 1, 60*day
	h := newHarness(t, newStore(t), policy)
	h.purchase(0, "p1", "TR-BLUE-50", "grey")
	h.restock(14*day, "TR-GREY-50")
	h.sale(44*day, "trousers", 20, 60*day) // the cap holds it until day 74; it ends on day 60
	h.requireCanceled(h.runUntil(80*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.Equal(t, []string{"restock@day14"}, sentDays(h.status))
	dropped := decisions(h.status, workflows.OutcomeDropped)
	require.Len(t, dropped, 1, "decisions: %+v", h.status.Decisions)
	require.Equal(t, 60, int(dropped[0].At.Sub(storyStart)/day), "dropped on the day it ended")
	require.Contains(t, dropped[0].Reason, "max_per_window 1 per 60d")
}
