package store_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// The report by segment counts an email under the segment its customer was in when it was sent,
// and a held-out follow-up under the segment at the decision, whatever the segment is today
// (migration 0026 keeps it on the row).
func TestReportBySegmentIsTheSegmentAtTheSend(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, attributionCustomersCSV)
	at := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	saveSegment := func(id string, seg lifecycle.Segment, when time.Time) {
		t.Helper()
		_, err := b.s.SaveSegment(b.ctx, id, seg, nil, when)
		require.NoError(t, err, "save segment %s of %s", seg, id)
	}
	saveSegment("a1", lifecycle.SegmentLoyal, at.Add(-time.Hour))
	saveSegment("a2", lifecycle.SegmentShopper, at.Add(-time.Hour))

	sent := lifecycle.SendKey("a1", lifecycle.KindSale, "s1")
	_, err := b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: sent, CustomerID: "a1", Kind: lifecycle.KindSale, Subject: "Sale"})
	require.NoError(t, err)
	require.NoError(t, b.s.MarkSent(b.ctx, sent, "m1", at))
	require.NoError(t, b.s.RecordOutcomes(b.ctx, []lifecycle.FollowUpOutcome{{Key: lifecycle.SendKey("a2", lifecycle.KindSale, "s1"),
		CustomerID: "a2", Kind: lifecycle.KindSale, Outcome: lifecycle.OutcomeHeldOut, Reason: lifecycle.ReasonHeldOut, At: at}}))
	// a3 was emailed before any segment was computed.
	unsegmented := lifecycle.SendKey("a3", lifecycle.KindSale, "s1")
	_, err = b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: unsegmented, CustomerID: "a3", Kind: lifecycle.KindSale, Subject: "Sale"})
	require.NoError(t, err)
	require.NoError(t, b.s.MarkSent(b.ctx, unsegmented, "m3", at))

	for _, id := range []string{"a1", "a2", "a3"} {
		saveSegment(id, lifecycle.SegmentLeaver, at.Add(time.Hour))
	}
	rows, err := b.s.Report(b.ctx, store.ReportQuery{Since: at.Add(-time.Hour), Until: at.Add(time.Hour), By: store.BySegment})
	require.NoError(t, err)
	require.Equal(t, []store.ReportCounts{
		{Group: "loyal", Sent: 1},
		{Group: "none", Sent: 1},
		{Group: "shopper", HeldOut: 1},
	}, rows, "a1 emailed as loyal, a3 before a segment, a2 held out as shopper; all three are leavers now")
}

// A held-out follow-up counts its customer's purchases within the window after the decision
// whichever is recorded first, the purchase or the hold-out, at the price paid when recorded: a
// later change of the product's price does not rewrite it.
func TestHoldoutCountsPurchasesRecordedBeforeAndAfterTheHoldOut(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, attributionCustomersCSV)
	b.importProducts(t, productsCSV)
	at := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	holdOut := func(id string) {
		t.Helper()
		require.NoError(t, b.s.RecordOutcomes(b.ctx, []lifecycle.FollowUpOutcome{{Key: lifecycle.SendKey(id, lifecycle.KindSale, "s1"),
			CustomerID: id, Kind: lifecycle.KindSale, Outcome: lifecycle.OutcomeHeldOut, Reason: lifecycle.ReasonHeldOut, At: at}}))
	}
	buy := func(id, order string, when time.Time) {
		t.Helper()
		_, _, err := b.s.RecordPurchase(b.ctx, lifecycle.Purchase{ID: order + ":TR-BLU-32", CustomerID: id, SKU: "TR-BLU-32", At: when})
		require.NoError(t, err, "record %s's purchase %s", id, order)
	}
	buy("a1", "o1", at.Add(time.Hour)) // imported before the hold-out was recorded
	holdOut("a1")
	holdOut("a2")
	buy("a2", "o2", at.Add(2*time.Hour))
	holdOut("a3")
	buy("a3", "o3", at.Add(-time.Hour))                                   // before the decision
	buy("a3", "o4", at.Add(lifecycle.DefaultAttributionWindow+time.Hour)) // after the window

	_, err := b.db.Exec(b.ctx, `UPDATE products SET price_cents = 100 WHERE sku = 'TR-BLU-32'`)
	require.NoError(t, err)
	buy("a4", "o5", at.Add(time.Hour)) // not held out

	rows, err := b.s.Report(b.ctx, store.ReportQuery{Since: at.Add(-time.Hour), Until: at.Add(time.Hour), By: store.ByKind})
	require.NoError(t, err)
	require.Equal(t, []store.ReportCounts{{Group: "sale", HeldOut: 3, HoldoutConversions: 2, HoldoutRevenueCents: 2 * 7995}}, rows,
		"a1 and a2 bought within the window at 79.95, the list price when recorded; a3 before the decision and after the window")
}

// Migration 0026 fills the report's columns of the rows already there as the writers fill them
// for new rows: undone and run again over rows the store wrote, it gives the same values.
func TestMigration0026FillsTheRowsAsTheWritersDo(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, attributionCustomersCSV)
	b.importProducts(t, productsCSV)
	at := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	_, err := b.s.SaveSegment(b.ctx, "a1", lifecycle.SegmentLoyal, nil, at.Add(-time.Hour))
	require.NoError(t, err)
	send := func(id string, kind lifecycle.Kind, subject string, when time.Time) string {
		t.Helper()
		key := lifecycle.SendKey(id, kind, subject)
		_, err := b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: key, CustomerID: id, Kind: kind, Subject: subject, CreatedAt: when})
		require.NoError(t, err, "claim %s", key)
		require.NoError(t, b.s.MarkSent(b.ctx, key, "m-"+key, when))
		return key
	}
	buy := func(id, order string, when time.Time) {
		t.Helper()
		_, _, err := b.s.RecordPurchase(b.ctx, lifecycle.Purchase{ID: order + ":TR-BLU-32", CustomerID: id, SKU: "TR-BLU-32", At: when})
		require.NoError(t, err, "record %s's purchase %s", id, order)
	}
	holdOut := func(id string) {
		t.Helper()
		require.NoError(t, b.s.RecordOutcomes(b.ctx, []lifecycle.FollowUpOutcome{{Key: lifecycle.SendKey(id, lifecycle.KindSale, "s1"),
			CustomerID: id, Kind: lifecycle.KindSale, Outcome: lifecycle.OutcomeHeldOut, Reason: lifecycle.ReasonHeldOut, At: at}}))
	}
	send("a1", lifecycle.KindSale, "s1", at)
	buy("a1", "o1", at.Add(time.Hour))
	buy("a1", "o2", at.Add(2*time.Hour))
	offer := send("a2", lifecycle.KindOffer, "fit", at)
	send("a2", lifecycle.KindConfirmation, offer, at.Add(time.Hour))
	holdOut("a3")
	buy("a3", "o3", at.Add(time.Hour))
	buy("a4", "o4", at.Add(time.Hour))
	holdOut("a4")

	snapshot := func() []string {
		t.Helper()
		rows, err := b.db.Query(b.ctx, `
			SELECT format('send_log %s: %s purchases, %s cents, accepted %s, segment %L', key, credited_purchases, credited_revenue_cents, accepted_at, segment)
			FROM send_log
			UNION ALL
			SELECT format('followup_outcomes %s: %s purchases, %s cents, segment %L', key, held_purchases, held_revenue_cents, segment)
			FROM followup_outcomes
			ORDER BY 1`)
		require.NoError(t, err)
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return out
	}
	written := snapshot()
	t.Logf("as written:\n%s", strings.Join(written, "\n"))
	require.Contains(t, strings.Join(written, "\n"), "2 purchases, 15990 cents", "a1's sale credited twice")

	undo := `
		DROP TRIGGER attributions_credit_send_log ON attributions;
		DROP TRIGGER send_log_confirmation_accepts_offer ON send_log;
		DROP FUNCTION send_log_credit(), send_log_accept_offer();
		DROP INDEX followup_outcomes_held_out_customer_idx;
		ALTER TABLE send_log DROP COLUMN credited_purchases, DROP COLUMN credited_revenue_cents, DROP COLUMN accepted_at, DROP COLUMN segment;
		ALTER TABLE followup_outcomes DROP COLUMN held_purchases, DROP COLUMN held_revenue_cents, DROP COLUMN segment;`
	_, err = b.db.Exec(b.ctx, undo)
	require.NoError(t, err, "undo 0026")
	migration, err := os.ReadFile("migrations/0026_report_on_the_rows.sql")
	require.NoError(t, err)
	_, err = b.db.Exec(b.ctx, string(migration))
	require.NoError(t, err, "run 0026 again")
	require.Equal(t, written, snapshot(), "the migration's backfill against the writers")
}
