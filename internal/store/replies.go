package store

import (
	"context"
	"fmt"

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
