package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// recordingWebhook stands in for the shop's own systems behind SHOP_WEBHOOK_URL.
type recordingWebhook struct {
	mu     sync.Mutex
	events []activities.HandoffEvent
}

func (w *recordingWebhook) Post(_ context.Context, deliveryID string, body []byte) error {
	var ev activities.HandoffEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events = append(w.events, ev)
	return nil
}

func (w *recordingWebhook) posted() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, ev := range w.events {
		out = append(out, fmt.Sprintf("%s %d", ev.Event, ev.Reminder))
	}
	return out
}

// shopNotices returns the subjects of the emails to the shop, in order.
func shopNotices(mails []lifecycle.Email) []string {
	var out []string
	for _, m := range mails {
		if m.Kind == activities.KindShopNotice {
			out = append(out, m.ToEmail+": "+m.Subject)
		}
	}
	return out
}

// "Yes, I'm interested" hands the customer to the shop: one notice (email and webhook), then a
// reminder after handoff_remind_after and one more after as long again, unless the shop marks it
// done first (the signal from `starter tasks done`, or the row alone when the signal is late).
// Time skipping carries the workflow over the days.
func TestHandoffRemindsTheShopUntilDone(t *testing.T) {
	const (
		offerKey = "customer/anna/offer/data_mb/20260204T100000Z"
		handoff  = "handoff/anna/" + offerKey
		shop     = "shop@tailor.example"
		accepted = 46*day + time.Hour // the offer goes out on day 46
	)
	tests := []struct {
		name string
		// doneAt closes the hand-off this long after it opened: by signal, or in PostgreSQL only.
		doneAt       time.Duration
		doneBySignal bool
		wantNotices  []string
		wantPosted   []string
		wantOpen     bool
	}{
		{name: "never done", wantOpen: true,
			wantNotices: []string{"Hand-off", "Reminder 1", "Reminder 2"},
			wantPosted:  []string{"handoff.opened 0", "handoff.reminder 1", "handoff.reminder 2"}},
		{name: "done after the first reminder", doneAt: 3 * day, doneBySignal: true,
			wantNotices: []string{"Hand-off", "Reminder 1"},
			wantPosted:  []string{"handoff.opened 0", "handoff.reminder 1"}},
		{name: "done in PostgreSQL, signal not yet delivered", doneAt: day,
			wantNotices: []string{"Hand-off"},
			wantPosted:  []string{"handoff.opened 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := telecomStore(t)
			hook := &recordingWebhook{}
			policy := telecomPolicy()
			policy.HandoffRemindAfter = 2 * day
			h := newHarnessWith(t, st, policy, storyStart, func(a *activities.Activities) {
				a.ShopEmail, a.ShopWebhook = shop, hook
			})
			h.usage(0, 0)
			h.usage(16*day, 800)
			h.usage(29*day, 900)
			h.usage(30*day, 10)
			h.usage(46*day, 810)
			var res workflows.InterestedResult
			h.interested(accepted, offerKey, &res)
			if tt.doneAt > 0 {
				h.at(accepted+tt.doneAt, func() {
					_, closed, err := st.CompleteHandoffOwing(context.Background(), handoff, storyStart.Add(accepted+tt.doneAt),
						func(lifecycle.Handoff) (store.OwedSignal, error) {
							return store.OwedSignal{EventID: "handoff-done/" + handoff, CustomerID: "anna", Signal: workflows.SignalHandoffDone}, nil
						})
					require.NoError(t, err, "%s: complete %s", tt.name, handoff)
					require.True(t, closed, "%s: %s was open", tt.name, handoff)
					if tt.doneBySignal {
						h.env.SignalWorkflow(workflows.SignalHandoffDone, workflows.HandoffDoneSignal{HandoffID: handoff})
					}
				})
			}
			h.requireCanceled(h.runUntil(accepted+10*day, workflows.CustomerLifecycleInput{CustomerID: "anna"}))

			notices := shopNotices(h.mailer.sent())
			require.Len(t, notices, len(tt.wantNotices), "%s: shop emails %v", tt.name, notices)
			for i, want := range tt.wantNotices {
				require.Contains(t, notices[i], shop+": "+want, "%s: shop email %d", tt.name, i)
			}
			require.Equal(t, tt.wantPosted, hook.posted(), "%s: webhook posts", tt.name)

			row, err := st.Handoff(context.Background(), handoff)
			require.NoError(t, err, "%s: the hand-off row", tt.name)
			require.Equal(t, lifecycle.HandoffOfferAccepted, row.Kind)
			require.Equal(t, storyStart.Add(accepted), row.CreatedAt, "%s: opened when the customer said yes", tt.name)
			require.Equal(t, len(tt.wantNotices)-1, row.Reminded, "%s: reminders recorded", tt.name)
			if tt.wantOpen {
				require.Len(t, h.status.Handoffs, 1, "%s: status lists the open hand-off", tt.name)
				got := h.status.Handoffs[0]
				require.Equal(t, handoff, got.ID)
				require.True(t, got.Overdue, "%s: open for 10 days with a 2-day horizon is overdue", tt.name)
				require.Equal(t, 2, got.Reminded)
			} else {
				require.Empty(t, h.status.Handoffs, "%s: a hand-off done is no longer held", tt.name)
			}
		})
	}
}

// An unhappy check-in hands the customer to the shop's service desk, and the status shows it open
// but not yet overdue within the horizon.
func TestUnhappyCheckinOpensAHandoff(t *testing.T) {
	st := newStore(t)
	policy := lifecycle.DefaultPolicy()
	policy.Care = []lifecycle.CarePlan{{Category: "trousers", CheckinAfter: 10 * day}}
	h := newHarnessWith(t, st, policy, storyStart, func(a *activities.Activities) { a.ShopEmail = "shop@tailor.example" })
	h.purchase(0, "p1", "TR-BLUE-50", "")
	checkinKey := lifecycle.SendKey("david", lifecycle.KindCheckin, "p1")
	h.at(11*day, func() {
		h.env.UpdateWorkflow(workflows.UpdateCheckin, "", &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { require.NoError(t, err, "answer %s", checkinKey) },
			OnComplete: func(_ any, err error) { require.NoError(t, err, "answer %s", checkinKey) },
		}, workflows.CheckinAnswer{CheckinKey: checkinKey, Happy: false})
	})
	h.requireCanceled(h.runUntil(12*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.Len(t, h.status.Handoffs, 1, "decisions: %+v", h.status.Decisions)
	got := h.status.Handoffs[0]
	require.Equal(t, lifecycle.HandoffID("david", checkinKey), got.ID)
	require.Equal(t, lifecycle.HandoffUnhappy, got.Kind)
	require.False(t, got.Overdue, "one day open of two")
	require.Equal(t, storyStart.Add(11*day+2*day), got.RemindAt)
	require.Len(t, shopNotices(h.mailer.sent()), 1, "one notice, no reminder yet")
}
