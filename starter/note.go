package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

const noteDetails = `A note is what the customer told the shop. referral: they brought in another customer (--text
says whom); exit: they said they are leaving (--text says why); complaint: they complained
(--text says about what). Referrals and exits count at the next segment recompute (nightly, or
starter segments recompute); a complaint also goes to the customer's workflow at once, as a churn
indicator. Each note is stored once under its id: without --id the id is made from the customer,
the kind, today's date (UTC) and the text, so repeating the same command the same day counts once.
Give --id (e.g. the ticket number) to tell apart two notes with the same text on one day.`

// statedNoteKinds are the notes a person records with `starter note`; feedback and check-in notes
// come from replies by email (internal/sendgrid/inboundparse).
var statedNoteKinds = []store.NoteKind{store.NoteReferral, store.NoteExit, store.NoteComplaint}

func runNote(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	customerID := fs.String("customer", "", "`ID` of the customer (required)")
	kind := fs.String("kind", "", "what the customer stated: `referral|exit|complaint` (required)")
	text := fs.String("text", "", "who was referred, why they leave, or what the complaint is about")
	idFlag := fs.String("id", "", "`NOTE_ID`, e.g. a ticket number; repeating an id records nothing new (default: made from customer, kind, day and text)")
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	var p problems
	p.require("customer", "ID", *customerID)
	p.id("customer", strings.TrimSpace(*customerID))
	if err := lifecycle.CheckText("--text", *text, lifecycle.MaxNoteLen); err != nil {
		p.addf("%v", err)
	}
	k := store.NoteKind(strings.ToLower(strings.TrimSpace(*kind)))
	switch {
	case *kind == "":
		p.addf("missing --kind referral|exit|complaint")
	case !slices.Contains(statedNoteKinds, k):
		p.addf("--kind %q is not one of referral, exit, complaint", *kind)
	}
	if flagSet(fs, "id") {
		p.require("id", "NOTE_ID", *idFlag)
		p.id("id", strings.TrimSpace(*idFlag))
	}
	if err := p.err(); err != nil {
		return err
	}
	now := a.now().UTC()
	n := store.Note{
		ID:         strings.TrimSpace(*idFlag),
		CustomerID: strings.TrimSpace(*customerID),
		Kind:       k,
		Text:       strings.TrimSpace(*text),
		OccurredAt: now,
	}
	if n.ID == "" {
		n.ID = noteID(n.CustomerID, n.Kind, n.Text, now)
	}

	ev, _, err := a.events(ctx)
	if err != nil {
		return err
	}
	// A complaint owes the workflow its signal in the note's transaction (event note/<id>): a
	// repeated command owes nothing new, and one whose signal failed is delivered by the worker.
	stored, res, err := ev.Note(ctx, n)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return fmt.Errorf("no customer %q in the database: check the id or import it first (starter import customers FILE.csv)", n.CustomerID)
	}
	if err != nil {
		return explainStoreError(err)
	}
	what := fmt.Sprintf("%s note %s for customer %s", stored.Kind, stored.ID, stored.CustomerID)
	if !res.New {
		what = fmt.Sprintf("%s was already recorded on %s; nothing new counted", what, stored.OccurredAt.UTC().Format(timeLayout))
	} else {
		what = "recorded " + what
	}
	if stored.Kind != store.NoteComplaint {
		fmt.Fprintf(a.stdout, "%s; it counts at the next segment recompute (nightly, or starter segments recompute)\n", what)
		return nil
	}
	switch {
	case !res.New:
		fmt.Fprintf(a.stdout, "%s\n", what)
	case res.DeliveryError != nil:
		return fmt.Errorf("%s, but the workflow was not told yet (the worker tells it within %s once Temporal answers): %w", what, relayInterval, res.DeliveryError)
	default:
		fmt.Fprintf(a.stdout, "%s; told workflow %s\n", what, workflows.CustomerWorkflowID(stored.CustomerID))
	}
	return nil
}

// noteID derives a note's id when the caller gives none: the same customer, kind, text and day
// (UTC) give the same id, so a repeated command is one note. The text is hashed to keep the id
// short and free of whatever the text holds.
func noteID(customerID string, kind store.NoteKind, text string, at time.Time) string {
	sum := sha256.Sum256([]byte(customerID + "\x00" + string(kind) + "\x00" + text))
	return fmt.Sprintf("note/%s/%s/%s/%s", customerID, kind, at.UTC().Format("20060102"), hex.EncodeToString(sum[:8]))
}
