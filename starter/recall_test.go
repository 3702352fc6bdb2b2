package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/temporaltest"
	"github.com/tailorhq/tailor/workflows"
)

// A sale campaign whose follow-ups wait for min_gap (an earlier sale went out) is recalled: every
// reached customer's workflow drops it (reason recalled) and it never goes out; the summary counts
// the recalled and those already sent. Then `tasks` lists, shows and closes a hand-off.
func TestCampaignCancelRecallAndTasks(t *testing.T) {
	shop := newTestShop(t, `sku,product,name,category,color,size,price,stock,collections
TR-BLUE-50,classic-trousers,Classic trousers,trousers,blue,50,89.00,5,
`, `id,name,email,locale,timezone,colors,sizes,categories,consent
c-01,One,c1@example.com,en,Europe/Amsterdam,,50,trousers,true
c-02,Two,c2@example.com,en,Europe/Amsterdam,,50,trousers,true
c-03,Three,c3@example.com,en,Europe/Amsterdam,,50,trousers,true
`)
	srv, st, ctx := shop.srv, shop.st, context.Background()
	mailer := &countingMailer{}
	acts := shop.activities(t, mailer)
	acts.Handoffs = st
	startWorker(t, srv.Client, acts)
	starter := shop.starter(t)

	out := starter("sale", "--category", "trousers", "--discount", "10", "--wait")
	require.Contains(t, out, "emailed 3", out)
	// The second sale waits 7 days (min_gap) in each customer's workflow.
	const id = "campaign/sale/trousers/open-50"
	out = starter("sale", "--category", "trousers", "--discount", "50", "--wait")
	require.Contains(t, out, "deferred 3", out)
	require.Len(t, mailer.sent(), 3)

	out = starter("campaign", "cancel", id, "--recall")
	require.Contains(t, out, "recall sent to 3 reached customer(s)", out)
	require.Contains(t, out, "recalled 3 follow-up(s) still waiting; already sent 0 (failed 0)", out)
	for _, c := range []string{"c-01", "c-02", "c-03"} {
		key := lifecycle.SendKey(c, lifecycle.KindSale, "sale/trousers/open-50")
		st := queryCustomer(t, srv, c)
		for _, p := range st.Pending {
			require.NotEqual(t, key, p.Key, "customer %s: the recalled follow-up still waits", c)
		}
		var dropped bool
		for _, d := range st.Decisions {
			dropped = dropped || (d.Key == key && d.Outcome == workflows.OutcomeDropped && d.Code == lifecycle.ReasonRecalled)
		}
		require.True(t, dropped, "customer %s: no dropped/recalled decision for %s in %+v", c, key, st.Decisions)
	}
	// A recall of the first sale, all sent: nothing recalled, 3 already sent.
	out = starter("campaign", "cancel", "campaign/sale/trousers/open-10", "--recall")
	require.Contains(t, out, "recalled 0 follow-up(s) still waiting; already sent 3", out)
	require.Len(t, mailer.sent(), 3, "nothing recalled went out: %v", mailer.sent())

	// tasks: a hand-off as the workflow's NotifyHandoff writes it, listed, shown, closed once.
	h, err := st.OpenHandoff(ctx, lifecycle.Handoff{ID: lifecycle.HandoffID("c-01", "customer/c-01/sale/x"), CustomerID: "c-01",
		Kind: lifecycle.HandoffOfferAccepted, What: "said yes to x", CreatedAt: time.Now().Add(-72 * time.Hour).UTC()})
	require.NoError(t, err)
	out = starter("tasks")
	require.Contains(t, out, "OVERDUE", "open 3 days with a 2-day horizon:\n%s", out)
	require.Contains(t, out, h.ID, out)
	var listed []taskView
	require.NoError(t, json.Unmarshal([]byte(starter("tasks", "--json", "list")), &listed))
	require.Len(t, listed, 1)
	require.True(t, listed[0].Overdue)
	require.Contains(t, starter("tasks", "show", h.ID), "said yes to x")
	out = starter("tasks", "done", h.ID)
	require.Contains(t, out, "task "+h.ID+" done", out)
	require.Contains(t, starter("tasks", "done", h.ID), "was already done", "done twice changes nothing")
	require.Contains(t, starter("tasks"), "no open tasks")
	require.Contains(t, starter("tasks", "--all"), "done")
}

func queryCustomer(t *testing.T, srv *temporaltest.Server, customerID string) workflows.Status {
	t.Helper()
	v, err := srv.Client.QueryWorkflow(context.Background(), workflows.CustomerWorkflowID(customerID), "", workflows.QueryStatus)
	require.NoError(t, err, "query %s", customerID)
	var st workflows.Status
	require.NoError(t, v.Get(&st))
	return st
}
