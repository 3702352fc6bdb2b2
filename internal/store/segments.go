package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// segmentFactsSQL reads the lifecycle.SegmentFacts of one keyset page of customers ($1 after, $2
// limit) as of $4 with the lookback window ($3, $4]. Each LATERAL subquery reads one customer's
// rows through an index on customer_id, so a page costs the same at any depth and whatever the
// size of the other tables.
//
// Opens and clicks count emails, not events: SendGrid reports every open and every click, and one
// email whose three links were clicked is one response, not three. An accepted offer is a sent
// confirmation (the confirmation goes out exactly when an offer was accepted); its key is
// lifecycle.SendKey(id, "confirmation", offer key) with the offer key lifecycle.SendKey(id, kind,
// ...), so an accepted sale offer's key starts with customer/<id>/confirmation/customer/<id>/sale/
// (<id> escaped like lifecycle.KeyEscape).
const segmentFactsSQL = `
	WITH page AS (
		-- key_id is the id as send keys hold it (lifecycle.KeyEscape).
		SELECT id, replace(replace(id, '%', '%25'), '/', '%2F') AS key_id,
		       learning_stopped_at IS NOT NULL AS learning_stopped
		FROM customers
		WHERE id COLLATE "C" > $1
		ORDER BY id COLLATE "C"
		LIMIT $2
	)
	SELECT p.id,
	       pu.purchases, pu.monetary_cents, pu.last_at,
	       ev.opens, ev.clicks, ev.sale_clicks,
	       cf.accepted, cf.sale_accepted,
	       rf.referrals, ex.occurred_at, coalesce(ex.text, ''), p.learning_stopped
	FROM page p
	CROSS JOIN LATERAL (
		SELECT count(*) FILTER (WHERE pu.purchased_at > $3) AS purchases,
		       coalesce(sum(pr.price_cents) FILTER (WHERE pu.purchased_at > $3), 0)::bigint AS monetary_cents,
		       max(pu.purchased_at) AS last_at
		FROM purchases pu JOIN products pr ON pr.sku = pu.sku
		WHERE pu.customer_id = p.id AND pu.purchased_at <= $4
	) pu
	CROSS JOIN LATERAL (
		SELECT count(DISTINCT coalesce(nullif(e.send_key, ''), e.dedupe_key)) FILTER (WHERE e.event = 'open') AS opens,
		       count(DISTINCT coalesce(nullif(e.send_key, ''), e.dedupe_key)) FILTER (WHERE e.event = 'click') AS clicks,
		       count(DISTINCT coalesce(nullif(e.send_key, ''), e.dedupe_key)) FILTER (WHERE e.event = 'click' AND e.kind = 'sale') AS sale_clicks
		FROM email_events e
		-- customer_id <> '' lets the planner use the partial index email_events_customer_idx.
		WHERE e.customer_id = p.id AND e.customer_id <> ''
		  AND e.event IN ('open', 'click') AND e.occurred_at > $3 AND e.occurred_at <= $4
	) ev
	CROSS JOIN LATERAL (
		SELECT count(*) AS accepted,
		       count(*) FILTER (WHERE starts_with(sl.key, 'customer/' || p.key_id || '/confirmation/customer/' || p.key_id || '/sale/')) AS sale_accepted
		FROM send_log sl
		WHERE sl.customer_id = p.id AND sl.kind = 'confirmation' AND sl.status = 'sent'
		  AND sl.sent_at > $3 AND sl.sent_at <= $4
	) cf
	CROSS JOIN LATERAL (
		SELECT count(*) AS referrals FROM customer_notes n
		WHERE n.customer_id = p.id AND n.kind = 'referral' AND n.occurred_at <= $4
	) rf
	LEFT JOIN LATERAL (
		SELECT n.occurred_at, n.text FROM customer_notes n
		WHERE n.customer_id = p.id AND n.kind = 'exit' AND n.occurred_at <= $4
		ORDER BY n.occurred_at DESC, n.id COLLATE "C" DESC
		LIMIT 1
	) ex ON true
	ORDER BY p.id COLLATE "C"`

// SegmentFactsPage returns the segment facts of up to limit customers whose ids sort after after
// (byte order, like sort.Strings), in that order, as of now: purchases, engagement and accepted
// offers in the lookback window (now-lookback, now], the last purchase and the stated signals up
// to now. after "" starts at the beginning; fewer than limit facts means the last page.
//
// Referrals count every referral note. A stated exit counts when it is the customer's latest word:
// an exit note after their last purchase. A customer who said they leave and then bought again is
// back.
func (s *DB) SegmentFactsPage(ctx context.Context, after string, limit int, now time.Time, lookback time.Duration) ([]lifecycle.SegmentFacts, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("segment facts page of %d customers: the limit must be positive", limit)
	}
	if lookback <= 0 {
		return nil, fmt.Errorf("segment facts with a lookback of %s: it must be positive", lookback)
	}
	rows, err := s.pool.Query(ctx, segmentFactsSQL, after, limit, now.Add(-lookback), now)
	if err != nil {
		return nil, fmt.Errorf("read segment facts after %q: %w", after, err)
	}
	facts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lifecycle.SegmentFacts, error) {
		var (
			f                          lifecycle.SegmentFacts
			lastPurchase, exitAt       *time.Time
			saleClicks, saleAcceptance int
		)
		err := r.Scan(&f.CustomerID,
			&f.Purchases, &f.MonetaryCents, &lastPurchase,
			&f.Opens, &f.Clicks, &saleClicks,
			&f.Accepted, &saleAcceptance,
			&f.Referrals, &exitAt, &f.ExitReason, &f.LearningStopped)
		if err != nil {
			return lifecycle.SegmentFacts{}, err
		}
		if lastPurchase != nil {
			f.LastPurchaseAt = *lastPurchase
		}
		f.SaleResponses = saleClicks + saleAcceptance
		f.Exited = exitAt != nil && (lastPurchase == nil || !exitAt.Before(*lastPurchase))
		if !f.Exited {
			f.ExitReason = ""
		}
		return f, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read segment facts after %q: %w", after, err)
	}
	return facts, nil
}

// CurrentSegments returns the stored segment of each of customerIDs that has one.
func (s *DB) CurrentSegments(ctx context.Context, customerIDs []string) (map[string]lifecycle.Segment, error) {
	rows, err := s.pool.Query(ctx, `SELECT customer_id, segment FROM customer_segments WHERE customer_id = ANY($1)`, customerIDs)
	if err != nil {
		return nil, fmt.Errorf("read the segments of %d customers: %w", len(customerIDs), err)
	}
	out := make(map[string]lifecycle.Segment, len(customerIDs))
	var (
		id  string
		seg string
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &seg}, func() error {
		out[id] = lifecycle.Segment(seg)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the segments of %d customers: %w", len(customerIDs), err)
	}
	return out, nil
}

// SaveSegment stores the customer's segment and its reasons as computed at at, and reports
// whether the segment changed (a customer without a stored segment had lifecycle.SegmentNone).
// The reasons are kept twice: typed (typed_reasons, what the preference page words in the
// customer's language) and as their English sentences (reasons, what operators read). Saving the
// same segment again only refreshes the reasons and computed_at. A save computed before the
// stored one (an older recompute finishing late) changes nothing and reports false.
func (s *DB) SaveSegment(ctx context.Context, customerID string, segment lifecycle.Segment, reasons []lifecycle.SegmentReason, at time.Time) (bool, error) {
	if reasons == nil {
		reasons = []lifecycle.SegmentReason{}
	}
	typed, err := json.Marshal(reasons)
	if err != nil {
		return false, fmt.Errorf("save segment %q of customer %s: encode the reasons: %w", segment, customerID, err)
	}
	// The CTE shares the statement's snapshot, so it sees the row as it was before the upsert.
	// (Two recomputes saving one customer at the same moment may both report the change; the
	// signal that follows is harmless twice.)
	var changed bool
	err = s.pool.QueryRow(ctx, `
		WITH old AS (
			SELECT segment FROM customer_segments WHERE customer_id = $1
		)
		INSERT INTO customer_segments AS cs (customer_id, segment, reasons, typed_reasons, computed_at, changed_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (customer_id) DO UPDATE
		SET segment       = excluded.segment,
		    reasons       = excluded.reasons,
		    typed_reasons = excluded.typed_reasons,
		    computed_at   = excluded.computed_at,
		    changed_at    = CASE WHEN cs.segment = excluded.segment THEN cs.changed_at ELSE excluded.changed_at END
		WHERE cs.computed_at <= excluded.computed_at
		RETURNING coalesce((SELECT segment FROM old), '') <> $2::text`,
		customerID, string(segment), lifecycle.SegmentReasonSentences(reasons), string(typed), at).Scan(&changed)
	switch {
	case isNoRows(err): // an older recompute than the stored one
		return false, nil
	case isForeignKeyViolation(err):
		return false, notFound("customer", customerID)
	case err != nil:
		return false, fmt.Errorf("save segment %q of customer %s: %w", segment, customerID, err)
	}
	return changed, nil
}

// CustomerSegment is a customer's stored segment.
type CustomerSegment struct {
	CustomerID string
	Segment    lifecycle.Segment
	// Reasons are the English sentences of the reasons, for operators.
	Reasons []string
	// TypedReasons are the reasons as codes and numbers, for the customer's own language; nil for
	// a row saved before they were stored (migration 0023), which has only Reasons.
	TypedReasons []lifecycle.SegmentReason
	ComputedAt   time.Time // the "as of" time of the recompute that wrote it
	ChangedAt    time.Time // the recompute that last changed the segment
}

// segmentColumns are the customer_segments columns scanSegment reads, in its order.
const segmentColumns = `segment, reasons, typed_reasons, computed_at, changed_at`

// scanSegment reads segmentColumns into c.
func scanSegment(row pgx.Row, c *CustomerSegment) error {
	var (
		seg   string
		typed []byte // NULL on a row saved before migration 0023
	)
	if err := row.Scan(&seg, &c.Reasons, &typed, &c.ComputedAt, &c.ChangedAt); err != nil {
		return err
	}
	c.Segment = lifecycle.Segment(seg)
	c.TypedReasons = nil
	if typed != nil {
		// Not the JSON in the error: it may hold the customer's exit words.
		if err := json.Unmarshal(typed, &c.TypedReasons); err != nil {
			return fmt.Errorf("decode the typed reasons (customer_segments.typed_reasons): %w", err)
		}
	}
	return nil
}

// Segment returns the customer's stored segment, or an error wrapping lifecycle.ErrNotFound when
// none was computed yet (or the customer is unknown).
func (s *DB) Segment(ctx context.Context, customerID string) (CustomerSegment, error) {
	c := CustomerSegment{CustomerID: customerID}
	err := scanSegment(s.pool.QueryRow(ctx, `SELECT `+segmentColumns+` FROM customer_segments WHERE customer_id = $1`, customerID), &c)
	if isNoRows(err) {
		return CustomerSegment{}, notFound("segment of customer", customerID)
	}
	if err != nil {
		return CustomerSegment{}, fmt.Errorf("load segment of customer %s: %w", customerID, err)
	}
	return c, nil
}

// SegmentCounts is how many customers are in each segment.
type SegmentCounts struct {
	// Counts per segment; lifecycle.SegmentNone counts customers who bought nothing yet.
	Counts map[lifecycle.Segment]int
	// NotComputed counts customers no recompute has seen yet (imported since the last one).
	NotComputed int
	// LastComputedAt is the latest "as of" time of a stored segment; zero when there is none.
	LastComputedAt time.Time
}

// CountSegments counts the customers per stored segment.
func (s *DB) CountSegments(ctx context.Context) (SegmentCounts, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT cs.segment, count(*), max(cs.computed_at)
		FROM customers c LEFT JOIN customer_segments cs ON cs.customer_id = c.id
		GROUP BY cs.segment`)
	if err != nil {
		return SegmentCounts{}, fmt.Errorf("count segments: %w", err)
	}
	out := SegmentCounts{Counts: map[lifecycle.Segment]int{}}
	var (
		seg        *string
		n          int
		computedAt *time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&seg, &n, &computedAt}, func() error {
		if seg == nil { // no row in customer_segments
			out.NotComputed = n
			return nil
		}
		out.Counts[lifecycle.Segment(*seg)] = n
		if computedAt != nil && computedAt.After(out.LastComputedAt) {
			out.LastComputedAt = *computedAt
		}
		return nil
	})
	if err != nil {
		return SegmentCounts{}, fmt.Errorf("count segments: %w", err)
	}
	return out, nil
}

// isForeignKeyViolation reports whether err is PostgreSQL's foreign_key_violation: here, an
// unknown customer id.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}
