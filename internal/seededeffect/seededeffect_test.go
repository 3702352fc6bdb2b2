package seededeffect_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/report"
	"github.com/tailorhq/tailor/internal/seededeffect"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// TestReportRecoversTheSeededEffect: 600 customers of a sale with a 50% holdout, chosen by the
// production hash; each buys with the chance of their group, drawn with the demo's seed. The
// emails and hold-outs are recorded as SendFollowUp records them and the purchases through
// RecordPurchase (attribution), then the report's own query and interval run over them. The
// interval must hold the true lift (12% against 6%: 6 points); with no effect (6% against 6%) it
// must hold 0. Either fails when the groups, the attribution, the report's counts or its interval
// are wrong.
func TestReportRecoversTheSeededEffect(t *testing.T) {
	for _, e := range []seededeffect.Effect{
		{EmailedPct: 12, HeldOutPct: 6, Seed: seededeffect.DemoSeed},
		{EmailedPct: 6, HeldOutPct: 6, Seed: seededeffect.DemoSeed},
	} {
		row := seedAndReport(t, e, 600)
		in, ok := row.Interval()
		require.True(t, ok, "effect %+v: the report has no lift interval: %+v", e, row)
		t.Logf("effect %+v: emailed %d/%d, held out %d/%d, lift %.1f points [%.1f, %.1f]", e, row.Conversions, row.Sent,
			row.HoldoutConversions, row.HeldOut, in.Estimate*100, in.Low*100, in.High*100)
		require.InDelta(t, 300, row.Sent, 40, "effect %+v: about half emailed", e)
		require.Equal(t, int64(600), row.Sent+row.HeldOut, "effect %+v: every customer decided once", e)
		require.True(t, in.Low <= e.Lift() && e.Lift() <= in.High,
			"effect %+v: the interval [%.4f, %.4f] misses the true lift %.4f", e, in.Low, in.High, e.Lift())
		// Informative, not merely wide: 600 customers pin the lift to within about 5 points.
		require.Less(t, in.High-in.Low, 0.12, "effect %+v: the interval [%.4f, %.4f] is too wide to recover anything", e, in.Low, in.High)
	}
}

func seedAndReport(t *testing.T, e seededeffect.Effect, n int) report.Row {
	t.Helper()
	st, _ := storetest.New(t)
	ctx := context.Background()
	ids := seededeffect.CustomerIDs("shopper", n)
	var customers bytes.Buffer
	require.NoError(t, seededeffect.WriteCustomers(&customers, ids, "linen", "M"))
	_, err := st.ImportCustomers(ctx, &customers)
	require.NoError(t, err)
	_, err = st.ImportProducts(ctx, strings.NewReader("sku,product,name,category,color,size,price,stock,collections\nLN-WHITE-M,linen-shirt,Linen shirt,linen,white,M,59.00,5,\n"))
	require.NoError(t, err)

	const saleID = "sale/linen/open-20"
	holdout := lifecycle.Holdout{Pct: 50, Key: "campaign/sale/linen/open-20"}
	decided := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	heldOut := map[string]bool{}
	for _, id := range ids {
		key := lifecycle.SendKey(id, lifecycle.KindSale, saleID)
		heldOut[id] = holdout.Holds(id)
		if heldOut[id] {
			require.NoError(t, st.RecordOutcomes(ctx, []lifecycle.FollowUpOutcome{{Key: key, CustomerID: id, Kind: lifecycle.KindSale,
				Outcome: lifecycle.OutcomeHeldOut, Reason: lifecycle.ReasonHeldOut, At: decided}}))
			continue
		}
		_, err := st.ClaimSend(ctx, lifecycle.SendRecord{Key: key, CustomerID: id, Kind: lifecycle.KindSale, Subject: "Sale"})
		require.NoError(t, err)
		require.NoError(t, st.MarkSent(ctx, key, "m-"+id, decided))
	}
	for _, id := range seededeffect.Buyers(heldOut, e) {
		_, _, err := st.RecordPurchase(ctx, lifecycle.Purchase{ID: "order-" + id, CustomerID: id, SKU: "LN-WHITE-M", At: decided.Add(26 * time.Hour)})
		require.NoError(t, err)
	}
	counts, err := st.Report(ctx, store.ReportQuery{Since: decided.Add(-time.Hour), Until: decided.Add(time.Hour), By: store.ByCampaign})
	require.NoError(t, err)
	require.Len(t, counts, 1, "one campaign: %+v", counts)
	return report.NewRow(counts[0])
}
