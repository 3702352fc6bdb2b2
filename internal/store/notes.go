package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// NoteKind is what a customer stated: a referral, an exit or a complaint, or an answer by email to
// the feedback ask or the check-in.
type NoteKind string

const (
	NoteReferral  NoteKind = "referral"  // the customer brought in another customer
	NoteExit      NoteKind = "exit"      // the customer said they are leaving (Text: why)
	NoteComplaint NoteKind = "complaint" // the customer complained (a churn indicator)
	NoteFeedback  NoteKind = "feedback"  // the customer answered the feedback ask by email (Text: the answer)
	NoteCheckin   NoteKind = "checkin"   // the customer answered the check-in by email (Text: the answer)
)

// NoteKinds lists the kinds a note can have.
var NoteKinds = []NoteKind{NoteReferral, NoteExit, NoteComplaint, NoteFeedback, NoteCheckin}

// Note is one stated signal of a customer.
type Note struct {
	// ID is the idempotency key, chosen by the caller: adding a note with an ID already stored
	// adds nothing, so a repeated command does not count twice.
	ID         string
	CustomerID string
	Kind       NoteKind
	Text       string
	OccurredAt time.Time
}

// AddNote stores n once, keyed by n.ID, and returns the note as stored and whether it is new. The
// same ID again returns the first note unchanged; the same ID for another customer or kind is an
// error. An unknown customer is an error wrapping lifecycle.ErrNotFound.
func (s *DB) AddNote(ctx context.Context, n Note) (Note, bool, error) {
	return s.AddNoteOwing(ctx, n, nil)
}

// AddNoteOwing adds n as AddNote does and, when n is new, owes signal (if not nil) in the same
// transaction: a note recorded before owes nothing new.
func (s *DB) AddNoteOwing(ctx context.Context, n Note, signal *OwedSignal) (Note, bool, error) {
	if n.ID == "" {
		return Note{}, false, fmt.Errorf("add note for customer %s: empty note id", n.CustomerID)
	}
	if !slices.Contains(NoteKinds, n.Kind) {
		return Note{}, false, fmt.Errorf("add note %s: kind %q is not one of %v", n.ID, n.Kind, NoteKinds)
	}
	if n.OccurredAt.IsZero() {
		return Note{}, false, fmt.Errorf("add note %s: no time", n.ID)
	}
	var stored Note
	var isNew bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO customer_notes (id, customer_id, kind, text, occurred_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO NOTHING`, n.ID, n.CustomerID, string(n.Kind), n.Text, n.OccurredAt)
		if isForeignKeyViolation(err) {
			return notFound("customer", n.CustomerID)
		}
		if err != nil {
			return err
		}
		isNew = tag.RowsAffected() == 1
		var kind string
		err = tx.QueryRow(ctx, `SELECT id, customer_id, kind, text, occurred_at FROM customer_notes WHERE id = $1`, n.ID).
			Scan(&stored.ID, &stored.CustomerID, &kind, &stored.Text, &stored.OccurredAt)
		if err != nil {
			return err
		}
		stored.Kind = NoteKind(kind)
		if stored.CustomerID != n.CustomerID || stored.Kind != n.Kind {
			return fmt.Errorf("note id %q is already used for a %s note of customer %s", n.ID, stored.Kind, stored.CustomerID)
		}
		if isNew && signal != nil {
			_, err := owe(ctx, tx, *signal)
			return err
		}
		return nil
	})
	if err != nil {
		return Note{}, false, fmt.Errorf("add note %s: %w", n.ID, err)
	}
	return stored, isNew, nil
}

// Notes returns the customer's notes, oldest first.
func (s *DB) Notes(ctx context.Context, customerID string) ([]Note, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, customer_id, kind, text, occurred_at FROM customer_notes
		WHERE customer_id = $1 ORDER BY occurred_at, id COLLATE "C"`, customerID)
	if err != nil {
		return nil, fmt.Errorf("read the notes of customer %s: %w", customerID, err)
	}
	notes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Note, error) {
		var n Note
		var kind string
		err := r.Scan(&n.ID, &n.CustomerID, &kind, &n.Text, &n.OccurredAt)
		n.Kind = NoteKind(kind)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the notes of customer %s: %w", customerID, err)
	}
	return notes, nil
}
