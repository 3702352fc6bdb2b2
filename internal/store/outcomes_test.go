package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// saleFixture is setup's bundle with one customer, and the key of that customer's email from sale s1.
func saleFixture(t *testing.T, customerID string) (bundle, string) {
	t.Helper()
	b := setup(t)
	b.importCustomers(t, "id,name,email,locale,timezone,colors,sizes\n"+customerID+",One,c1@example.com,en,UTC,,50\n")
	return b, lifecycle.SendKey(customerID, lifecycle.KindSale, "s1")
}

func TestRecordOutcomesKeepsTheLatestDecision(t *testing.T) {
	b, key := saleFixture(t, "c1")
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	record := func(outcome string, reason lifecycle.ReasonCode, when time.Time) {
		t.Helper()
		require.NoError(t, b.s.RecordOutcomes(b.ctx, []lifecycle.FollowUpOutcome{{Key: key, CustomerID: "c1", Kind: lifecycle.KindSale, Outcome: outcome, Reason: reason, At: when}}))
	}
	count := func() store.Outcomes {
		t.Helper()
		o, err := b.s.CampaignOutcomes(b.ctx, lifecycle.Audience{Kind: lifecycle.KindSale}, "s1", at)
		require.NoError(t, err)
		return o
	}

	record("deferred", "min_gap", at)
	require.Equal(t, store.Outcomes{Deferred: 1}, count())
	record("dropped", "expired", at.Add(time.Hour))
	require.Equal(t, store.Outcomes{Skipped: map[string]int{"expired": 1}}, count())
	record("deferred", "min_gap", at) // a retried older batch
	require.Equal(t, store.Outcomes{Skipped: map[string]int{"expired": 1}}, count(), "an older decision changes nothing")

	// Once the send log has the follow-up as sent, it counts as emailed only.
	_, err := b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: key, CustomerID: "c1", Kind: lifecycle.KindSale, Subject: "Sale"})
	require.NoError(t, err)
	require.NoError(t, b.s.MarkSent(b.ctx, key, "m1", at.Add(2*time.Hour)))
	require.Equal(t, store.Outcomes{Sent: 1}, count())
}

// TestCampaignOutcomesFindEscapedKeys: a customer id with "%" is escaped in its send keys
// (lifecycle.KeyEscape); the SQL that rebuilds the keys must escape it the same way, or the
// campaign's emails go uncounted.
func TestCampaignOutcomesFindEscapedKeys(t *testing.T) {
	b, key := saleFixture(t, "100%")
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	require.Equal(t, "customer/100%25/sale/s1", key)
	require.NoError(t, b.s.RecordOutcomes(b.ctx, []lifecycle.FollowUpOutcome{{Key: key, CustomerID: "100%", Kind: lifecycle.KindSale, Outcome: "deferred", Reason: "min_gap", At: at}}))
	o, err := b.s.CampaignOutcomes(b.ctx, lifecycle.Audience{Kind: lifecycle.KindSale}, "s1", at)
	require.NoError(t, err)
	require.Equal(t, store.Outcomes{Deferred: 1}, o, "outcomes of key %s", key)

	_, err = b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: key, CustomerID: "100%", Kind: lifecycle.KindSale, Subject: "Sale"})
	require.NoError(t, err)
	require.NoError(t, b.s.MarkSent(b.ctx, key, "m1", at.Add(time.Hour)))
	o, err = b.s.CampaignOutcomes(b.ctx, lifecycle.Audience{Kind: lifecycle.KindSale}, "s1", at)
	require.NoError(t, err)
	require.Equal(t, store.Outcomes{Sent: 1}, o, "outcomes of key %s", key)
}
