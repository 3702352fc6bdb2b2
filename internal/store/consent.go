package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

const (
	// consentDeliveryTimeout bounds one delivery of a consent signal.
	consentDeliveryTimeout = 10 * time.Second
	// consentLease is how long a relay holds a customer's owed signal: longer than a delivery, so
	// a relay that died mid-delivery gives it up, and no other relay delivers it meanwhile.
	consentLease = 3 * consentDeliveryTimeout
	// consentBookkeepingTimeout bounds recording what became of a delivery.
	consentBookkeepingTimeout = 5 * time.Second
)

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
func (s *DB) PendingConsentSignals(ctx context.Context) (int, time.Time, error) {
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
// the error. It stops at the first refusal (the workflow service is most likely unreachable, and
// every further call would wait as long) and returns how many signals were delivered (a replaced
// one counts: the workflow had it) and that error.
//
// A relay claims a customer's signal with a lease (consentLease) and counts the attempt before it
// delivers, so a delivery that hangs still moves that customer behind the others next time. No
// connection is held while deliver runs (a slow Temporal must not take the pool from the pages,
// the webhook and the activities). The lease outlasts a delivery (cut off after
// consentDeliveryTimeout), so two relays never deliver one customer's changes at once and a late
// delivery of an older change cannot overtake a newer one: the workflow hears the changes in the
// order they were made.
func (s *DB) RelayConsentSignals(ctx context.Context, customerIDs []string, deliver func(context.Context, lifecycle.ConsentChange) error) (int, error) {
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

// relayConsentSignal delivers the consent signal owed to customerID, if any still is and no
// other relay holds it.
func (s *DB) relayConsentSignal(ctx context.Context, customerID string, deliver func(context.Context, lifecycle.ConsentChange) error) (bool, error) {
	var ch lifecycle.ConsentChange
	var version int64
	err := s.pool.QueryRow(ctx, `
		UPDATE pending_consent_signals
		SET leased_until = now() + make_interval(secs => $2), attempts = attempts + 1, last_attempt_at = now()
		WHERE customer_id = $1 AND (leased_until IS NULL OR leased_until < now())
		RETURNING customer_id, marketing_consent, source, changed_at, version`,
		customerID, consentLease.Seconds(),
	).Scan(&ch.CustomerID, &ch.Granted, &ch.Source, &ch.At, &version)
	if isNoRows(err) {
		return false, nil // delivered meanwhile, or another relay is delivering it
	}
	if err != nil {
		return false, fmt.Errorf("claim consent signal of %s: %w", customerID, err)
	}
	dctx, cancel := context.WithTimeout(ctx, consentDeliveryTimeout)
	deliverErr := deliver(dctx, ch)
	cancel()

	// The bookkeeping gets its own time: a round that ended during the delivery still records it.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), consentBookkeepingTimeout)
	defer cancel()
	if deliverErr != nil {
		_, err := s.pool.Exec(bctx, `
			UPDATE pending_consent_signals SET last_error = left($2, 1000), leased_until = NULL
			WHERE customer_id = $1`, customerID, deliverErr.Error())
		if err != nil {
			return false, fmt.Errorf("deliver consent signal of %s: %w (and record it: %v)", customerID, deliverErr, err)
		}
		return false, fmt.Errorf("deliver consent signal of %s: %w", customerID, deliverErr)
	}
	// Only the change delivered is forgotten: a newer one written meanwhile has another version,
	// stays owed and is released for the next relay.
	if _, err := s.pool.Exec(bctx, `DELETE FROM pending_consent_signals WHERE customer_id = $1 AND version = $2`, customerID, version); err != nil {
		return true, fmt.Errorf("forget delivered consent signal of %s: %w", customerID, err)
	}
	if _, err := s.pool.Exec(bctx, `UPDATE pending_consent_signals SET leased_until = NULL WHERE customer_id = $1`, customerID); err != nil {
		return true, fmt.Errorf("release consent signal of %s: %w", customerID, err)
	}
	return true, nil
}
