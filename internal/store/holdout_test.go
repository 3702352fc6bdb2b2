package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// TestHeldOutIsFinal: a held-out follow-up keeps the time of its first decision, from which the
// holdout's purchases count, whatever is recorded for its key later (a retried hold-out, a late
// deferral batch); the campaign summary counts it as held out.
func TestHeldOutIsFinal(t *testing.T) {
	b, key := saleFixture(t, "c1")
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	record := func(outcome string, reason lifecycle.ReasonCode, when time.Time) {
		t.Helper()
		require.NoError(t, b.s.RecordOutcomes(b.ctx, []lifecycle.FollowUpOutcome{{Key: key, CustomerID: "c1", Kind: lifecycle.KindSale, Outcome: outcome, Reason: reason, At: when}}))
	}
	record("deferred", "min_gap", at)
	record(lifecycle.OutcomeHeldOut, lifecycle.ReasonHeldOut, at.Add(time.Hour))
	record(lifecycle.OutcomeHeldOut, lifecycle.ReasonHeldOut, at.Add(2*time.Hour)) // the retry
	record("dropped", "recalled", at.Add(3*time.Hour))
	o, err := b.s.CampaignOutcomes(b.ctx, lifecycle.Audience{Kind: lifecycle.KindSale}, "s1", at)
	require.NoError(t, err)
	require.Equal(t, store.Outcomes{HeldOut: 1}, o)
	var decided time.Time
	require.NoError(t, b.db.QueryRow(b.ctx, `SELECT decided_at FROM followup_outcomes WHERE key = $1`, key).Scan(&decided))
	require.True(t, decided.Equal(at.Add(time.Hour)), "decided_at %s, want the first hold-out at %s", decided, at.Add(time.Hour))
}

// TestReportByBehaviourCountsHeldOutOffers: a held-out offer is reported under its behaviour, like
// the offers sent for it, so the lift per behaviour compares like with like.
func TestReportByBehaviourCountsHeldOutOffers(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, "id,name,email,locale,timezone,colors,sizes\nc1,One,c1@example.com,en,UTC,,50\nc2,Two,c2@example.com,en,UTC,,50\n")
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	sent := lifecycle.SendKey("c1", lifecycle.KindOffer, "data_mb/1")
	_, err := b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: sent, CustomerID: "c1", Kind: lifecycle.KindOffer, Subject: "s", Behaviour: lifecycle.BehaviourCostConscious})
	require.NoError(t, err)
	require.NoError(t, b.s.MarkSent(b.ctx, sent, "m1", at))
	require.NoError(t, b.s.RecordOutcomes(b.ctx, []lifecycle.FollowUpOutcome{{Key: lifecycle.SendKey("c2", lifecycle.KindOffer, "data_mb/1"), CustomerID: "c2",
		Kind: lifecycle.KindOffer, Outcome: lifecycle.OutcomeHeldOut, Reason: lifecycle.ReasonHeldOut, At: at, Behaviour: lifecycle.BehaviourCostConscious}}))
	rows, err := b.s.Report(b.ctx, store.ReportQuery{Since: at.Add(-time.Hour), Until: at.Add(time.Hour), By: store.ByBehaviour})
	require.NoError(t, err)
	require.Len(t, rows, 1, "one behaviour: %+v", rows)
	require.Equal(t, "cost-conscious", rows[0].Group)
	require.Equal(t, int64(1), rows[0].Sent)
	require.Equal(t, int64(1), rows[0].HeldOut)
}

// A held-out customer's purchase counts against the holdout at the price paid, as attribution
// credits the emailed; the product's current price only when the order said none.
func TestHoldoutRevenueIsThePricePaid(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, attributionCustomersCSV)
	b.importProducts(t, productsCSV)
	at := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	var outcomes []lifecycle.FollowUpOutcome
	for _, c := range []string{"a1", "a2"} {
		outcomes = append(outcomes, lifecycle.FollowUpOutcome{Key: lifecycle.SendKey(c, lifecycle.KindSale, "s1"), CustomerID: c,
			Kind: lifecycle.KindSale, Outcome: lifecycle.OutcomeHeldOut, Reason: lifecycle.ReasonHeldOut, At: at})
	}
	require.NoError(t, b.s.RecordOutcomes(b.ctx, outcomes))
	paid := int64(5995) // TR-BLU-32 lists at 79.95
	for _, p := range []lifecycle.Purchase{
		{ID: "o1:TR-BLU-32", CustomerID: "a1", SKU: "TR-BLU-32", At: at.Add(time.Hour), PriceCents: &paid},
		{ID: "o2:TR-BLU-32", CustomerID: "a2", SKU: "TR-BLU-32", At: at.Add(time.Hour)},
	} {
		_, _, err := b.s.RecordPurchase(b.ctx, p)
		require.NoError(t, err, "record %s", p.ID)
	}
	rows, err := b.s.Report(b.ctx, store.ReportQuery{Since: at.Add(-time.Hour), Until: at.Add(time.Hour), By: store.ByKind})
	require.NoError(t, err)
	require.Len(t, rows, 1, "one kind: %+v", rows)
	require.Equal(t, int64(2), rows[0].HeldOut)
	require.Equal(t, int64(2), rows[0].HoldoutConversions)
	require.Equal(t, int64(5995+7995), rows[0].HoldoutRevenueCents, "59.95 paid by a1, 79.95 listed for a2's order without a price")
}
