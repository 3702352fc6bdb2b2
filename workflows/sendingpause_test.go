package workflows_test

import (
	"context"
	"fmt"
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

// refusingMailer refuses the API key for its first refusals sends, as SendGrid answers a revoked
// key, then accepts.
type refusingMailer struct {
	recordingMailer
	refusals int
	calls    int
}

func (m *refusingMailer) Send(ctx context.Context, e lifecycle.Email) (string, error) {
	m.mu.Lock()
	m.calls++
	refuse := m.calls <= m.refusals
	m.mu.Unlock()
	if refuse {
		return "", &lifecycle.SendError{Status: 401, Message: "The provided authorization grant is invalid, expired, or revoked", AuthRefused: true}
	}
	return m.recordingMailer.Send(ctx, e)
}

// A refused API key holds the follow-up in the workflow, however long it lasts (longer than the
// send's 24 h ScheduleToCloseTimeout too), and the email goes out once when the key works again.
func TestSendingPauseHoldsTheFollowUpUntilTheKeyWorks(t *testing.T) {
	for _, refusals := range []int{1, 3, 30} {
		t.Run(fmt.Sprintf("%d refusals", refusals), func(t *testing.T) {
			st := newStore(t)
			gate, err := sendinggate.New(context.Background(),
				// Every attempt probes; a held follow-up waits an hour of workflow time.
				sendinggate.Config{ProbeInterval: time.Nanosecond, HoldMin: time.Hour, HoldMax: time.Hour},
				sendinggate.Deps{Store: st})
			require.NoError(t, err)
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := suite.NewTestWorkflowEnvironment()
			env.SetStartTime(storyStart)
			env.SetTestTimeout(2 * time.Minute)
			mailer := &refusingMailer{refusals: refusals}
			h := &harness{t: t, env: env, store: st}
			env.RegisterWorkflow(workflows.CustomerLifecycle)
			env.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t), Gate: gate})

			h.purchase(0, "p1", "TR-BLUE-50", "grey")
			h.restock(14*day, "TR-GREY-50")
			h.requireCanceled(h.runUntil(20*day, workflows.CustomerLifecycleInput{CustomerID: "david", Version: workflows.CurrentVersion}))

			require.Len(t, mailer.sent(), 1, "one restock email after %d refusals", refusals)
			require.Len(t, h.status.Emails, 1)
			want := storyStart.Add(14*day + time.Duration(refusals)*time.Hour)
			require.Equal(t, want, h.status.Emails[0].SentAt, "sent on the first try after the key works, %d hours after it was due", refusals)
			for _, p := range h.status.Pending {
				require.NotEqual(t, lifecycle.KindRestock, p.Kind, "the restock follow-up is still pending: %+v", p)
			}
			require.Empty(t, decisions(h.status, workflows.OutcomeFailed), "no follow-up fails for a refused key: %+v", h.status.Decisions)
			held := decisions(h.status, workflows.OutcomeDeferred)
			require.Len(t, held, 1, "one held decision, brought up to date per try: %+v", h.status.Decisions)
			require.True(t, strings.HasPrefix(held[0].Reason, "held, tries again then: sending paused since"), "reason %q", held[0].Reason)
			require.Contains(t, held[0].Reason, "401")
			require.Equal(t, want, held[0].Until, "the last hold ends when the email goes out")
			require.Equal(t, lifecycle.ReasonSendingPaused, held[0].Code, "the held decision carries its code")

			_, paused, err := st.SendingPause(context.Background())
			require.NoError(t, err)
			require.False(t, paused, "the accepted email ends the pause")
		})
	}
}
