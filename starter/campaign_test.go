package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The campaign commands against a real dev server, PostgreSQL and an in-process worker.
func TestCampaignCommands(t *testing.T) {
	shop := newTestShop(t, `sku,product,name,category,color,size,price,stock,collections
TR-BLUE-50,classic-trousers,Classic trousers,trousers,blue,50,89.00,5,autumn
TR-GREY-50,classic-trousers,Classic trousers,trousers,grey,50,89.00,0,
SU-GREY-50,suit,Flannel suit,suits,grey,50,399.00,2,autumn
`, `id,name,email,locale,timezone,colors,sizes,categories,consent
c-01,One,c1@example.com,en,Europe/Amsterdam,,50,trousers,true
c-02,Two,c2@example.com,en,Europe/Amsterdam,,50,trousers,true
c-03,Three,c3@example.com,en,Europe/Amsterdam,,50,trousers,true
c-04,Four,c4@example.com,en,Europe/Amsterdam,,50,trousers,true
c-05,Five,c5@example.com,en,Europe/Amsterdam,,52,trousers,true
c-suits,Suits,cs@example.com,en,Europe/Amsterdam,,50,suits,true
`)
	srv, st, ctx := shop.srv, shop.st, context.Background()
	mailer := &countingMailer{}
	startWorker(t, srv.Client, shop.activities(t, mailer))
	starter := shop.starter(t)
	const id = "campaign/sale/trousers/open-20"
	sale := []string{"sale", "--category", "trousers", "--discount", "20"}

	// A dry run counts and shows a sample, and starts nothing.
	out := starter(append(sale, "--dry-run")...)
	require.Contains(t, out, "dry run: campaign "+id+" would reach 5 customers who bought or like trousers (c-01, c-02, c-03, c-04, c-05); nothing was changed or started")
	_, err := srv.Client.DescribeWorkflowExecution(ctx, id, "")
	require.Error(t, err, "a dry run starts no campaign")
	out = starter("restock", "--sku", "TR-GREY-50", "--quantity", "3", "--dry-run")
	require.Contains(t, out, "would reach 0 customers with a matching wish")
	grey, err := st.Product(ctx, "TR-GREY-50")
	require.NoError(t, err)
	require.Equal(t, 0, grey.Stock, "a dry-run restock adds no stock")

	// --wait follows the campaign to its end: progress lines (not a terminal), then the summary.
	out = starter(append(sale, "--wait", "--page-size", "3", "--concurrency", "2", "--rate", "50")...)
	require.Contains(t, out, "campaign "+id+": [", "plain progress lines:\n%s", out)
	require.Contains(t, out, "campaign "+id+" done: notified 5 customers who bought or like trousers in 2 page(s)", out)
	// c-05 wears 52, and no trousers are in stock in 52: SendFollowUp skips, and says why.
	require.Contains(t, out, "emailed 4, held out 0, failed 0, deferred 0 (waiting for the contact policy), skipped 1 (no_products 1)", out)
	require.NotContains(t, out, "not decided yet", out)
	require.Len(t, mailer.sent(), 4)

	// The same trigger again is a no-op that names the campaign; --again starts another, and the
	// customers' workflows still send each follow-up once.
	out = starter(sale...)
	require.Contains(t, out, "campaign "+id+" already exists (done, reached 5)")
	out = starter(append(sale, "--again", "--wait")...)
	require.Contains(t, out, "campaign "+id+"/again-", out)
	require.Contains(t, out, "notified 5 customers", out)
	require.Never(t, func() bool { return len(mailer.sent()) > 4 }, time.Second, 100*time.Millisecond, "emails: %v", mailer.sent())

	require.Eventually(t, func() bool { // the visibility store catches up asynchronously
		out = starter("campaign", "list")
		return strings.Contains(out, id+"/again-")
	}, 10*time.Second, 200*time.Millisecond)
	require.Contains(t, out, id+" ")
	require.Contains(t, out, "done")
	require.Contains(t, out, "0% (policy)", "no holdout of its own, none in the policy:\n%s", out)
	require.Equal(t, 3, strings.Count(out, "\n"), "a header and two campaigns, not one row per page run:\n%s", out)

	out = starter("campaign", "status", id)
	require.Contains(t, out, "reached   5 customers in 2 page(s)", out)
	require.Contains(t, out, "follow-ups: emailed 4, held out 0, failed 0, deferred 0 (waiting for the contact policy), skipped 1 (no_products 1)", out)
	out = starter("campaign", "cancel", id)
	require.Contains(t, out, "already ended (done, reached 5); nothing to cancel")

	// While a page is being reached, status shows how far it got from its activity's heartbeat:
	// the page's customers count in "reached" only once the page is done.
	slow := []string{"sale", "--category", "trousers", "--discount", "30", "--page-size", "5", "--concurrency", "1", "--rate", "1"}
	const slowID = "campaign/sale/trousers/open-30"
	require.Contains(t, starter(slow...), "started campaign "+slowID)
	require.Eventually(t, func() bool {
		out = starter("campaign", "status", slowID)
		return strings.Contains(out, "reached   0 customers in 0 page(s) (live)") &&
			strings.Contains(out, "more customers of the page in flight (its activity's last heartbeat)")
	}, 10*time.Second, 100*time.Millisecond, "status never showed the page in flight")
	require.Eventually(t, func() bool {
		out = starter("campaign", "status", slowID)
		return strings.Contains(out, "reached   5 customers in 1 page(s)") && !strings.Contains(out, "page in flight")
	}, 20*time.Second, 200*time.Millisecond, "status never showed the page done")
}
