package workflows_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// At version 2 the workflow records what became of campaign follow-ups it did not email, for the
// campaign summary; a follow-up emailed in the end counts as emailed only.
func TestCampaignOutcomesAreRecorded(t *testing.T) {
	outcomesOf := func(st *store.DB, saleID string) store.Outcomes {
		o, err := st.CampaignOutcomes(context.Background(), lifecycle.Audience{Kind: lifecycle.KindSale}, saleID, storyStart)
		require.NoError(t, err)
		return o
	}
	var whileDeferred store.Outcomes
	story := func(version int) *store.DB {
		st := newStore(t)
		h := newHarness(t, st, lifecycle.DefaultPolicy())
		h.at(17*day, func() { whileDeferred = outcomesOf(st, "sale/trousers/16") })
		h.purchase(0, "p1", "TR-BLUE-50", "grey")
		h.restock(14*day, "TR-GREY-50")
		h.sale(16*day, "trousers", 10, 25*day) // deferred until day 21, then sent
		h.sale(22*day, "trousers", 30, 26*day) // deferred until day 28, dropped on day 26
		h.signal(23*day, workflows.SignalUnsubscribe, workflows.UnsubscribeSignal{})
		h.sale(24*day, "trousers", 40, 0) // skipped: unsubscribed
		h.requireCanceled(h.runUntil(40*day, workflows.CustomerLifecycleInput{CustomerID: "david", Version: version}))
		return st
	}

	st := story(workflows.CurrentVersion)
	require.Equal(t, store.Outcomes{Deferred: 1}, whileDeferred, "on day 17 the sale waits for min_gap")
	require.Equal(t, store.Outcomes{Sent: 1}, outcomesOf(st, "sale/trousers/16"), "deferred, then emailed: emailed")
	require.Equal(t, store.Outcomes{Skipped: map[string]int{"unsubscribed": 1}}, outcomesOf(st, "sale/trousers/22"),
		"deferred, then dropped when the customer unsubscribed")
	require.Equal(t, store.Outcomes{Skipped: map[string]int{"unsubscribed": 1}}, outcomesOf(st, "sale/trousers/24"))

	st = story(0)
	require.Equal(t, store.Outcomes{}, outcomesOf(st, "sale/trousers/22"), "a workflow started before version 2 records nothing")
}
