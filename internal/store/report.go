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
// attribution window after the decision) and that revenue, at the price paid (the order's price,
// else the product's price when the purchase or the hold-out was recorded).
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
		// The sale id or the season's collection, from the send key: a generated column (0022).
		return alias + `.campaign`, nil
	case BySegment:
		// The customer's segment when the email was claimed or the follow-up decided (0026).
		return `coalesce(nullif(` + alias + `.segment, ''), 'none')`, nil
	case ByBehaviour:
		return `coalesce(nullif(` + alias + `.behaviour, ''), 'not recorded')`, nil
	}
	return "", fmt.Errorf("unknown report grouping %q: want one of kind, campaign, segment, behaviour", by)
}

// Report counts, per group, what the marketing follow-ups emailed or held out in the query's
// period did. Groups come in byte order of their names.
//
// It is one scan of the period's emails in send_log and one of its held-out follow-ups in
// followup_outcomes, with no join: each row carries what the report counts, written with the fact
// it stands for (migrations 0016 and 0026): engagement by RecordEmailEvent, the credited purchases
// and revenue by each attribution, an offer's acceptance by its confirmation's claim, a held-out
// follow-up's purchases by RecordPurchase and RecordOutcomes, and the customer's value segment by
// ClaimSend and RecordOutcomes. So by segment groups by the segment the email went out under (or
// the follow-up was held out under), not the customer's segment today; a held-out purchase's revenue is the product's price when the purchase (or the
// hold-out) was recorded, when the order said no price, and the attribution window is the one in
// force then. BenchmarkReport measures it against a bare scan of the same rows
// (docs/BENCHMARKS.md). It runs in a read-only transaction with JIT off (compiling the plan cost
// more than it saved at a million emails).
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
	var out []ReportCounts
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
		WITH treated AS (
			-- An offer is accepted when a confirmation was queued for it, after it was sent, so
			-- after $1; a purchase is credited after its email was sent.
			SELECT `+sendGroup+` AS grp, count(*) AS sent,
				count(sl.delivered_at) AS delivered, count(sl.opened_at) AS opened, count(sl.clicked_at) AS clicked,
				count(*) FILTER (WHERE sl.kind = 'offer') AS offers,
				count(*) FILTER (WHERE sl.kind = 'offer' AND sl.accepted_at >= $1) AS accepted,
				count(*) FILTER (WHERE sl.credited_purchases > 0) AS conversions,
				coalesce(sum(sl.credited_revenue_cents), 0)::bigint AS revenue
			FROM send_log sl
			WHERE sl.status = 'sent' AND sl.kind <> ALL($3) AND sl.sent_at >= $1 AND sl.sent_at < $2
			  AND (NOT $4 OR sl.kind = 'offer')
			GROUP BY 1
		), holdout AS (
			SELECT `+heldGroup+` AS grp, count(*) AS held_out,
				count(*) FILTER (WHERE fo.held_purchases > 0) AS conversions,
				coalesce(sum(fo.held_revenue_cents), 0)::bigint AS revenue
			FROM followup_outcomes fo
			WHERE fo.outcome = 'held_out' AND fo.kind <> ALL($3) AND fo.decided_at >= $1 AND fo.decided_at < $2
			  AND (NOT $4 OR fo.kind = 'offer')
			GROUP BY 1
		)
		SELECT coalesce(t.grp, h.grp), coalesce(t.sent, 0), coalesce(t.delivered, 0), coalesce(t.opened, 0), coalesce(t.clicked, 0),
			coalesce(t.offers, 0), coalesce(t.accepted, 0), coalesce(t.conversions, 0), coalesce(t.revenue, 0),
			coalesce(h.held_out, 0), coalesce(h.conversions, 0), coalesce(h.revenue, 0)
		FROM treated t FULL JOIN holdout h ON h.grp = t.grp
		ORDER BY coalesce(t.grp, h.grp) COLLATE "C"`,
			q.Since, q.Until, transactionalKinds(), onlyOffers)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReportCounts, error) {
			var c ReportCounts
			err := r.Scan(&c.Group, &c.Sent, &c.Delivered, &c.Opened, &c.Clicked, &c.Offers, &c.OffersAccepted,
				&c.Conversions, &c.RevenueCents, &c.HeldOut, &c.HoldoutConversions, &c.HoldoutRevenueCents)
			return c, err
		})
		return err
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
