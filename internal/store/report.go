package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReportGrouping is what a report row stands for: one follow-up kind, one campaign, one value
// segment, or one behaviour at the moment of truth.
type ReportGrouping string

const (
	ByKind      ReportGrouping = "kind"
	ByCampaign  ReportGrouping = "campaign"
	BySegment   ReportGrouping = "segment"
	ByBehaviour ReportGrouping = "behaviour"
)

// ReportGroupings lists every grouping, the default first.
var ReportGroupings = []ReportGrouping{ByKind, ByCampaign, BySegment, ByBehaviour}

// ReportQuery selects the follow-ups a report counts: those emailed (or held out) in
// [Since, Until), grouped By.
type ReportQuery struct {
	Since, Until time.Time
	By           ReportGrouping
}

// ReportCounts are the raw counts of one group; the report computes rates and lift from them.
//
// Treated side: marketing emails sent (send_log status sent; transactional mail is never
// counted), how many of them SendGrid reported delivered, opened and clicked (at least once each),
// offers among them and how many were accepted (a confirmation was queued for the offer),
// Conversions (emails credited with at least one purchase in attributions) and their revenue.
//
// Holdout side: follow-ups recorded in followup_outcomes with outcome held_out (SendFollowUp
// holds them out), HoldoutConversions (held-out follow-ups whose customer bought within the
// attribution window after the decision) and that revenue, at the product's current price.
type ReportCounts struct {
	Group               string `json:"group"`
	Sent                int64  `json:"sent"`
	Delivered           int64  `json:"delivered"`
	Opened              int64  `json:"opened"`
	Clicked             int64  `json:"clicked"`
	Offers              int64  `json:"offers"`
	OffersAccepted      int64  `json:"offers_accepted"`
	Conversions         int64  `json:"conversions"`
	RevenueCents        int64  `json:"revenue_cents"`
	HeldOut             int64  `json:"held_out"`
	HoldoutConversions  int64  `json:"holdout_conversions"`
	HoldoutRevenueCents int64  `json:"holdout_revenue_cents"`
}

// groupExpr is the SQL of a group's name for send_log (alias sl) or followup_outcomes (alias fo),
// from a fixed set: never built from user input.
func groupExpr(by ReportGrouping, alias string) (string, error) {
	switch by {
	case ByKind, "":
		return alias + `.kind`, nil
	case ByCampaign:
		// The sale id or the season's collection is the rest of the send key (campaignOf in SQL).
		return `CASE WHEN ` + alias + `.kind IN ('sale', 'season') THEN ` + alias + `.kind || '/' || substr(` + alias + `.key, length('customer/' || ` +
			sqlKeyEscape(alias+`.customer_id`) + ` || '/' || ` + alias + `.kind || '/') + 1) ELSE ` + alias + `.kind END`, nil
	case BySegment:
		return `coalesce(nullif(cs.segment, ''), 'none')`, nil
	case ByBehaviour:
		return `coalesce(nullif(` + alias + `.behaviour, ''), 'not recorded')`, nil
	}
	return "", fmt.Errorf("unknown report grouping %q: want one of kind, campaign, segment, behaviour", by)
}

// Report counts, per group, what the marketing follow-ups emailed or held out in the query's
// period did: one aggregate query. Groups come in byte order of their names.
func (s *DB) Report(ctx context.Context, q ReportQuery) ([]ReportCounts, error) {
	sendGroup, err := groupExpr(q.By, "sl")
	if err != nil {
		return nil, err
	}
	heldGroup, err := groupExpr(q.By, "fo")
	if err != nil {
		return nil, err
	}
	// By behaviour only offers count: the behaviour is that of the moment of truth.
	onlyOffers := q.By == ByBehaviour
	rows, err := s.pool.Query(ctx, `
		WITH sends AS (
			SELECT sl.key, sl.customer_id, sl.kind, `+sendGroup+` AS grp
			FROM send_log sl LEFT JOIN customer_segments cs ON cs.customer_id = sl.customer_id
			WHERE sl.status = 'sent' AND sl.kind <> ALL($3) AND sl.sent_at >= $1 AND sl.sent_at < $2
			  AND (NOT $5 OR sl.kind = 'offer')
		), events AS (
			SELECT e.send_key,
				bool_or(e.event = 'delivered') AS delivered, bool_or(e.event = 'open') AS opened, bool_or(e.event = 'click') AS clicked
			FROM email_events e JOIN sends s ON s.key = e.send_key
			WHERE e.event IN ('delivered', 'open', 'click')
			GROUP BY e.send_key
		), credited AS (
			SELECT a.send_key, sum(a.revenue_cents) AS revenue
			FROM attributions a JOIN sends s ON s.key = a.send_key
			GROUP BY a.send_key
		), treated AS (
			SELECT s.grp, count(*) AS sent,
				count(*) FILTER (WHERE ev.delivered) AS delivered,
				count(*) FILTER (WHERE ev.opened) AS opened,
				count(*) FILTER (WHERE ev.clicked) AS clicked,
				count(*) FILTER (WHERE s.kind = 'offer') AS offers,
				count(*) FILTER (WHERE s.kind = 'offer' AND EXISTS (
					SELECT 1 FROM send_log c WHERE c.key = 'customer/' || `+sqlKeyEscape("s.customer_id")+` || '/confirmation/' || s.key)) AS accepted,
				count(cr.send_key) AS conversions,
				coalesce(sum(cr.revenue), 0)::bigint AS revenue
			FROM sends s
			LEFT JOIN events ev ON ev.send_key = s.key
			LEFT JOIN credited cr ON cr.send_key = s.key
			GROUP BY s.grp
		), held AS (
			SELECT `+heldGroup+` AS grp, count(*) AS held_out,
				count(*) FILTER (WHERE b.n > 0) AS conversions,
				coalesce(sum(b.revenue), 0)::bigint AS revenue
			FROM followup_outcomes fo
			LEFT JOIN customer_segments cs ON cs.customer_id = fo.customer_id
			LEFT JOIN LATERAL (
				SELECT count(*) AS n, sum(p.price_cents) AS revenue
				FROM purchases pu JOIN products p ON p.sku = pu.sku
				WHERE pu.customer_id = fo.customer_id AND pu.purchased_at > fo.decided_at AND pu.purchased_at <= fo.decided_at + $4
			) b ON true
			WHERE fo.outcome = 'held_out' AND fo.kind <> ALL($3) AND fo.decided_at >= $1 AND fo.decided_at < $2
			  AND (NOT $5 OR fo.kind = 'offer')
			GROUP BY 1
		)
		SELECT coalesce(t.grp, h.grp), coalesce(t.sent, 0), coalesce(t.delivered, 0), coalesce(t.opened, 0), coalesce(t.clicked, 0),
			coalesce(t.offers, 0), coalesce(t.accepted, 0), coalesce(t.conversions, 0), coalesce(t.revenue, 0),
			coalesce(h.held_out, 0), coalesce(h.conversions, 0), coalesce(h.revenue, 0)
		FROM treated t FULL JOIN held h ON h.grp = t.grp
		ORDER BY coalesce(t.grp, h.grp) COLLATE "C"`,
		q.Since, q.Until, transactionalKinds(), s.attributionWindow, onlyOffers)
	if err != nil {
		return nil, fmt.Errorf("report by %s: %w", q.By, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReportCounts, error) {
		var c ReportCounts
		err := r.Scan(&c.Group, &c.Sent, &c.Delivered, &c.Opened, &c.Clicked, &c.Offers, &c.OffersAccepted,
			&c.Conversions, &c.RevenueCents, &c.HeldOut, &c.HoldoutConversions, &c.HoldoutRevenueCents)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("report by %s: %w", q.By, err)
	}
	return out, nil
}

// ReportDay is one day (UTC) of the report's time series: marketing emails sent that day and the
// revenue of the purchases made that day that are credited to such an email.
type ReportDay struct {
	Day          time.Time `json:"day"`
	Sent         int64     `json:"sent"`
	RevenueCents int64     `json:"revenue_cents"`
}

// ReportSeries returns the days of [since, until) on which an email went out or a credited
// purchase was made, in order.
func (s *DB) ReportSeries(ctx context.Context, since, until time.Time) ([]ReportDay, error) {
	rows, err := s.pool.Query(ctx, `
		WITH sent AS (
			SELECT date_trunc('day', sl.sent_at AT TIME ZONE 'UTC') AS day, count(*) AS n
			FROM send_log sl
			WHERE sl.status = 'sent' AND sl.kind <> ALL($3) AND sl.sent_at >= $1 AND sl.sent_at < $2
			GROUP BY 1
		), revenue AS (
			SELECT date_trunc('day', a.purchased_at AT TIME ZONE 'UTC') AS day, sum(a.revenue_cents) AS cents
			FROM attributions a
			WHERE a.purchased_at >= $1 AND a.purchased_at < $2
			GROUP BY 1
		)
		SELECT coalesce(s.day, r.day), coalesce(s.n, 0), coalesce(r.cents, 0)::bigint
		FROM sent s FULL JOIN revenue r ON r.day = s.day
		ORDER BY 1`, since, until, transactionalKinds())
	if err != nil {
		return nil, fmt.Errorf("report series: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReportDay, error) {
		var d ReportDay
		err := r.Scan(&d.Day, &d.Sent, &d.RevenueCents)
		d.Day = time.Date(d.Day.Year(), d.Day.Month(), d.Day.Day(), 0, 0, 0, 0, time.UTC)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("report series: %w", err)
	}
	return out, nil
}
