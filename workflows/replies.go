package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Replies by email: an answer to the exit question, the feedback ask or the check-in, recorded as
// a note by the event layer (internal/events, Reply) and signalled here. The workflow keeps the
// last few for the status query and hands a reply that asks for contact to the shop. The reply
// signal is new, so no history recorded before holds it: no version gate (docs/VERSIONING.md).

// maxReplies bounds the replies the state keeps.
const maxReplies = 10

// Reply is one reply to a question email, as the status query shows it.
type Reply struct {
	At            time.Time      `json:"at"`
	NoteID        string         `json:"note_id"`
	Key           string         `json:"key"` // the send key of the email answered
	Kind          lifecycle.Kind `json:"kind"`
	Text          string         `json:"text"`
	ContactPhrase string         `json:"contact_phrase,omitempty"` // asks for contact: a hand-off
}

// questionOf names what an email of kind k asked, for people.
func questionOf(k lifecycle.Kind) string {
	switch k {
	case lifecycle.KindExit:
		return "the exit question"
	case lifecycle.KindFeedback:
		return "the feedback ask"
	case lifecycle.KindCheckin:
		return "the check-in"
	}
	return "a " + string(k) + " email"
}

// onReply records a reply and, when it asks for contact, opens a hand-off to the shop (one per
// answered email while it is open).
func (l *lifecycleRun) onReply(ctx workflow.Context, sig ReplySignal) {
	s, now := l.state, workflow.Now(ctx)
	if sig.NoteID == "" || slices.ContainsFunc(s.Replies, func(r Reply) bool { return r.NoteID == sig.NoteID }) {
		l.decide(Decision{At: now, Kind: sig.Kind, Key: sig.Key, Outcome: OutcomeIgnored, Code: lifecycle.ReasonDuplicate,
			Reason: fmt.Sprintf("reply %q already recorded or without id", sig.NoteID)})
		return
	}
	text := sig.Text
	if len(text) > MaxReplyText {
		text = text[:MaxReplyText] // the sender cuts on a rune boundary; this only guards the state's size
	}
	r := Reply{At: eventTime(ctx, sig.At), NoteID: sig.NoteID, Key: sig.Key, Kind: sig.Kind, Text: text, ContactPhrase: sig.ContactPhrase}
	s.Replies = appendBounded(s.Replies, r, maxReplies)
	what := fmt.Sprintf("the customer replied to %s: “%s”", questionOf(sig.Kind), excerpt(text, 120))
	if sig.ContactPhrase == "" {
		l.decide(Decision{At: now, Kind: sig.Kind, Key: sig.Key, Outcome: OutcomeAccepted, Code: lifecycle.ReasonNone, Reason: what})
		return
	}
	l.decide(Decision{At: now, Kind: sig.Kind, Key: sig.Key, Outcome: OutcomeAccepted, Code: lifecycle.ReasonNone,
		Reason: what + fmt.Sprintf(" (asks for contact: %q)", sig.ContactPhrase)})
	l.openHandoff(ctx, lifecycle.HandoffContactAsked, sig.Key+"/reply",
		fmt.Sprintf("replied to %s and asks to be contacted (%q): “%s”", questionOf(sig.Kind), sig.ContactPhrase, excerpt(text, 200)))
}

// excerpt is s cut to about n bytes on a rune boundary, with an ellipsis when cut.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s[:n])
	return string(r[:len(r)-1]) + "…"
}
