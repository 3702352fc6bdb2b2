package workflows_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/sendinggate"
	"github.com/tailorhq/tailor/workflows"
)

// From the review of issue #13: a follow-up with an end (a restock wish's window) held by a pause that
// outlasts it is dropped as expired at its end, not sent late and not failed.
func TestHeldFollowUpIsDroppedWhenItExpires(t *testing.T) {
	st := newStore(t)
	gate, err := sendinggate.New(context.Background(),
		sendinggate.Config{ProbeInterval: time.Nanosecond, HoldMin: day, HoldMax: day}, sendinggate.Deps{Store: st})
	require.NoError(t, err)
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(storyStart)
	env.SetTestTimeout(2 * time.Minute)
	mailer := &refusingMailer{refusals: 1 << 30} // the key is never fixed
	h := &harness{t: t, env: env, store: st}
	env.RegisterWorkflow(workflows.CustomerLifecycle)
	env.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t), Gate: gate})

	h.purchase(0, "p1", "TR-BLUE-50", "grey") // the wish ends 60 days later
	h.restock(14*day, "TR-GREY-50")
	h.requireCanceled(h.runUntil(70*day, workflows.CustomerLifecycleInput{CustomerID: "david", Version: workflows.CurrentVersion}))

	require.Empty(t, mailer.sent(), "nothing goes out while the key is refused")
	for _, p := range h.status.Pending {
		require.NotEqual(t, lifecycle.KindRestock, p.Kind, "the expired restock is still pending: %+v", p)
	}
	require.Empty(t, decisions(h.status, workflows.OutcomeFailed), "no follow-up fails for a refused key: %+v", h.status.Decisions)
	dropped := decisions(h.status, workflows.OutcomeDropped)
	require.Len(t, dropped, 1, "the restock dropped once: %+v", h.status.Decisions)
	require.Contains(t, dropped[0].Reason, "expired", "reason %q", dropped[0].Reason)
	require.False(t, dropped[0].At.After(storyStart.Add(60*day+time.Second)), "dropped at its end (day 60), not at a later try: %s", dropped[0].At)
	require.True(t, strings.Contains(decisions(h.status, workflows.OutcomeDeferred)[0].Reason, "sending paused"), "held before")
}
