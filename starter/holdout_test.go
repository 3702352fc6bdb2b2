package main

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// TestSaleWithHoldout100EmailsNobody: a sale campaign with --holdout 100 emails nobody; each
// customer's follow-up is decided and held out, the summary and `campaign status` say so, and
// `starter report` shows everyone held out. A purchase by a held-out customer within the
// attribution window counts as a holdout conversion, not as the sale's.
func TestSaleWithHoldout100EmailsNobody(t *testing.T) {
	shop := newTestShop(t, `sku,product,name,category,color,size,price,stock,collections
TR-BLUE-50,classic-trousers,Classic trousers,trousers,blue,50,89.00,5,
`, `id,name,email,locale,timezone,colors,sizes,categories,consent
c-01,One,c1@example.com,en,Europe/Amsterdam,,50,trousers,true
c-02,Two,c2@example.com,en,Europe/Amsterdam,,50,trousers,true
c-03,Three,c3@example.com,en,Europe/Amsterdam,,50,trousers,true
`)
	mailer := &countingMailer{}
	startWorker(t, shop.srv.Client, shop.activities(t, mailer))
	starter := shop.starter(t)

	out := starter("sale", "--category", "trousers", "--discount", "20", "--holdout", "100", "--dry-run")
	require.Contains(t, out, "with --holdout 100 it would hold out 3 of them (a hash of their id and campaign/sale/trousers/open-20)", out)
	out = starter("sale", "--category", "trousers", "--discount", "20", "--holdout", "100", "--wait")
	require.Contains(t, out, "emailed 0, held out 3, failed 0", out)
	require.Empty(t, mailer.sent(), "a 100% holdout emails nobody")
	const id = "campaign/sale/trousers/open-20"
	require.Contains(t, starter("campaign", "status", id), "100% of the customers reached get no email (by a hash of their id and "+id+")")
	require.Eventually(t, func() bool { // the visibility store catches up asynchronously
		return regexp.MustCompile(regexp.QuoteMeta(id) + `\s+done\s+3\s+100%\s`).MatchString(starter("campaign", "list"))
	}, 10*time.Second, 200*time.Millisecond, "campaign list shows the campaign's holdout")

	key := lifecycle.SendKey("c-02", lifecycle.KindSale, "sale/trousers/open-20")
	st := queryCustomer(t, shop.srv, "c-02")
	require.Len(t, st.HeldOut, 1, "c-02's status lists the sale held out")
	require.Equal(t, key, st.HeldOut[0].Key)
	require.Empty(t, st.Emails)
	require.Contains(t, starter("status", "--customer", "c-02"), "held out (control group")
	require.Contains(t, starter("explain", "--customer", "c-02"), "sale ("+key+"): held out, not sent")

	starter("purchase", "--customer", "c-01", "--sku", "TR-BLUE-50", "--id", "o-1")
	var report reportJSON
	require.NoError(t, json.Unmarshal([]byte(starter("report", "--by", "campaign", "--json")), &report))
	require.Len(t, report.Rows, 1, "one campaign: %+v", report.Rows)
	row := report.Rows[0]
	require.Equal(t, "sale/sale/trousers/open-20", row.Group)
	require.Equal(t, int64(0), row.Sent, "nobody emailed")
	require.Equal(t, int64(3), row.HeldOut, "everyone held out")
	require.Equal(t, int64(0), row.Conversions)
	require.Equal(t, int64(1), row.HoldoutConversions, "c-01 bought within the window after the hold-out decision")
	require.Nil(t, row.Lift.Estimate, "no lift without anyone emailed")

}
