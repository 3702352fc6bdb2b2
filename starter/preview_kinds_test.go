package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/sendgrid/sink"
	"github.com/tailorhq/tailor/internal/store"
)

const previewPolicy = `
usage:
  threshold: 85%
  offers:
    - {name: Data saver 2 GB, price: "4.99", allowance: "2 GB extra until your bundle renews", for: [cost-conscious]}
    - {name: Stay-with-us 10 GB, price: "0.00", allowance: {en: "10 GB free this month", nl: "deze maand 10 GB gratis"}, for: [churn-risk]}
care:
  - category: trousers
    tips_after: 3d
    checkin_after: 20d
    tips: {en: "Hang them up by the hem.", nl: "Hang ze aan de zoom op."}
`

// newPreviewKindsShop is the preview shop with a policy that has a care plan for trousers (not
// socks) and two usage offers, ann's three purchases (socks, trousers, the chinos the latest),
// bob's trousers and one sale email sent to bob.
func newPreviewKindsShop(t *testing.T) *previewShop {
	t.Helper()
	s := newPreviewShop(t)
	policy := filepath.Join(t.TempDir(), "lifecycle.yaml")
	require.NoError(t, os.WriteFile(policy, []byte(previewPolicy), 0o600))
	s.env["LIFECYCLE_CONFIG"] = policy
	ctx := context.Background()
	st, err := store.Open(ctx, s.dbURL)
	require.NoError(t, err)
	defer st.Close()
	_, err = st.ImportProducts(ctx, strings.NewReader("sku,product,name,category,color,size,price,stock,collections\nSO-RED-M,socks,Wool socks,socks,red,m,12,5,\n"))
	require.NoError(t, err)
	for _, p := range []lifecycle.Purchase{
		{ID: "order-0", CustomerID: "ann", SKU: "SO-RED-M", At: s.now.Add(-40 * 24 * time.Hour)},
		{ID: "order-1", CustomerID: "ann", SKU: "TR-GREY-50", At: s.now.Add(-30 * 24 * time.Hour)},
		{ID: "order-2", CustomerID: "ann", SKU: "CH-NAVY-50", At: s.now.Add(-2 * 24 * time.Hour)},
		{ID: "order-3", CustomerID: "bob", SKU: "TR-GREY-50", At: s.now.Add(-5 * 24 * time.Hour)},
	} {
		_, _, err := st.RecordPurchase(ctx, p)
		require.NoError(t, err, "purchase %s", p.ID)
	}
	key := lifecycle.SendKey("bob", lifecycle.KindSale, "sale/trousers/20261031-20")
	_, err = st.ClaimSend(ctx, lifecycle.SendRecord{Key: key, CustomerID: "bob", Kind: lifecycle.KindSale, Subject: "Trousers: 20% off until 31 October", CreatedAt: s.now.Add(-time.Hour)})
	require.NoError(t, err)
	require.NoError(t, st.MarkSent(ctx, key, "msg-1", s.now.Add(-time.Hour)))
	return s
}

// Care, checkin, service, offer and confirmation are previewed from the customer's own purchases,
// the policy's usage offers and the send log, as the workflow builds them, changing nothing.
func TestPreviewKindsFromCustomerData(t *testing.T) {
	s := newPreviewKindsShop(t)
	before := s.rows(t)
	for _, tc := range []struct {
		args []string
		want []string // in the printed headers and text part
	}{
		// The chinos are ann's latest purchase and trousers have a care plan; both are category trousers.
		{[]string{"--customer", "ann", "--kind", "care"},
			[]string{"key customer/ann/care/order-2", "Hang ze aan de zoom op."}},
		{[]string{"--customer", "ann", "--kind", "care", "--purchase", "order-1"},
			[]string{"key customer/ann/care/order-1", "uw Classic trousers"}},
		{[]string{"--customer", "bob", "--kind", "checkin", "--purchase", "order-3"},
			[]string{"key customer/bob/checkin/order-3", "Classic trousers", "/c/"}},
		{[]string{"--customer", "bob", "--kind", "service"},
			[]string{"key customer/bob/service/order-3", "Classic trousers"}},
		{[]string{"--customer", "ann", "--kind", "service", "--purchase", "order-0"},
			[]string{"key customer/ann/service/order-0", "Wool socks"}},
		{[]string{"--customer", "bob", "--kind", "offer", "--metric", "minutes"},
			[]string{"key customer/bob/offer/minutes/20261005T093000Z", "Data saver 2 GB", "4.99", "85% of your minutes bundle"}},
		{[]string{"--customer", "bob", "--kind", "offer", "--offer", "stay-with-us 10 gb", "--used", "92", "--metric", "data_mb"},
			[]string{"key customer/bob/offer/data_mb/20261005T093000Z", "Stay-with-us 10 GB", "10 GB free this month", "92% of your data bundle"}},
		{[]string{"--customer", "bob", "--kind", "confirmation"},
			[]string{"key customer/bob/confirmation/customer/bob/sale/sale/trousers/20261031-20", "Trousers: 20% off until 31 October"}},
	} {
		out, _ := s.run(t, exitOK, append([]string{"preview"}, tc.args...)...)
		for _, want := range tc.want {
			assert.Contains(t, out, want, "starter preview %v", tc.args)
		}
	}
	assert.Equal(t, before, s.rows(t), "preview changed the database")
}

// A purchase, offer or offer key that is not there is named, with what to do; flags for another
// kind stay a mistake.
func TestPreviewKindsWrongChoices(t *testing.T) {
	s := newPreviewKindsShop(t)
	for _, tc := range []struct {
		code int
		args []string
		want string
	}{
		{exitFailed, []string{"--customer", "ann", "--kind", "checkin", "--purchase", "order-3"},
			`--purchase "order-3" is not a purchase of customer ann: use one of theirs [order-2 order-1 order-0]`},
		{exitFailed, []string{"--customer", "ann", "--kind", "checkin", "--purchase", "order-0"},
			`--purchase "order-0" is Wool socks in category "socks", which has no care plan with checkin_after (care in LIFECYCLE_CONFIG): the workflow sends no checkin email for it`},
		{exitFailed, []string{"--customer", "ann", "--kind", "care", "--purchase", "nope"},
			`--purchase "nope" is not a purchase of customer ann`},
		{exitFailed, []string{"--customer", "nobody", "--kind", "care"},
			`no customer "nobody": check the id`},
		{exitFailed, []string{"--customer", "bob", "--kind", "offer", "--metric", "data_mb", "--offer", "Unlimited"},
			`--offer "Unlimited" is not one of the policy's usage offers: use one of ["Data saver 2 GB" "Stay-with-us 10 GB"]`},
		{exitFailed, []string{"--customer", "ann", "--kind", "confirmation"},
			"customer ann was emailed no offer to say yes to"},
		{exitFailed, []string{"--customer", "bob", "--kind", "confirmation", "--offer-key", "customer/bob/sale/other"},
			`--offer-key "customer/bob/sale/other" is not an offer-like email sent to customer bob`},
		{exitUsage, []string{"--customer", "ann", "--kind", "sale", "--category", "trousers", "--discount", "20", "--purchase", "order-1"},
			"--purchase is for --kind care, checkin or service"},
		{exitUsage, []string{"--customer", "ann", "--kind", "care", "--offer", "x", "--used", "80", "--offer-key", "k"},
			"--offer is for --kind offer; --used is for --kind offer; --offer-key is for --kind confirmation"},
		{exitUsage, []string{"--customer", "ann", "--kind", "offer", "--used", "-5"},
			"missing --metric NAME; --used must be between 0 and 999 percent, got -5"},
	} {
		_, stderr := s.run(t, tc.code, append([]string{"preview"}, tc.args...)...)
		assert.Contains(t, stderr, tc.want, "starter preview %v", tc.args)
	}

	// Without a care plan in the policy nothing is a care purchase.
	delete(s.env, "LIFECYCLE_CONFIG")
	_, stderr := s.run(t, exitFailed, "preview", "--customer", "ann", "--kind", "care")
	assert.Contains(t, stderr, "none of customer ann's 3 purchases is in a category with a care plan with tips_after", "care without a plan")
	_, stderr = s.run(t, exitFailed, "preview", "--customer", "ann", "--kind", "offer", "--metric", "data_mb")
	assert.Contains(t, stderr, "the policy has no usage offers", "offer without offers")
}

// test-send sends a care email built from the customer's purchase like the others.
func TestTestSendCare(t *testing.T) {
	s := newPreviewKindsShop(t)
	snk, url := sink.Start(t, "SG.test-key")
	s.env["SENDGRID_API_KEY"], s.env["SENDGRID_BASE_URL"] = "SG.test-key", url
	dir := t.TempDir()
	s.run(t, exitOK, "preview", "--customer", "ann", "--kind", "care", "--purchase", "order-1", "--out", dir)
	html, err := os.ReadFile(filepath.Join(dir, "ann-care.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "Hang ze aan de zoom op.", "ann-care.html")
	out, _ := s.run(t, exitOK, "test-send", "--to", "marketing@shop.example", "--customer", "ann", "--kind", "care", "--purchase", "order-1")
	assert.Contains(t, out, "sent test test/ann/care/20261005T093000.000Z", "test-send of ann's care email")
	msgs := snk.Messages()
	require.Len(t, msgs, 1, "the sink's messages")
	assert.Equal(t, string(html), msgs[0].HTML, "test-send sends what preview showed")
}
