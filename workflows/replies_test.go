package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// A reply to a question email shows in status; one that asks for contact hands the customer to
// the shop (kind contact-asked), and the same reply heard twice (a relay that crashed after
// delivering) changes nothing more.
func TestReplyShowsInStatusAndAsksForContact(t *testing.T) {
	st := newStore(t)
	h := newHarnessWith(t, st, lifecycle.DefaultPolicy(), storyStart, func(a *activities.Activities) { a.ShopEmail = "shop@tailor.example" })
	exitKey := lifecycle.SendKey("david", lifecycle.KindExit, "20260110")
	checkinKey := lifecycle.SendKey("david", lifecycle.KindCheckin, "p1")
	moved := workflows.ReplySignal{NoteID: "reply-1", Key: exitKey, Kind: lifecycle.KindExit, Text: "Moved to Ghent.", At: storyStart.Add(day)}
	callMe := workflows.ReplySignal{NoteID: "reply-2", Key: checkinKey, Kind: lifecycle.KindCheckin, Text: "Too long. Kunt u mij bellen?",
		ContactPhrase: "mij bellen", At: storyStart.Add(2 * day)}
	h.signal(day, workflows.SignalReply, moved)
	h.signal(2*day, workflows.SignalReply, callMe)
	h.signal(2*day+time.Hour, workflows.SignalReply, callMe) // heard twice
	h.requireCanceled(h.runUntil(3*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.Len(t, h.status.Replies, 2, "status lists each reply once; decisions %+v", h.status.Decisions)
	require.Equal(t, "Moved to Ghent.", h.status.Replies[0].Text)
	require.Equal(t, lifecycle.KindExit, h.status.Replies[0].Kind)
	require.Empty(t, h.status.Replies[0].ContactPhrase)
	require.Equal(t, "mij bellen", h.status.Replies[1].ContactPhrase)

	require.Len(t, h.status.Handoffs, 1, "only the reply that asks for contact opens a hand-off")
	got := h.status.Handoffs[0]
	require.Equal(t, lifecycle.HandoffID("david", checkinKey+"/reply"), got.ID)
	require.Equal(t, lifecycle.HandoffContactAsked, got.Kind)
	require.Contains(t, got.What, "Kunt u mij bellen?")
	notices := shopNotices(h.mailer.sent())
	require.Len(t, notices, 1, "one notice to the shop: %v", notices)
	require.Contains(t, notices[0], "asks to be contacted")
	row, err := st.Handoff(context.Background(), got.ID)
	require.NoError(t, err, "the hand-off row")
	require.Equal(t, lifecycle.HandoffContactAsked, row.Kind)

	var ignored int
	for _, d := range h.status.Decisions {
		if d.Key == checkinKey && d.Outcome == workflows.OutcomeIgnored && d.Code == lifecycle.ReasonDuplicate {
			ignored++
		}
	}
	require.Equal(t, 1, ignored, "the repeated reply is ignored once: %+v", h.status.Decisions)
}
