package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// RecordOutcomes stores what became of follow-ups that were not emailed, one row per key; a
// decision older than the one stored is ignored, so a retried batch changes nothing. A held_out
// row is final: nothing replaces it, so a retried hold-out keeps the time of the first decision,
// from which the holdout's purchases are counted.
func (s *DB) RecordOutcomes(ctx context.Context, outcomes []lifecycle.FollowUpOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for _, o := range outcomes {
		batch.Queue(`INSERT INTO followup_outcomes (key, customer_id, kind, outcome, reason, decided_at, behaviour)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (key) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason, decided_at = excluded.decided_at,
				behaviour = excluded.behaviour
			WHERE followup_outcomes.decided_at <= excluded.decided_at AND followup_outcomes.outcome <> 'held_out'`,
			o.Key, o.CustomerID, string(o.Kind), o.Outcome, string(o.Reason), o.At, string(o.Behaviour))
	}
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("record %d follow-up outcomes: %w", len(outcomes), err)
	}
	return nil
}
