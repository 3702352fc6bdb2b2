package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SetLearningOwing records whether the shop may learn from what the customer does and owes signal
// (the preferences edit that says so) in the same transaction, so the flag and the workflow's
// knowing of it cannot part. Stopping again keeps the time it was first stopped; learning again
// clears it. An unknown customer is an error wrapping lifecycle.ErrNotFound.
//
// Learning is what RecordPurchase adds to the preferences and what the segment facts count from
// behaviour (SegmentFactsPage); what the customer states is used either way.
func (s *DB) SetLearningOwing(ctx context.Context, customerID string, stopped bool, signal OwedSignal) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE customers
			SET learning_stopped_at = CASE WHEN $2 THEN coalesce(learning_stopped_at, now()) END,
			    updated_at = now()
			WHERE id = $1`, customerID, stopped)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("customer", customerID)
		}
		_, err = owe(ctx, tx, signal)
		return err
	})
	if err != nil {
		return fmt.Errorf("set learning of %s: %w", customerID, err)
	}
	return nil
}

// LearningStopped returns when the customer asked the shop to stop learning from what they do;
// zero while it learns. An unknown customer is an error wrapping lifecycle.ErrNotFound.
func (s *DB) LearningStopped(ctx context.Context, customerID string) (time.Time, error) {
	var at *time.Time
	err := s.pool.QueryRow(ctx, `SELECT learning_stopped_at FROM customers WHERE id = $1`, customerID).Scan(&at)
	if isNoRows(err) {
		return time.Time{}, notFound("customer", customerID)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read learning of %s: %w", customerID, err)
	}
	if at == nil {
		return time.Time{}, nil
	}
	return *at, nil
}
