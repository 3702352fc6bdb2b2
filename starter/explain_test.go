package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

func TestExplain(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	policy := lifecycle.DefaultPolicy()
	policy.QuietHours = lifecycle.QuietHours{Start: 21 * 60, End: 8 * 60}
	st := workflows.Status{
		CustomerID: "c1", Stage: workflows.StageFollowedUp, Policy: policy, Timezone: "Europe/Amsterdam",
		Kinds:   []lifecycle.Kind{lifecycle.KindRestock, lifecycle.KindSale},
		Pending: []workflows.PendingStatus{{Kind: lifecycle.KindSale, Key: "customer/c1/sale/s2", Due: at.AddDate(0, 0, 7)}},
		Decisions: []workflows.Decision{
			{At: at, Kind: lifecycle.KindRestock, Key: "customer/c1/restock/p1", Outcome: workflows.OutcomeScheduled, Reason: "restocked in wished grey"},
			{At: at, Kind: lifecycle.KindRestock, Key: "customer/c1/restock/p1", Outcome: workflows.OutcomeSent, Reason: "Now in stock in grey"},
			{At: at, Kind: lifecycle.KindSale, Key: "customer/c1/sale/s1", Outcome: workflows.OutcomeDeferred, Until: at.AddDate(0, 0, 3), Reason: "min_gap 7d"},
			{At: at.AddDate(0, 0, 4), Kind: lifecycle.KindSale, Key: "customer/c1/sale/s1", Outcome: workflows.OutcomeDropped, Code: lifecycle.ReasonExpired, Reason: "the offer ran out"},
			{At: at, Kind: lifecycle.KindSeason, Key: "customer/c1/season/x", Outcome: workflows.OutcomeSkipped, Reason: "the customer chose not to receive season emails"},
			{At: at, Kind: lifecycle.KindSale, Key: "customer/c1/sale/s2", Outcome: workflows.OutcomeDeferred, Until: at.AddDate(0, 0, 7), Reason: "min_gap 7d"},
			{At: at, Kind: lifecycle.KindSeason, Key: "customer/c1/season/autumn", Outcome: workflows.OutcomeHeldOut, Code: lifecycle.ReasonHeldOut,
				Reason: "“New in” held out: in the 10% control group of season"},
		},
	}
	var out bytes.Buffer
	writeExplanation(&out, st, at)
	for _, want := range []string{
		"Customer c1 is followed-up.",
		"The customer wants only these follow-ups: restock, sale.",
		"Contact policy: min_gap 7d 0h, quiet hours 21:00-08:00 in Europe/Amsterdam.",
		"restock (customer/c1/restock/p1): sent.",
		"sale (customer/c1/sale/s1): dropped (expired), not sent: the offer ran out.",
		"season (customer/c1/season/x): not sent (kind_opted_out): the customer chose not to receive season emails.", // recorded before codes
		"sale (customer/c1/sale/s2): waiting, goes out at 2026-03-08 09:30:00 UTC (in 7d 0h).",
		"deferred  min_gap 7d (until 2026-03-04 09:30:00 UTC)",
		"season (customer/c1/season/autumn): held out, not sent: the customer is in this follow-up's control group.",
		"held_out  “New in” held out: in the 10% control group of season",
	} {
		require.Contains(t, out.String(), want)
	}

	out.Reset()
	writeExplanation(&out, workflows.Status{CustomerID: "c2", Stage: workflows.StageUnsubscribed, ConsentSource: "unsubscribe-link", ConsentAt: at}, at)
	require.Contains(t, out.String(), "No marketing email goes out: consent was withdrawn (unsubscribe-link, 2026-03-01 09:30:00 UTC).")
	require.Contains(t, out.String(), "No follow-up has been decided yet.")
}
