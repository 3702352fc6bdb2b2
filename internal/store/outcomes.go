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
//
// A held_out row is written with the purchases its customer already made within the attribution
// window after the decision, and their revenue at the price paid (the order's, else the product's
// price now: it is frozen on the row); RecordPurchase adds the later ones. The report counts them
// from the row (migration 0026), by the customer's value segment at the decision, kept on the row
// too. The batch first locks the held-out customers' rows, as
// RecordPurchase does, so a purchase recorded concurrently is counted by one side or the other.
func (s *DB) RecordOutcomes(ctx context.Context, outcomes []lifecycle.FollowUpOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	var heldOut []string
	for _, o := range outcomes {
		if o.Outcome == lifecycle.OutcomeHeldOut {
			heldOut = append(heldOut, o.CustomerID)
		}
	}
	if len(heldOut) > 0 {
		// The statements of a batch run in one implicit transaction: the locks hold until its end.
		batch.Queue(`SELECT 1 FROM customers WHERE id = ANY($1) ORDER BY id COLLATE "C" FOR SHARE`, heldOut)
	}
	for _, o := range outcomes {
		batch.Queue(`INSERT INTO followup_outcomes (key, customer_id, kind, outcome, reason, decided_at, behaviour, held_purchases, held_revenue_cents, segment)
			SELECT $1, $2, $3, $4, $5, $6, $7, b.purchases, b.revenue,
				coalesce((SELECT segment FROM customer_segments WHERE customer_id = $2), '')
			FROM (
				SELECT count(*) AS purchases, coalesce(sum(coalesce(pu.price_cents, p.price_cents)), 0) AS revenue
				FROM purchases pu JOIN products p ON p.sku = pu.sku
				WHERE $4 = 'held_out' AND pu.customer_id = $2 AND pu.purchased_at > $6::timestamptz AND pu.purchased_at <= $6::timestamptz + $8::interval
			) b
			ON CONFLICT (key) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason, decided_at = excluded.decided_at,
				behaviour = excluded.behaviour, held_purchases = excluded.held_purchases, held_revenue_cents = excluded.held_revenue_cents,
				segment = excluded.segment
			WHERE followup_outcomes.decided_at <= excluded.decided_at AND followup_outcomes.outcome <> 'held_out'`,
			o.Key, o.CustomerID, string(o.Kind), o.Outcome, string(o.Reason), o.At, string(o.Behaviour), s.attributionWindow)
	}
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("record %d follow-up outcomes: %w", len(outcomes), err)
	}
	return nil
}
