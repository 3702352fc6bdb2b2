package workflows_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// TestHeldOutFollowUpIsDecidedLikeAnEmail: David's restock comes with a 100% holdout. It goes
// through the whole decision and is held out: no email, the outcome held_out in PostgreSQL, his
// wish closed, and the decision in his status. It counts as a contact, so the sale two days later
// waits for min_gap exactly as it does for a customer who got the restock email: the control is
// treated like the emailed in everything but the email.
func TestHeldOutFollowUpIsDecidedLikeAnEmail(t *testing.T) {
	story := func(holdout *lifecycle.Holdout) (*harness, *store.DB) {
		st := newStore(t)
		h := newHarness(t, st, lifecycle.DefaultPolicy())
		h.purchase(0, "p1", "TR-BLUE-50", "grey")
		h.at(14*day, func() {
			p, err := st.Restock(context.Background(), "TR-GREY-50", 3)
			require.NoError(t, err)
			h.env.SignalWorkflow(workflows.SignalRestock, workflows.RestockSignal{Product: p, Holdout: holdout})
		})
		h.sale(16*day, "trousers", 10, 0)
		h.requireCanceled(h.runUntil(30*day, workflows.CustomerLifecycleInput{CustomerID: "david", Version: workflows.CurrentVersion}))
		return h, st
	}

	emailed, _ := story(nil)
	require.Equal(t, []string{"restock@day14", "sale@day21"}, sentDays(emailed.status), "without a holdout")

	held, st := story(&lifecycle.Holdout{Pct: 100, Key: "campaign/restock/TR-GREY-50/x"})
	require.Equal(t, []string{"sale@day21"}, sentDays(held.status), "held out of the restock, the sale still waits for min_gap after it")
	require.Len(t, held.mailer.sent(), 1, "only the sale went to the mail provider")
	key := lifecycle.SendKey("david", lifecycle.KindRestock, "p1")
	require.Len(t, held.status.HeldOut, 1, "status lists the follow-up held out: %+v", held.status.HeldOut)
	require.Equal(t, key, held.status.HeldOut[0].Key)
	require.Contains(t, held.status.HeldOut[0].Subject, "grey", "the subject the email would have had")
	i := slices.IndexFunc(held.status.Decisions, func(d workflows.Decision) bool { return d.Key == key && d.Outcome == workflows.OutcomeHeldOut })
	require.GreaterOrEqual(t, i, 0, "a held_out decision for %s in %+v", key, held.status.Decisions)
	require.Equal(t, lifecycle.ReasonHeldOut, held.status.Decisions[i].Code)
	require.Contains(t, held.status.Decisions[i].Reason, "100% control group of campaign/restock/TR-GREY-50/x")
	require.Empty(t, held.status.Wishes, "the wish is fulfilled as the email would have fulfilled it")

	o, err := st.CampaignOutcomes(context.Background(), lifecycle.Audience{Kind: lifecycle.KindRestock, Product: "classic-trousers", Color: "grey", Size: "50",
		WishedAfter: storyStart.Add(-day)}, "", storyStart)
	require.NoError(t, err)
	require.Equal(t, store.Outcomes{HeldOut: 1}, o, "the restock campaign's summary counts one held out")
}
