package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// APIEvent is what ClaimAPIEvent found or took for an event id of the HTTP API.
type APIEvent struct {
	// Claimed: the caller now holds the event and must FinishAPIEvent or ReleaseAPIEvent it.
	Claimed bool
	// Fingerprint is the one stored with the id (the caller's own when Claimed).
	Fingerprint string
	// Result is the stored result of an applied event; nil while another request applies it.
	Result []byte
}

// ClaimAPIEvent takes the event id for the caller for lease, unless it is applied already or
// another request holds an unexpired claim; then it returns what is stored. A claim whose lease
// ran out (its request died) is taken over. customerID is the customer the event is about (""
// for none), kept so that `starter forget` deletes the row with the customer's others.
func (s *DB) ClaimAPIEvent(ctx context.Context, eventID, eventType, customerID, fingerprint string, lease time.Duration) (APIEvent, error) {
	var e APIEvent
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO api_events AS a (event_id, type, customer_id, fingerprint, lease_until)
			VALUES ($1, $2, $3, $4, now() + $5::interval)
			ON CONFLICT (event_id) DO UPDATE SET
				type = excluded.type, customer_id = excluded.customer_id, fingerprint = excluded.fingerprint,
				lease_until = excluded.lease_until
			WHERE a.result IS NULL AND a.lease_until < now()`,
			eventID, eventType, customerID, fingerprint, lease.String())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			e = APIEvent{Claimed: true, Fingerprint: fingerprint}
			return nil
		}
		return tx.QueryRow(ctx, `SELECT fingerprint, result FROM api_events WHERE event_id = $1`, eventID).
			Scan(&e.Fingerprint, &e.Result)
	})
	if err != nil {
		return APIEvent{}, fmt.Errorf("claim API event %s: %w", eventID, err)
	}
	return e, nil
}

// FinishAPIEvent stores the result (JSON) of the event the caller claimed.
func (s *DB) FinishAPIEvent(ctx context.Context, eventID string, result []byte) error {
	if _, err := s.pool.Exec(ctx, `
		UPDATE api_events SET result = $2, lease_until = NULL, applied_at = now()
		WHERE event_id = $1 AND result IS NULL`, eventID, result); err != nil {
		return fmt.Errorf("finish API event %s: %w", eventID, err)
	}
	return nil
}

// ReleaseAPIEvent gives up the caller's claim on an event that was not applied, so a retry may
// apply it at once.
func (s *DB) ReleaseAPIEvent(ctx context.Context, eventID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM api_events WHERE event_id = $1 AND result IS NULL`, eventID); err != nil {
		return fmt.Errorf("release API event %s: %w", eventID, err)
	}
	return nil
}
