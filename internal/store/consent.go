package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// consentRelayLock is the first key of the pg_advisory_xact_lock that serializes deliveries of one
// customer's consent signal (the second is hashtext of the customer id).
const consentRelayLock int32 = 0x74636f6e // "tcon"

// oweConsentSignals records, for each row of selectSQL (customer id, consent, source, changed at),
// that the customer's workflow is owed a consent signal. It runs in the transaction that changes
// consent, so a change and what is owed for it commit together. A row already owed is replaced:
// only the latest state is owed, and its version moves on so a delivery of the older one in flight
// does not delete it.
func oweConsentSignals(ctx context.Context, tx pgx.Tx, selectSQL string, args ...any) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO pending_consent_signals AS p (customer_id, marketing_consent, source, changed_at)
		SELECT * FROM (`+selectSQL+`) AS owed
		ON CONFLICT (customer_id) DO UPDATE SET
			marketing_consent = excluded.marketing_consent,
			source = excluded.source,
			changed_at = excluded.changed_at,
			version = p.version + 1,
			attempts = 0,
			last_error = NULL,
			last_attempt_at = NULL`, args...)
	if err != nil {
		return fmt.Errorf("owe consent signals: %w", err)
	}
	return nil
}

// PendingConsentSignals returns how many consent signals are still owed, and the oldest change
// among them (zero when none).
func (s *Store) PendingConsentSignals(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT count(*), min(changed_at) FROM pending_consent_signals`).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count pending consent signals: %w", err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, *oldest, nil
}

// RelayConsentSignals hands each owed consent signal to deliver, the least tried and oldest first:
// those of customerIDs, or all when customerIDs is nil. A signal deliver accepted is forgotten
// unless a newer change replaced it meanwhile, which stays owed; one it refused stays owed with
// the error and one more attempt. It stops at the first refusal (the workflow service is most
// likely unreachable, and every further call would wait as long) and returns how many signals were
// delivered (a replaced one counts: the workflow had it) and that error.
//
// Deliveries of one customer are serialized on an advisory lock held across deliver, so a late
// delivery of an older change cannot overtake a newer one: the workflow hears the changes in the
// order they were made. The lock is per customer and writers of consent never take it, so a
// delivery in flight never holds up a consent change; it does hold one pooled connection for as
// long as deliver takes, which callers bound with ctx.
func (s *Store) RelayConsentSignals(ctx context.Context, customerIDs []string, deliver func(context.Context, lifecycle.ConsentChange) error) (int, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT customer_id FROM pending_consent_signals
		WHERE $1::text[] IS NULL OR customer_id = ANY($1)
		ORDER BY attempts, changed_at, customer_id COLLATE "C"`, customerIDs)
	if err != nil {
		return 0, fmt.Errorf("list pending consent signals: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("list pending consent signals: %w", err)
	}
	delivered := 0
	for _, id := range ids {
		ok, err := s.relayConsentSignal(ctx, id, deliver)
		if err != nil {
			return delivered, err
		}
		if ok {
			delivered++
		}
	}
	return delivered, nil
}

// relayConsentSignal delivers the consent signal owed to customerID, if any still is.
func (s *Store) relayConsentSignal(ctx context.Context, customerID string, deliver func(context.Context, lifecycle.ConsentChange) error) (bool, error) {
	var delivered bool
	var deliverErr error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, consentRelayLock, customerID); err != nil {
			return err
		}
		var ch lifecycle.ConsentChange
		var version int64
		err := tx.QueryRow(ctx, `
			SELECT customer_id, marketing_consent, source, changed_at, version
			FROM pending_consent_signals WHERE customer_id = $1`, customerID,
		).Scan(&ch.CustomerID, &ch.Granted, &ch.Source, &ch.At, &version)
		if isNoRows(err) {
			return nil // delivered by someone else meanwhile
		}
		if err != nil {
			return err
		}
		if deliverErr = deliver(ctx, ch); deliverErr != nil {
			// Bookkeeping only: when ctx has expired too, the attempt goes unrecorded.
			_, err := tx.Exec(ctx, `
				UPDATE pending_consent_signals
				SET attempts = attempts + 1, last_error = left($3, 1000), last_attempt_at = now()
				WHERE customer_id = $1 AND version = $2`, customerID, version, deliverErr.Error())
			return err
		}
		// Only the change delivered: a newer one written meanwhile has another version and stays.
		_, err = tx.Exec(ctx, `DELETE FROM pending_consent_signals WHERE customer_id = $1 AND version = $2`, customerID, version)
		delivered = err == nil
		return err
	})
	if deliverErr != nil {
		return false, fmt.Errorf("deliver consent signal of %s: %w", customerID, deliverErr)
	}
	if err != nil {
		return false, fmt.Errorf("relay consent signal of %s: %w", customerID, err)
	}
	return delivered, nil
}
