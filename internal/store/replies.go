package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// ReplyAddress is what a reply address (reply+<Ref>@REPLY_DOMAIN) was made for: the email with
// SendKey of Kind, sent to CustomerID.
type ReplyAddress struct {
	Ref        string
	CustomerID string
	SendKey    string
	Kind       lifecycle.Kind
}

// RememberReplyAddress records a once, keyed by a.Ref: the send activity calls it before every
// attempt to send the email, so a retry changes nothing. The same ref for another customer or
// send key is an error (it cannot happen with refs made by links.Signer.ReplyRef). An unknown
// customer is an error wrapping lifecycle.ErrNotFound.
func (s *DB) RememberReplyAddress(ctx context.Context, a ReplyAddress) error {
	if a.Ref == "" || a.CustomerID == "" || a.SendKey == "" {
		return fmt.Errorf("remember reply address %q of customer %q for %q: ref, customer and send key are required", a.Ref, a.CustomerID, a.SendKey)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO reply_addresses (ref, customer_id, send_key, kind) VALUES ($1, $2, $3, $4)
		ON CONFLICT (ref) DO NOTHING`, a.Ref, a.CustomerID, a.SendKey, string(a.Kind))
	if isForeignKeyViolation(err) {
		return notFound("customer", a.CustomerID)
	}
	if err != nil {
		return fmt.Errorf("remember reply address of %s: %w", a.SendKey, err)
	}
	got, err := s.ReplyAddress(ctx, a.Ref)
	if err != nil {
		return err
	}
	if got.CustomerID != a.CustomerID || got.SendKey != a.SendKey {
		return fmt.Errorf("reply address %s is already used for %s of customer %s", a.Ref, got.SendKey, got.CustomerID)
	}
	return nil
}

// ReplyAddress returns what the reply address with ref was made for, or an error wrapping
// lifecycle.ErrNotFound.
func (s *DB) ReplyAddress(ctx context.Context, ref string) (ReplyAddress, error) {
	a := ReplyAddress{Ref: ref}
	var kind string
	err := s.pool.QueryRow(ctx, `SELECT customer_id, send_key, kind FROM reply_addresses WHERE ref = $1`, ref).
		Scan(&a.CustomerID, &a.SendKey, &kind)
	if isNoRows(err) {
		return ReplyAddress{}, notFound("reply address", ref)
	}
	if err != nil {
		return ReplyAddress{}, fmt.Errorf("load reply address %s: %w", ref, err)
	}
	a.Kind = lifecycle.Kind(kind)
	return a, nil
}

// AdmitReply decides whether a reply to the reply address ref, received at, may be recorded: at
// most max replies per address per UTC day are. A reply admitted is counted on the address's row,
// atomically, so concurrent posts cannot pass the bound together. A reply whose note (noteID) is
// recorded already (SendGrid posting the same message again) is admitted without being counted,
// so that it is answered as recorded before. An unknown ref is not admitted.
func (s *DB) AdmitReply(ctx context.Context, ref, noteID string, at time.Time, max int) (bool, error) {
	var recorded bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customer_notes WHERE id = $1)`, noteID).Scan(&recorded); err != nil {
		return false, fmt.Errorf("admit reply %s: %w", noteID, err)
	}
	if recorded {
		return true, nil
	}
	// The row lock the UPDATE takes serialises concurrent replies to one address.
	tag, err := s.pool.Exec(ctx, `
		UPDATE reply_addresses SET
			replies_that_day = CASE WHEN replies_day = $2::date THEN replies_that_day + 1 ELSE 1 END,
			replies_day = $2::date
		WHERE ref = $1 AND (replies_day IS DISTINCT FROM $2::date OR replies_that_day < $3)`,
		ref, at.UTC().Format(time.DateOnly), max)
	if err != nil {
		return false, fmt.Errorf("admit reply %s: %w", noteID, err) // not the ref: the error is logged, and the ref lets whoever reads it post
	}
	return tag.RowsAffected() == 1, nil
}
