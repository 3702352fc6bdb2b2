package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

type reportJSON struct {
	Rows []struct {
		Group              string  `json:"group"`
		Sent               int64   `json:"sent"`
		HeldOut            int64   `json:"held_out"`
		Delivered          int64   `json:"delivered"`
		Clicked            int64   `json:"clicked"`
		Offers             int64   `json:"offers"`
		OffersAccepted     int64   `json:"offers_accepted"`
		Conversions        int64   `json:"conversions"`
		HoldoutConversions int64   `json:"holdout_conversions"`
		Revenue            string  `json:"revenue"`
		RevenuePerEmail    *string `json:"revenue_per_email"`
		Lift               struct {
			Estimate, Low, High *float64
		} `json:"lift"`
		Verdict string `json:"verdict"`
	} `json:"rows"`
}

// TestReportCreditsTheSaleWithThePurchase: a purchase two days after a sale email shows up in
// `starter report` as that sale's conversion with its revenue; an accepted offer counts for its
// behaviour; nothing is held out yet, so the lift is unknown and the report says so.
func TestReportCreditsTheSaleWithThePurchase(t *testing.T) {
	st, dbURL := storetest.New(t)
	ctx := t.Context()
	_, err := st.ImportCustomers(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes\nc1,Ann,c1@example.com,en,UTC,,\nc2,Bob,c2@example.com,en,UTC,,\nc3,Cas,c3@example.com,en,UTC,,\n"))
	require.NoError(t, err)
	_, err = st.ImportProducts(ctx, strings.NewReader("sku,product,name,category,color,size,price,stock,collections\nSH-WHT-M,shirt-oxford,Oxford shirt,Shirts,White,M,55.20,5,basics\n"))
	require.NoError(t, err)
	t0 := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	send := func(r lifecycle.SendRecord, at time.Time) {
		t.Helper()
		r.Subject, r.CreatedAt = "x", at
		_, err := st.ClaimSend(ctx, r)
		require.NoError(t, err, "claim %s", r.Key)
		require.NoError(t, st.MarkSent(ctx, r.Key, "m-"+r.Key, at), "mark %s sent", r.Key)
	}
	sale1, sale2 := lifecycle.SendKey("c1", lifecycle.KindSale, "s1"), lifecycle.SendKey("c2", lifecycle.KindSale, "s1")
	send(lifecycle.SendRecord{Key: sale1, CustomerID: "c1", Kind: lifecycle.KindSale}, t0)
	send(lifecycle.SendRecord{Key: sale2, CustomerID: "c2", Kind: lifecycle.KindSale}, t0)
	offer := lifecycle.SendKey("c3", lifecycle.KindOffer, "data_mb/20260401T000000Z")
	send(lifecycle.SendRecord{Key: offer, CustomerID: "c3", Kind: lifecycle.KindOffer, Behaviour: lifecycle.BehaviourCostConscious}, t0)
	send(lifecycle.SendRecord{Key: lifecycle.SendKey("c3", lifecycle.KindConfirmation, offer), CustomerID: "c3", Kind: lifecycle.KindConfirmation}, t0.Add(time.Hour))
	for _, ev := range []string{"delivered", "click", "click"} {
		_, err := st.RecordEmailEvent(ctx, store.EmailEvent{DedupeKey: ev + sale1 + time.Now().String(), SendKey: sale1, CustomerID: "c1", Kind: "sale",
			Email: "c1@example.com", Event: ev, OccurredAt: t0.Add(time.Hour)})
		require.NoError(t, err)
	}
	_, _, err = st.RecordPurchase(ctx, lifecycle.Purchase{ID: "o1", CustomerID: "c1", SKU: "SH-WHT-M", At: t0.Add(48 * time.Hour)})
	require.NoError(t, err)

	env := func(name string) string {
		if name == "DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	starter := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		code := run(ctx, append([]string{"report", "--since", "2026-04-01", "--until", "2026-05-01"}, args...), &out, &errOut, env)
		require.Equal(t, exitOK, code, "starter report %v: %s", args, errOut.String())
		return out.String()
	}

	var byCampaign reportJSON
	require.NoError(t, json.Unmarshal([]byte(starter("--by", "campaign", "--json")), &byCampaign))
	require.Len(t, byCampaign.Rows, 2, "by campaign: the offer and sale/s1 (the confirmation is transactional): %+v", byCampaign.Rows)
	sale := byCampaign.Rows[1]
	assert.Equal(t, "sale/s1", sale.Group)
	assert.Equal(t, int64(2), sale.Sent, "sale/s1 went to c1 and c2")
	assert.Equal(t, int64(1), sale.Delivered)
	assert.Equal(t, int64(1), sale.Clicked, "two clicks on one email count once")
	assert.Equal(t, int64(1), sale.Conversions, "c1 bought two days after the sale email")
	assert.Equal(t, "55.20", sale.Revenue, "the shirt's price")
	assert.Equal(t, "27.60", *sale.RevenuePerEmail)
	assert.Equal(t, int64(0), sale.HeldOut, "no holdouts yet")
	assert.Nil(t, sale.Lift.Estimate, "no lift without a holdout")
	assert.Contains(t, sale.Verdict, "no holdout")

	var byBehaviour reportJSON
	require.NoError(t, json.Unmarshal([]byte(starter("--by", "behaviour", "--json")), &byBehaviour))
	require.Len(t, byBehaviour.Rows, 1, "by behaviour counts offers only: %+v", byBehaviour.Rows)
	assert.Equal(t, "cost-conscious", byBehaviour.Rows[0].Group)
	assert.Equal(t, int64(1), byBehaviour.Rows[0].OffersAccepted, "the offer was confirmed")

	html := filepath.Join(t.TempDir(), "report.html")
	text := starter("--html", html)
	assert.Contains(t, text, "sale  ")
	assert.Contains(t, text, "55.20")
	assert.Contains(t, text, "sale: no holdout")
	body, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Equal(t, 5, strings.Count(string(body), "<svg"), "the HTML report's charts")

	// Outside the period nothing counts.
	var before reportJSON
	var out, errOut bytes.Buffer
	require.Equal(t, exitOK, run(ctx, []string{"report", "--since", "2026-03-01", "--until", "2026-04-01", "--json"}, &out, &errOut, env), errOut.String())
	require.NoError(t, json.Unmarshal(out.Bytes(), &before))
	assert.Empty(t, before.Rows, "March has no emails")
}
