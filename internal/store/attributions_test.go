package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

const attributionCustomersCSV = `id,name,email,locale,timezone,colors,sizes
a1,Ann,a1@example.com,en,UTC,,
a2,Bob,a2@example.com,en,UTC,,
a3,Cas,a3@example.com,en,UTC,,
a4,Dee,a4@example.com,en,UTC,,
a5,Eve,a5@example.com,en,UTC,,
a6,Fay,a6@example.com,en,UTC,,
a7,Gus,a7@example.com,en,UTC,,
a8,Hal,a8@example.com,en,UTC,,
`

// emailed is one email in a story: sent at day after t0, and clicked at clickDay when that is set.
type emailed struct {
	kind     lifecycle.Kind
	subject  string
	day      float64
	clickDay float64 // 0: no click
}

// TestPurchaseIsAttributedToTheLastTouch: recording a purchase credits it, in the same
// transaction, to the marketing email that last touched the customer within the window.
func TestPurchaseIsAttributedToTheLastTouch(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, attributionCustomersCSV)
	b.importProducts(t, productsCSV)
	t0 := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	at := func(day float64) time.Time { return t0.Add(time.Duration(day * float64(24*time.Hour))) }

	type credit struct {
		kind     lifecycle.Kind
		subject  string
		campaign string
		clicked  bool
	}
	tests := []struct {
		name     string
		customer string
		emails   []emailed
		buyDay   float64
		want     *credit // nil: not attributed
	}{
		{"a sale email 2 days before", "a1", []emailed{{kind: lifecycle.KindSale, subject: "s1", day: 0}}, 2,
			&credit{lifecycle.KindSale, "s1", "s1", false}},
		{"6 days after, beyond the default 5d window", "a2", []emailed{{kind: lifecycle.KindSale, subject: "s1", day: 0}}, 6, nil},
		{"a click on an earlier email wins over a later send", "a3", []emailed{
			{kind: lifecycle.KindSeason, subject: "summer", day: 0, clickDay: 1},
			{kind: lifecycle.KindSale, subject: "s2", day: 2},
		}, 3, &credit{lifecycle.KindSeason, "summer", "summer", true}},
		{"without a click the latest send wins", "a4", []emailed{
			{kind: lifecycle.KindSeason, subject: "summer", day: 0},
			{kind: lifecycle.KindRestock, subject: "o9", day: 2},
		}, 3, &credit{lifecycle.KindRestock, "o9", "", false}},
		{"a confirmation is never credited", "a5", []emailed{
			{kind: lifecycle.KindConfirmation, subject: "customer/a5/sale/s1", day: 1, clickDay: 1.5},
		}, 2, nil},
		{"a confirmation after a sale: the sale is credited", "a6", []emailed{
			{kind: lifecycle.KindSale, subject: "s3", day: 0},
			{kind: lifecycle.KindService, subject: "p1", day: 1, clickDay: 1.5},
		}, 2, &credit{lifecycle.KindSale, "s3", "s3", false}},
		{"an email sent after the purchase", "a7", []emailed{{kind: lifecycle.KindSale, subject: "s1", day: 3}}, 2, nil},
		{"a click within the window on an email sent before it", "a8", []emailed{
			{kind: lifecycle.KindSale, subject: "s4", day: 0, clickDay: 5},
		}, 6, &credit{lifecycle.KindSale, "s4", "s4", true}},
	}
	for _, tt := range tests {
		for _, e := range tt.emails {
			key := lifecycle.SendKey(tt.customer, e.kind, e.subject)
			_, err := b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: key, CustomerID: tt.customer, Kind: e.kind, Subject: "x", CreatedAt: at(e.day)})
			require.NoError(t, err, "%s: claim %s", tt.name, key)
			require.NoError(t, b.s.MarkSent(b.ctx, key, "msg-"+key, at(e.day)), "%s: mark %s sent", tt.name, key)
			if e.clickDay > 0 {
				_, err := b.s.RecordEmailEvent(b.ctx, store.EmailEvent{DedupeKey: "click-" + key, SendKey: key, CustomerID: tt.customer,
					Kind: string(e.kind), Email: tt.customer + "@example.com", Event: "click", OccurredAt: at(e.clickDay)})
				require.NoError(t, err, "%s: click %s", tt.name, key)
			}
		}
		purchase := lifecycle.Purchase{ID: "buy-" + tt.customer, CustomerID: tt.customer, SKU: "SH-WHT-M", At: at(tt.buyDay)}
		for attempt := 1; attempt <= 2; attempt++ { // recording the same purchase again credits it once
			_, _, err := b.s.RecordPurchase(b.ctx, purchase)
			require.NoError(t, err, "%s: record purchase, attempt %d", tt.name, attempt)
		}
		got, err := b.s.Attributions(b.ctx, tt.customer)
		require.NoError(t, err)
		if tt.want == nil {
			require.Empty(t, got, "%s: the purchase on day %g is credited to no email", tt.name, tt.buyDay)
			continue
		}
		require.Len(t, got, 1, "%s: one credit for the purchase", tt.name)
		a := got[0]
		require.Equal(t, lifecycle.SendKey(tt.customer, tt.want.kind, tt.want.subject), a.SendKey, "%s: credited email", tt.name)
		require.Equal(t, tt.want.kind, a.Kind, tt.name)
		require.Equal(t, tt.want.campaign, a.Campaign, tt.name)
		require.Equal(t, tt.want.clicked, a.Clicked, tt.name)
		require.Equal(t, int64(4900), a.RevenueCents, "%s: the shirt's price, 49.00", tt.name)
		require.Equal(t, purchase.ID, a.PurchaseID, tt.name)
		require.True(t, a.PurchasedAt.Equal(purchase.At), "%s: purchased at %s, stored %s", tt.name, purchase.At, a.PurchasedAt)
	}
	require.Equal(t, 5, b.count(t, "attributions"), "five of the stories credit a purchase")

	// The revenue is the price at purchase: a later price change does not rewrite it.
	b.importProducts(t, "sku,product,name,category,color,size,price,stock,collections\nSH-WHT-M,shirt-oxford,Oxford shirt,Shirts,White,M,59,5,basics\n")
	got, err := b.s.Attributions(b.ctx, "a1")
	require.NoError(t, err)
	require.Equal(t, int64(4900), got[0].RevenueCents, "revenue after the price went up to 59.00")
}

// TestAttributionWindowFromThePolicy: with a 7d window, a purchase 6 days after a sale email is
// credited to it.
func TestAttributionWindowFromThePolicy(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, attributionCustomersCSV)
	b.importProducts(t, productsCSV)
	st, err := store.Open(b.ctx, b.db.Config().ConnString(), store.WithAttributionWindow(7*24*time.Hour))
	require.NoError(t, err)
	t.Cleanup(st.Close)
	t0 := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	key := lifecycle.SendKey("a1", lifecycle.KindSale, "s1")
	_, err = st.ClaimSend(b.ctx, lifecycle.SendRecord{Key: key, CustomerID: "a1", Kind: lifecycle.KindSale, Subject: "x", CreatedAt: t0})
	require.NoError(t, err)
	require.NoError(t, st.MarkSent(b.ctx, key, "m1", t0))
	_, _, err = st.RecordPurchase(b.ctx, lifecycle.Purchase{ID: "o1", CustomerID: "a1", SKU: "TR-BLU-32", At: t0.Add(6 * 24 * time.Hour)})
	require.NoError(t, err)
	got, err := st.Attributions(b.ctx, "a1")
	require.NoError(t, err)
	require.Len(t, got, 1, "a purchase 6 days after the sale email, window 7d")
	require.Equal(t, key, got[0].SendKey)
	require.Equal(t, int64(7995), got[0].RevenueCents, "the chino's price, 79.95")
}

// TestPurchaseKeepsWhatTheOrderSaid: a purchase keeps the price paid and the size wanted when the
// order gave them, and its attribution credits the price paid; without a price the product's
// price counts.
func TestPurchaseKeepsWhatTheOrderSaid(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, attributionCustomersCSV)
	b.importProducts(t, productsCSV)
	t0 := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	for _, c := range []string{"a1", "a2"} {
		key := lifecycle.SendKey(c, lifecycle.KindSale, "s1")
		_, err := b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: key, CustomerID: c, Kind: lifecycle.KindSale, Subject: "Sale", CreatedAt: t0})
		require.NoError(t, err)
		require.NoError(t, b.s.MarkSent(b.ctx, key, "m-"+c, t0))
	}
	paid := int64(5995)
	tests := []struct {
		purchase    lifecycle.Purchase
		wantPrice   *int64
		wantSize    string
		wantRevenue int64
	}{
		{lifecycle.Purchase{ID: "o1:TR-BLU-32", CustomerID: "a1", SKU: "TR-BLU-32", At: t0.Add(time.Hour), PriceCents: &paid, WantedSize: " 34 "},
			&paid, "34", 5995},
		{lifecycle.Purchase{ID: "o2:TR-BLU-32", CustomerID: "a2", SKU: "TR-BLU-32", At: t0.Add(time.Hour)},
			nil, "", 7995},
	}
	for _, tt := range tests {
		_, _, err := b.s.RecordPurchase(b.ctx, tt.purchase)
		require.NoError(t, err, "record %s", tt.purchase.ID)
		var price *int64
		var size string
		require.NoError(t, b.db.QueryRow(b.ctx, `SELECT price_cents, wanted_size FROM purchases WHERE id = $1`, tt.purchase.ID).Scan(&price, &size))
		require.Equal(t, tt.wantPrice, price, "price_cents of %s", tt.purchase.ID)
		require.Equal(t, tt.wantSize, size, "wanted_size of %s", tt.purchase.ID)
		var revenue int64
		require.NoError(t, b.db.QueryRow(b.ctx, `SELECT revenue_cents FROM attributions WHERE purchase_id = $1`, tt.purchase.ID).Scan(&revenue))
		require.Equal(t, tt.wantRevenue, revenue, "revenue credited for %s", tt.purchase.ID)
	}
}
