package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// audienceCondition is the WHERE clause (over customers c) of a's customers, with its arguments
// numbered from $1. Every audience requires marketing consent, like the follow-ups it announces.
func audienceCondition(a lifecycle.Audience) (string, []any, error) {
	switch a.Kind {
	case lifecycle.KindSale:
		if a.Category == "" {
			return "", nil, fmt.Errorf("sale audience without a category")
		}
		return `c.marketing_consent AND (
			EXISTS (SELECT 1 FROM purchases pu JOIN products pr ON pr.sku = pu.sku
			        WHERE pu.customer_id = c.id AND pr.category = $1)
			OR EXISTS (SELECT 1 FROM preferences p
			           WHERE p.customer_id = c.id AND p.categories @> ARRAY[$1]::text[]))`,
			[]any{lifecycle.Normalize(a.Category)}, nil
	case lifecycle.KindSeason:
		return `c.marketing_consent AND EXISTS (SELECT 1 FROM purchases pu WHERE pu.customer_id = c.id)`, nil, nil
	case lifecycle.KindRestock:
		if a.Product == "" {
			return "", nil, fmt.Errorf("restock audience without a product")
		}
		return `c.marketing_consent AND EXISTS (
			SELECT 1 FROM wishes w
			WHERE w.customer_id = c.id AND w.product = $1 AND w.color = $2 AND w.size = $3
			  AND w.closed_at IS NULL AND w.created_at > $4)`,
			[]any{a.Product, lifecycle.Normalize(a.Color), lifecycle.Normalize(a.Size), a.WishedAfter}, nil
	default:
		return "", nil, fmt.Errorf("no audience for campaign kind %q (want sale, season or restock)", a.Kind)
	}
}

// AudiencePage returns up to limit ids of a's customers that sort after after (byte order, like
// sort.Strings), in that order: keyset pagination, so a page costs the same at any depth and a
// customer added behind the cursor during a campaign is still reached. after "" starts at the
// beginning.
func (s *DB) AudiencePage(ctx context.Context, a lifecycle.Audience, after string, limit int) ([]string, error) {
	cond, args, err := audienceCondition(a)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("audience page of %d customers: the limit must be positive", limit)
	}
	n := len(args)
	ids, err := s.ids(ctx, fmt.Sprintf(`
		SELECT c.id FROM customers c
		WHERE %s AND c.id COLLATE "C" > $%d
		ORDER BY c.id COLLATE "C"
		LIMIT $%d`, cond, n+1, n+2), append(args, after, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list %s audience after %q: %w", a.Kind, after, err)
	}
	return ids, nil
}

// CountAudience returns how many customers a holds right now.
func (s *DB) CountAudience(ctx context.Context, a lifecycle.Audience) (int, error) {
	cond, args, err := audienceCondition(a)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM customers c WHERE `+cond, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s audience: %w", a.Kind, err)
	}
	return n, nil
}

// Outcomes counts a campaign's follow-up emails in the send log by status.
type Outcomes struct {
	Sent    int // accepted by the provider
	Failed  int // refused for good
	Claimed int // being sent right now, or the worker died while sending
	// Deferred waits for the contact policy; Skipped counts, per reason, follow-ups skipped or
	// dropped (followup_outcomes). Neither counts a follow-up the send log has as sent or failed.
	Deferred int
	Skipped  map[string]int
	// HeldOut counts follow-ups held out: decided like an email and not sent (a holdout).
	HeldOut int
}

// Decided counts the follow-ups whose fate the database knows.
func (o Outcomes) Decided() int {
	n := o.Sent + o.Failed + o.Deferred + o.HeldOut
	for _, c := range o.Skipped {
		n += c
	}
	return n
}

// CampaignOutcomes counts the send-log rows of a campaign's follow-ups, found by their idempotency
// keys (lifecycle.SendKey): for a sale or a season every key customer/<id>/<kind>/<subject>, with
// subject the sale id or the collection; for a restock the keys customer/<id>/restock/<wish id> of
// the wishes the audience matches, open or closed since since (a wish closed before the campaign
// belongs to an earlier restock). Follow-ups the workflows skipped or still defer have no row yet.
func (s *DB) CampaignOutcomes(ctx context.Context, a lifecycle.Audience, subject string, since time.Time) (Outcomes, error) {
	const counts = `SELECT count(*) FILTER (WHERE sl.status = 'sent'), count(*) FILTER (WHERE sl.status = 'failed'),
		count(*) FILTER (WHERE sl.status = 'claimed')`
	var (
		sql  string
		args []any
	)
	switch a.Kind {
	case lifecycle.KindSale, lifecycle.KindSeason:
		sql = counts + ` FROM send_log sl
			WHERE sl.kind = $1 AND sl.key = 'customer/' || ` + sqlKeyEscape("sl.customer_id") + ` || '/' || sl.kind || '/' || $2`
		args = []any{string(a.Kind), subject}
	case lifecycle.KindRestock:
		sql = counts + ` FROM wishes w
			JOIN send_log sl ON sl.key = 'customer/' || ` + sqlKeyEscape("w.customer_id") + ` || '/restock/' || w.id
			WHERE w.product = $1 AND w.color = $2 AND w.size = $3 AND w.created_at > $4
			  AND (w.closed_at IS NULL OR w.closed_at >= $5)`
		args = []any{a.Product, lifecycle.Normalize(a.Color), lifecycle.Normalize(a.Size), a.WishedAfter, since}
	default:
		return Outcomes{}, fmt.Errorf("no outcomes for campaign kind %q (want sale, season or restock)", a.Kind)
	}
	var o Outcomes
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&o.Sent, &o.Failed, &o.Claimed); err != nil {
		return Outcomes{}, fmt.Errorf("count outcomes of %s %s: %w", a.Kind, subject, err)
	}

	// The same follow-ups in followup_outcomes, unless the send log has the last word.
	var keys string
	switch a.Kind {
	case lifecycle.KindSale, lifecycle.KindSeason:
		keys = `fo.kind = $1 AND fo.key = 'customer/' || ` + sqlKeyEscape("fo.customer_id") + ` || '/' || fo.kind || '/' || $2`
	case lifecycle.KindRestock:
		keys = `fo.key IN (SELECT 'customer/' || ` + sqlKeyEscape("w.customer_id") + ` || '/restock/' || w.id FROM wishes w
			WHERE w.product = $1 AND w.color = $2 AND w.size = $3 AND w.created_at > $4
			  AND (w.closed_at IS NULL OR w.closed_at >= $5))`
	}
	rows, err := s.pool.Query(ctx, `SELECT fo.outcome, fo.reason, count(*) FROM followup_outcomes fo
		WHERE `+keys+`
		  AND NOT EXISTS (SELECT 1 FROM send_log sl WHERE sl.key = fo.key AND sl.status IN ('sent', 'failed'))
		GROUP BY 1, 2`, args...)
	if err != nil {
		return Outcomes{}, fmt.Errorf("count follow-up outcomes of %s %s: %w", a.Kind, subject, err)
	}
	defer rows.Close()
	for rows.Next() {
		var outcome, reason string
		var n int
		if err := rows.Scan(&outcome, &reason, &n); err != nil {
			return Outcomes{}, fmt.Errorf("read follow-up outcomes of %s %s: %w", a.Kind, subject, err)
		}
		switch outcome {
		case "deferred":
			o.Deferred += n
			continue
		case lifecycle.OutcomeHeldOut:
			o.HeldOut += n
			continue
		}
		if o.Skipped == nil {
			o.Skipped = map[string]int{}
		}
		o.Skipped[reason] += n
	}
	if err := rows.Err(); err != nil {
		return Outcomes{}, fmt.Errorf("read follow-up outcomes of %s %s: %w", a.Kind, subject, err)
	}
	return o, nil
}
