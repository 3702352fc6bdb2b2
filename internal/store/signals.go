package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ConsentSignalName is the name of the signal a consent change owes (workflows.SignalConsent; the
// store does not import workflows, internal/events checks the two agree). Its payload is
// {"Granted", "Source", "At"}, the fields of workflows.ConsentSignal.
const ConsentSignalName = "consent"

const (
	// signalDeliveryTimeout bounds one delivery of an owed signal.
	signalDeliveryTimeout = 10 * time.Second
	// signalLease is how long a relay holds a customer's oldest owed signal: longer than a
	// delivery, so a relay that died mid-delivery gives it up, and no other relay delivers any of
	// that customer's signals meanwhile.
	signalLease = 3 * signalDeliveryTimeout
	// signalBookkeepingTimeout bounds recording what became of a delivery.
	signalBookkeepingTimeout = 5 * time.Second
)

// OwedSignal is a signal a customer's workflow is owed (table signal_outbox, migration 0009).
type OwedSignal struct {
	// EventID is the business key of the event, e.g. purchase/<purchase id>: owing an EventID
	// already recorded owes nothing new.
	EventID    string
	CustomerID string
	Signal     string          // the workflow's signal name
	Payload    json.RawMessage // the signal's payload as JSON
	Attempts   int             // deliveries tried, this one included (when handed to a relay)
	CreatedAt  time.Time
}

// owe records sigs in tx and returns how many were new (an EventID already recorded, delivered or
// not, is skipped). Callers run it in the transaction of the change the signals report.
func owe(ctx context.Context, tx pgx.Tx, sigs ...OwedSignal) (int, error) {
	n := 0
	for _, s := range sigs {
		if s.EventID == "" || s.CustomerID == "" || s.Signal == "" {
			return n, fmt.Errorf("owe signal %q to customer %q: event id, customer and signal are required", s.EventID, s.CustomerID)
		}
		payload := s.Payload
		if len(payload) == 0 {
			payload = json.RawMessage("{}")
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO signal_outbox (event_id, customer_id, signal, payload) VALUES ($1, $2, $3, $4)
			ON CONFLICT (event_id) DO NOTHING`, s.EventID, s.CustomerID, s.Signal, []byte(payload))
		if isForeignKeyViolation(err) {
			return n, notFound("customer", s.CustomerID)
		}
		if err != nil {
			return n, fmt.Errorf("owe %s to customer %s: %w", s.EventID, s.CustomerID, err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

// Owe records signals that report no other change in PostgreSQL (a meter reading, a preference
// edit), and returns which of them were new: an EventID already recorded owes nothing. All or
// none are recorded. An unknown customer is an error wrapping lifecycle.ErrNotFound.
func (s *DB) Owe(ctx context.Context, sigs []OwedSignal) ([]bool, error) {
	fresh := make([]bool, len(sigs))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for i, sig := range sigs {
			n, err := owe(ctx, tx, sig)
			if err != nil {
				return err
			}
			fresh[i] = n == 1
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("owe signals: %w", err)
	}
	return fresh, nil
}

// oweConsentSignals owes, for each row of selectSQL (customer id, consent, source, changed at),
// the customer's workflow a consent signal. It runs in the transaction that changes consent, so
// a change and what is owed for it commit together. The event id is consent/<customer>/<changed
// at in microseconds>: one per change.
func oweConsentSignals(ctx context.Context, tx pgx.Tx, selectSQL string, args ...any) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO signal_outbox (event_id, customer_id, signal, payload)
		SELECT 'consent/' || owed.id || '/' || (extract(epoch FROM owed.changed_at) * 1000000)::bigint,
		       owed.id, '`+ConsentSignalName+`',
		       jsonb_build_object('Granted', owed.consent, 'Source', owed.source,
		                          'At', to_char(owed.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
		FROM (`+selectSQL+`) AS owed (id, consent, source, changed_at)
		ON CONFLICT (event_id) DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("owe consent signals: %w", err)
	}
	return nil
}

// OwedSignals returns how many signals are still owed, and the oldest among them (zero when none).
func (s *DB) OwedSignals(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM signal_outbox WHERE delivered_at IS NULL`).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count owed signals: %w", err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, *oldest, nil
}

// OwedCustomers returns, sorted, those of customerIDs (all when nil) that are owed a signal.
func (s *DB) OwedCustomers(ctx context.Context, customerIDs []string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT customer_id FROM signal_outbox
		WHERE delivered_at IS NULL AND ($1::text[] IS NULL OR customer_id = ANY($1))
		GROUP BY customer_id ORDER BY customer_id COLLATE "C"`, customerIDs)
	if err != nil {
		return nil, fmt.Errorf("list customers owed a signal: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list customers owed a signal: %w", err)
	}
	return ids, nil
}

// EventRecorded reports whether the event with eventID owes or owed a signal.
func (s *DB) EventRecorded(ctx context.Context, eventID string) (bool, error) {
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signal_outbox WHERE event_id = $1)`, eventID).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("look up event %s: %w", eventID, err)
	}
	return found, nil
}

// RelaySignals hands each owed signal to deliver: those of customerIDs, or all when customerIDs
// is nil; the customers least tried and waiting longest first, each customer's signals in the
// order they were written. A signal deliver accepted is marked delivered; one it refused stays
// owed with the error, and so do the customer's later ones (the order holds). It stops at the
// first refusal (the workflow service is most likely unreachable, and every further call would
// wait as long) and returns how many signals were delivered and that error.
//
// A relay claims a customer's oldest owed signal with a lease (signalLease), and only when none
// of that customer's signals is leased, and counts the attempt before it delivers, so a delivery
// that hangs still moves that customer behind the others next time. No connection is held while
// deliver runs (a slow Temporal must not take the pool from the pages, the webhook and the
// activities). The lease outlasts a delivery (cut off after signalDeliveryTimeout), so two relays
// never deliver one customer's signals at once and a late delivery cannot overtake a newer one.
func (s *DB) RelaySignals(ctx context.Context, customerIDs []string, deliver func(context.Context, OwedSignal) error) (int, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT customer_id FROM signal_outbox
		WHERE delivered_at IS NULL AND ($1::text[] IS NULL OR customer_id = ANY($1))
		GROUP BY customer_id
		ORDER BY max(attempts), min(seq)`, customerIDs)
	if err != nil {
		return 0, fmt.Errorf("list owed signals: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("list owed signals: %w", err)
	}
	delivered := 0
	for _, id := range ids {
		for {
			ok, err := s.relayNextSignal(ctx, id, deliver)
			if err != nil {
				return delivered, err
			}
			if !ok {
				break
			}
			delivered++
		}
	}
	return delivered, nil
}

// relayNextSignal delivers customerID's oldest owed signal, if one is still owed and no relay
// holds any of that customer's, and reports whether it delivered one.
func (s *DB) relayNextSignal(ctx context.Context, customerID string, deliver func(context.Context, OwedSignal) error) (bool, error) {
	var sig OwedSignal
	var payload []byte
	// The head's own conditions are repeated outside the subquery: when two relays race for the
	// same head, the second re-checks the row the first updated (READ COMMITTED) and claims nothing.
	err := s.pool.QueryRow(ctx, `
		UPDATE signal_outbox
		SET leased_until = now() + make_interval(secs => $2), attempts = attempts + 1, last_attempt_at = now()
		WHERE event_id = (
				SELECT event_id FROM signal_outbox
				WHERE customer_id = $1 AND delivered_at IS NULL
				ORDER BY seq LIMIT 1)
			AND delivered_at IS NULL
			AND (leased_until IS NULL OR leased_until < now())
			AND NOT EXISTS (
				SELECT 1 FROM signal_outbox
				WHERE customer_id = $1 AND delivered_at IS NULL AND leased_until >= now())
		RETURNING event_id, customer_id, signal, payload, attempts, created_at`,
		customerID, signalLease.Seconds(),
	).Scan(&sig.EventID, &sig.CustomerID, &sig.Signal, &payload, &sig.Attempts, &sig.CreatedAt)
	if isNoRows(err) {
		return false, nil // nothing owed, or another relay is delivering this customer's
	}
	if err != nil {
		return false, fmt.Errorf("claim owed signal of %s: %w", customerID, err)
	}
	sig.Payload = payload
	dctx, cancel := context.WithTimeout(ctx, signalDeliveryTimeout)
	deliverErr := deliver(dctx, sig)
	cancel()

	// The bookkeeping gets its own time: a round that ended during the delivery still records it.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), signalBookkeepingTimeout)
	defer cancel()
	if deliverErr != nil {
		_, err := s.pool.Exec(bctx, `
			UPDATE signal_outbox SET last_error = left($2, 1000), leased_until = NULL
			WHERE event_id = $1`, sig.EventID, deliverErr.Error())
		if err != nil {
			return false, fmt.Errorf("deliver %s to customer %s: %w (and record it: %v)", sig.EventID, customerID, deliverErr, err)
		}
		return false, fmt.Errorf("deliver %s to customer %s: %w", sig.EventID, customerID, deliverErr)
	}
	if _, err := s.pool.Exec(bctx, `
		UPDATE signal_outbox SET delivered_at = now(), leased_until = NULL, last_error = NULL
		WHERE event_id = $1`, sig.EventID); err != nil {
		return true, fmt.Errorf("mark %s delivered: %w", sig.EventID, err)
	}
	return true, nil
}

// pruneBatch bounds one DELETE of PruneDeliveredSignals, so that a first prune of a large outbox
// holds no long lock and writes no huge transaction.
const pruneBatch = 5000

// PruneDeliveredSignals deletes the signals delivered before deliveredBefore and returns how many.
// Owed signals are never deleted. A delivered row is what recognises a repeated event (an event id
// already in signal_outbox owes nothing new), so once pruned, an event repeated after the
// retention is owed again where signal_outbox is its only record (a meter reading, a recall);
// every signal the event layer owes is harmless when heard twice. Purchases, notes, consent
// changes and suppressions keep their own records and stay recognised.
func (s *DB) PruneDeliveredSignals(ctx context.Context, deliveredBefore time.Time) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `
			DELETE FROM signal_outbox WHERE event_id IN (
				SELECT event_id FROM signal_outbox WHERE delivered_at < $1 LIMIT $2)`,
			deliveredBefore, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune signals delivered before %s: %w", deliveredBefore.Format(time.RFC3339), err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			return total, nil
		}
	}
}
