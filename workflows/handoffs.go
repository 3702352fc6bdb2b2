package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Hand-offs: an accepted offer and an unhappy check-in are work for the shop. The workflow opens a
// hand-off (a row in PostgreSQL and a notice to the shop, NotifyHandoff), holds it while it is open
// and reminds the shop after handoff_remind_after, then once more, until `starter tasks done`
// signals SignalHandoffDone. Each open hand-off is watched by its own coroutine, so a shop webhook
// that is down for hours holds up no follow-up.

// handoffsChange is the change id of hand-offs (docs/VERSIONING.md): opening one runs activities
// and timers that histories recorded before never had.
const handoffsChange = "handoffs"

// OpenHandoff is a hand-off the workflow holds: Notified once the first notice went out (or
// failed for good).
type OpenHandoff struct {
	lifecycle.Handoff
	Notified bool `json:"notified,omitempty"`
}

// HandoffStatus is an open hand-off in the status query.
type HandoffStatus struct {
	lifecycle.Handoff
	// RemindAt is when the shop is reminded next; zero when every reminder went out.
	RemindAt time.Time `json:"remind_at,omitzero"`
	// Overdue: open for longer than handoff_remind_after.
	Overdue bool `json:"overdue"`
}

// handoffsOn reports whether this workflow opens hand-offs: a GetVersion marker at the first
// hand-off of a run, which histories recorded before never reach with the marker.
func (l *lifecycleRun) handoffsOn(ctx workflow.Context) bool {
	if !l.handoffsChecked {
		l.handoffs = workflow.GetVersion(ctx, handoffsChange, workflow.DefaultVersion, 1) == 1
		l.handoffsChecked = true
	}
	return l.handoffs
}

// openHandoff hands the answer with key (an accepted offer, an unhappy check-in) to the shop.
func (l *lifecycleRun) openHandoff(ctx workflow.Context, kind lifecycle.HandoffKind, key, what string) {
	if !l.handoffsOn(ctx) {
		return
	}
	s, now := l.state, workflow.Now(ctx)
	id := lifecycle.HandoffID(s.CustomerID, key)
	if l.findHandoff(id) != nil {
		return
	}
	s.Handoffs = append(s.Handoffs, OpenHandoff{Handoff: lifecycle.Handoff{ID: id, CustomerID: s.CustomerID, Kind: kind, What: what, CreatedAt: now}})
	l.decide(Decision{At: now, Key: id, Outcome: OutcomeScheduled, Until: now.Add(l.policy.RemindAfter()), Code: lifecycle.ReasonNone,
		Reason: fmt.Sprintf("hand-off to the shop (%s): %s; reminder if still open after %s", kind, what, formatDuration(l.policy.RemindAfter()))})
	l.watchHandoff(ctx, id)
}

func (l *lifecycleRun) findHandoff(id string) *OpenHandoff {
	i := slices.IndexFunc(l.state.Handoffs, func(h OpenHandoff) bool { return h.ID == id })
	if i < 0 {
		return nil
	}
	return &l.state.Handoffs[i]
}

func (l *lifecycleRun) closeHandoff(id string) {
	l.state.Handoffs = slices.DeleteFunc(l.state.Handoffs, func(h OpenHandoff) bool { return h.ID == id })
}

// watchHandoff notifies the shop of hand-off id, then reminds it at most MaxHandoffReminders
// times, handoff_remind_after apart, until the hand-off is done.
func (l *lifecycleRun) watchHandoff(ctx workflow.Context, id string) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			h := l.findHandoff(id)
			if h == nil {
				return
			}
			if !h.Notified {
				_, err := l.notifyHandoff(ctx, h.Handoff, 0)
				if h = l.findHandoff(id); h == nil {
					return
				}
				h.Notified = true
				if err != nil {
					l.decide(Decision{At: workflow.Now(ctx), Key: id, Outcome: OutcomeFailed, Code: lifecycle.ReasonOther, Reason: "notify the shop of the hand-off: " + err.Error()})
				}
				continue
			}
			if h.Reminded >= lifecycle.MaxHandoffReminders {
				return
			}
			if wait := h.RemindAt(l.policy.RemindAfter()).Sub(workflow.Now(ctx)); wait > 0 {
				if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return l.findHandoff(id) == nil }); err != nil {
					return // the workflow is cancelled
				}
				continue
			}
			n := h.Reminded + 1
			res, err := l.notifyHandoff(ctx, h.Handoff, n)
			if h = l.findHandoff(id); h == nil {
				return
			}
			now := workflow.Now(ctx)
			switch {
			case err == nil && res.Done:
				l.closeHandoff(id)
				l.decide(Decision{At: now, Key: id, Outcome: OutcomeDropped, Code: lifecycle.ReasonNone, Reason: "hand-off done by the shop; no reminder"})
				return
			case err != nil:
				l.decide(Decision{At: now, Key: id, Outcome: OutcomeFailed, Code: lifecycle.ReasonOther, Reason: fmt.Sprintf("remind the shop (%d) of the hand-off: %v", n, err)})
			default:
				l.decide(Decision{At: now, Key: id, Outcome: OutcomeSent, Code: lifecycle.ReasonNone, Reason: fmt.Sprintf("reminded the shop (%d of %d): the hand-off is still open", n, lifecycle.MaxHandoffReminders)})
			}
			h.Reminded = n
		}
	})
}

// notifyHandoff runs NotifyHandoff, retried until the shop's systems accept it (a webhook that is
// down is waited for); a permanent refusal comes back as the error.
func (l *lifecycleRun) notifyHandoff(ctx workflow.Context, h lifecycle.Handoff, reminder int) (activities.NotifyHandoffResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 10 * time.Minute},
	})
	var res activities.NotifyHandoffResult
	err := workflow.ExecuteActivity(actx, a.NotifyHandoff, activities.NotifyHandoffInput{Handoff: h, Reminder: reminder, RemindAfter: l.policy.RemindAfter()}).Get(ctx, &res)
	return res, err
}

// onHandoffDone stops the reminders of a hand-off the shop closed.
func (l *lifecycleRun) onHandoffDone(ctx workflow.Context, sig HandoffDoneSignal) {
	now := workflow.Now(ctx)
	if l.findHandoff(sig.HandoffID) == nil {
		l.decide(Decision{At: now, Key: sig.HandoffID, Outcome: OutcomeIgnored, Code: lifecycle.ReasonDuplicate, Reason: "hand-off done: not open here (done before, or unknown)"})
		return
	}
	l.closeHandoff(sig.HandoffID)
	l.decide(Decision{At: now, Key: sig.HandoffID, Outcome: OutcomeAccepted, Code: lifecycle.ReasonNone, Reason: "hand-off done by the shop"})
}

// onRecall drops the recalled campaign's follow-up if it still waits, and makes sure it is never
// queued later; one already sent stays sent.
func (l *lifecycleRun) onRecall(ctx workflow.Context, sig RecallSignal) {
	s, now := l.state, workflow.Now(ctx)
	i := slices.IndexFunc(s.Pending, func(f lifecycle.FollowUp) bool { return f.Key == sig.Key })
	if i >= 0 {
		l.drop(now, s.Pending[i], lifecycle.ReasonRecalled, "recalled by the shop: campaign "+sig.Campaign+" cancelled")
		return
	}
	if !s.known(sig.Key) {
		s.markDone(sig.Key)
	}
	l.decide(Decision{At: now, Key: sig.Key, Outcome: OutcomeIgnored, Code: lifecycle.ReasonRecalled,
		Reason: "recall of campaign " + sig.Campaign + ": nothing of it waits here (sent, dropped or never queued)"})
}

// handoffStatus lists the open hand-offs for the status query, oldest first.
func (l *lifecycleRun) handoffStatus(now time.Time) []HandoffStatus {
	var out []HandoffStatus
	after := l.policy.RemindAfter()
	for _, h := range l.state.Handoffs {
		st := HandoffStatus{Handoff: h.Handoff, Overdue: now.After(h.CreatedAt.Add(after))}
		if h.Reminded < lifecycle.MaxHandoffReminders {
			st.RemindAt = h.RemindAt(after)
		}
		out = append(out, st)
	}
	return out
}
