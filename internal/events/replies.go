package events

import (
	"context"
	"fmt"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/replies"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// Reply is a verified reply by email to a question email (internal/sendgrid/inboundparse checked
// its reply address).
type Reply struct {
	// NoteID is the idempotency key (EventID note/<NoteID>): the same reply posted again records
	// nothing new.
	NoteID     string
	CustomerID string
	SendKey    string         // the email answered
	Kind       lifecycle.Kind // its kind: exit, feedback or checkin
	Text       string         // the reply without the quoted email; at most MaxNoteText bytes
	At         time.Time      // zero: now
}

// MaxNoteText is the most of a reply's text kept in its note, as for `starter note --text`.
const MaxNoteText = 2000

// noteKindOfReply is the note a reply to an email of kind k becomes: the reason of an exit, the
// answer to the feedback ask or to the check-in.
func noteKindOfReply(k lifecycle.Kind) (store.NoteKind, error) {
	switch k {
	case lifecycle.KindExit:
		return store.NoteExit, nil
	case lifecycle.KindFeedback:
		return store.NoteFeedback, nil
	case lifecycle.KindCheckin:
		return store.NoteCheckin, nil
	}
	return "", fmt.Errorf("a reply to a %q email: only the exit question, the feedback ask and the check-in take replies", k)
}

// ReplyResult is what became of a reply.
type ReplyResult struct {
	Result
	Note store.Note
	// Contact is set when the reply asks the shop to get in touch: the workflow opens a hand-off.
	Contact *replies.ContactAsk
}

// Reply records the reply as a note of the kind its email asked for (an exit note counts at the
// next segment recompute, as `starter note --kind exit` does) and owes the reply signal
// (note/<NoteID>) in the same transaction, then delivers it: the workflow shows it in status and
// opens a hand-off when the reply asks for contact (replies.AsksContact). A reply recorded before
// owes nothing new.
func (s *Service) Reply(ctx context.Context, r Reply) (ReplyResult, error) {
	if err := checkIDs("note", r.NoteID, r.CustomerID); err != nil {
		return ReplyResult{}, err
	}
	kind, err := noteKindOfReply(r.Kind)
	if err != nil {
		return ReplyResult{}, fmt.Errorf("reply %s: %w", r.NoteID, err)
	}
	if r.SendKey == "" {
		return ReplyResult{}, fmt.Errorf("reply %s of customer %s: no send key", r.NoteID, r.CustomerID)
	}
	at := r.At.UTC()
	if r.At.IsZero() {
		at = s.now().UTC()
	}
	text, _ := replies.Cut(r.Text, MaxNoteText)
	sigText, _ := replies.Cut(text, workflows.MaxReplyText)
	out := ReplyResult{}
	sig := workflows.ReplySignal{NoteID: r.NoteID, Key: r.SendKey, Kind: r.Kind, Text: sigText, At: at}
	if ask, ok := replies.AsksContact(text); ok {
		out.Contact = &ask
		sig.ContactPhrase = ask.Phrase
	}
	o, err := owed(NoteEventID(r.NoteID), r.CustomerID, workflows.SignalReply, sig)
	if err != nil {
		return ReplyResult{}, err
	}
	n, isNew, err := s.store.AddNoteOwing(ctx, store.Note{ID: r.NoteID, CustomerID: r.CustomerID, Kind: kind, Text: text, OccurredAt: at}, &o)
	if err != nil {
		return ReplyResult{}, err
	}
	out.Note = n
	out.Result = Result{EventID: NoteEventID(r.NoteID), New: isNew}
	if isNew {
		out.Delivered, out.DeliveryError = s.deliver(ctx, r.CustomerID)
	}
	return out, nil
}
