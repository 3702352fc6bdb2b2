package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// The report benchmark's period: eleven rounds of follow-ups, six days apart, from reportBenchStart.
var (
	reportBenchStart = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	reportBenchUntil = reportBenchStart.AddDate(0, 0, 70)
)

// BenchmarkReport runs `starter report`'s query (store.Report, once per grouping) over 1,000,000
// marketing emails and 200,000 purchases (issue 14), seeded once, and measures in the same
// iterations the floor any report over those rows has on this server: a bare aggregate query that
// reads the same rows of the same tables as the report (the emails sent and the held-out
// follow-ups, with the columns the report counts) once each and counts them, with no join between
// them. x_floor is the report's time over the floor's; the target is at most 2. Before
// timing, each grouping's rows are checked against the query as it joined before migration 0026.
//
//	go test -run '^$' -bench Report -benchtime 3x -timeout 40m ./internal/store
func BenchmarkReport(b *testing.B) {
	s, url := storetest.New(b)
	ctx := context.Background()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatalf("connect to %s: %v", url, err)
	}
	defer db.Close(ctx)
	seeded := time.Now()
	seedReportBench(b, db)
	b.Logf("seeded in %s: %s", time.Since(seeded).Round(time.Second), reportBenchSizes(b, db))

	for _, by := range store.ReportGroupings {
		b.Run("by="+string(by), func(b *testing.B) {
			q := store.ReportQuery{Since: reportBenchStart, Until: reportBenchUntil, By: by}
			checkReportAsJoined(b, s, db, q)
			var report, floor time.Duration
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				rows, err := s.Report(ctx, q)
				report += time.Since(start)
				if err != nil || len(rows) == 0 {
					b.Fatalf("report by %s: %d rows, %v", by, len(rows), err)
				}

				b.StopTimer()
				start = time.Now()
				n := reportFloor(b, db)
				floor += time.Since(start)
				if n == 0 {
					b.Fatalf("the floor query counted nothing")
				}
				b.StartTimer()
			}
			b.ReportMetric(report.Seconds()*1000/float64(b.N), "ms/report")
			b.ReportMetric(floor.Seconds()*1000/float64(b.N), "ms/floor")
			b.ReportMetric(report.Seconds()/floor.Seconds(), "x_floor")
		})
	}
}

// reportFloor is the bare aggregate: the rows the report reads, each table scanned once with the
// report's filters and the columns it counts counted per kind, nothing joined. Since migration 0016
// the report reads what SendGrid reported from send_log's own columns, not email_events, and since
// 0026 the credited purchases, the acceptance and the held-out purchases from send_log's and
// followup_outcomes' own columns, not attributions, the confirmations and purchases; so the floor
// reads those columns too (scanning the tables the report no longer reads would flatter the ratio).
// It runs with the report's settings, in a read-only transaction with JIT off: with JIT on, the
// floor alone paid for compiling its plan, which flattered the ratio too. And it is planned for its
// arguments each time, as `starter report` plans its one query: this connection runs the same floor
// sixteen times, and after five PostgreSQL switched its prepared statement to a generic plan, which
// was slower (the floor grew from one sub-benchmark to the next). It returns how many groups it
// counted.
func reportFloor(b *testing.B, db *pgx.Conn) int {
	b.Helper()
	ctx := context.Background()
	n := 0
	err := pgx.BeginTxFunc(ctx, db, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT kind, count(*) + count(delivered_at) + count(opened_at) + count(clicked_at) + count(accepted_at)
				+ sum(credited_purchases) + sum(credited_revenue_cents)
			FROM send_log
			WHERE status = 'sent' AND kind <> ALL($3) AND sent_at >= $1 AND sent_at < $2 GROUP BY kind
			UNION ALL
			SELECT kind, count(*) + sum(held_purchases) + sum(held_revenue_cents) FROM followup_outcomes
			WHERE outcome = 'held_out' AND kind <> ALL($3) AND decided_at >= $1 AND decided_at < $2 GROUP BY kind`,
			reportBenchStart, reportBenchUntil, []string{"confirmation", "service"})
		if err != nil {
			return err
		}
		for rows.Next() {
			n++
		}
		return rows.Err()
	})
	if err != nil {
		b.Fatalf("floor query: %v", err)
	}
	return n
}

// seedReportBench writes, with generate_series, 100,000 customers (value segments spread evenly),
// 1,000 products, and eleven follow-up rounds per customer six days apart (four sales, a season, a
// restock, an offer, care, a check-in, a win-back and an invitation): in each customer's round
// c mod 11 the follow-up is held out (100,000 rows in followup_outcomes), in the ten others it is
// emailed (1,000,000 rows in send_log), with 50,000 skipped follow-ups beside them. SendGrid
// reported 95% of the emails delivered, 30% opened, 6% clicked; a fifth of the offers were
// accepted (a confirmation, transactional, in send_log). Every customer buys a day after rounds 2
// and 7 (200,000 purchases); 60% of those that followed an email are attributed to it. The columns
// the report reads are filled as the store's writers fill them.
func seedReportBench(b *testing.B, db *pgx.Conn) {
	b.Helper()
	for _, sql := range []string{
		`INSERT INTO customers (id, email, locale, timezone)
		 SELECT 'c' || lpad(c::text, 7, '0'), 'c' || c || '@example.com', CASE WHEN c % 4 = 0 THEN 'nl' ELSE 'en' END, 'Europe/Amsterdam'
		 FROM generate_series(0, 99999) c`,
		`INSERT INTO customer_segments (customer_id, segment, computed_at, changed_at)
		 SELECT id, (ARRAY['', 'ambassador', 'loyal', 'shopper', 'leaver'])[1 + substr(id, 2)::int % 5], now(), now() FROM customers`,
		`INSERT INTO products (sku, product, category, price_cents, stock)
		 SELECT 'SKU-' || lpad(i::text, 4, '0'), 'model-' || i / 12, 'trousers', 2995 + 100 * (i % 50), 5
		 FROM generate_series(0, 999) i`,
		`CREATE TEMP TABLE followups AS
		 SELECT 'customer/' || cid || '/' || k || '/' || subj AS key, cid, k, subj, t, c % 11 = n AS held
		 FROM generate_series(0, 99999) c, generate_series(0, 10) n,
		 LATERAL (SELECT 'c' || lpad(c::text, 7, '0') AS cid,
			(ARRAY['sale', 'sale', 'sale', 'sale', 'season', 'restock', 'offer', 'care', 'checkin', 'winback', 'invitation'])[n + 1] AS k,
			timestamptz '2026-09-01 00:00:00Z' + n * interval '6 days' + c * interval '3 seconds' AS t) a,
		 LATERAL (SELECT CASE k WHEN 'sale' THEN 'sale-' || n WHEN 'season' THEN 'winter-2026'
			WHEN 'restock' THEN 'SKU-' || lpad((c % 1000)::text, 4, '0') ELSE k || '-' || n END AS subj) s`,
		// Each row with the customer's segment then, as ClaimSend and RecordOutcomes write it.
		`INSERT INTO send_log (key, customer_id, kind, subject, status, created_at, sent_at, behaviour, segment)
		 SELECT key, cid, k, subj, 'sent', t, t,
			CASE WHEN k = 'offer' THEN (ARRAY['cost-conscious', 'heavy', 'churn-risk', 'unknown'])[1 + abs(hashtext(key)) % 4] ELSE '' END,
			cs.segment
		 FROM followups f JOIN customer_segments cs ON cs.customer_id = f.cid WHERE NOT held`,
		`INSERT INTO followup_outcomes (key, customer_id, kind, outcome, reason, decided_at, segment)
		 SELECT key, cid, k, 'held_out', 'held-out', t, cs.segment
		 FROM followups f JOIN customer_segments cs ON cs.customer_id = f.cid WHERE held`,
		`INSERT INTO followup_outcomes (key, customer_id, kind, outcome, reason, decided_at, segment)
		 SELECT 'customer/' || id || '/care/care-skipped', id, 'care', 'skipped', 'frequency-cap', timestamptz '2026-09-20 00:00:00Z', cs.segment
		 FROM customers c JOIN customer_segments cs ON cs.customer_id = c.id WHERE substr(id, 2)::int % 2 = 0`,
		`INSERT INTO send_log (key, customer_id, kind, subject, status, created_at, sent_at, segment)
		 SELECT 'customer/' || customer_id || '/confirmation/' || key, customer_id, 'confirmation', key, 'sent',
			sent_at + interval '1 hour', sent_at + interval '1 hour', segment
		 FROM send_log WHERE kind = 'offer' AND abs(hashtext(key)) % 5 = 0`,
		`INSERT INTO email_events (dedupe_key, send_key, customer_id, kind, email, event, occurred_at)
		 SELECT sl.key || '/' || e.event, sl.key, sl.customer_id, sl.kind, sl.customer_id || '@example.com', e.event, sl.sent_at + e.after
		 FROM send_log sl JOIN (VALUES ('delivered', interval '1 minute', 95), ('open', interval '2 hours', 30), ('click', interval '3 hours', 6))
			AS e(event, after, pct) ON abs(hashtext(sl.key)) % 100 < e.pct
		 WHERE sl.kind <> 'confirmation'`,
		// What RecordEmailEvent keeps on each email's row for these events.
		`UPDATE send_log sl SET delivered_at = e.delivered, opened_at = e.opened, clicked_at = e.clicked
		 FROM (SELECT send_key, min(occurred_at) FILTER (WHERE event = 'delivered') AS delivered,
			min(occurred_at) FILTER (WHERE event = 'open') AS opened, min(occurred_at) FILTER (WHERE event = 'click') AS clicked
			FROM email_events GROUP BY send_key) e
		 WHERE sl.key = e.send_key`,
		`INSERT INTO purchases (id, customer_id, sku, purchased_at)
		 SELECT 'o' || c || '-' || n || ':SKU-' || lpad(((c + n) % 1000)::text, 4, '0'), cid, 'SKU-' || lpad(((c + n) % 1000)::text, 4, '0'),
			timestamptz '2026-09-01 00:00:00Z' + n * interval '6 days' + c * interval '3 seconds' + interval '1 day'
		 FROM generate_series(0, 99999) c, generate_series(2, 7, 5) n, LATERAL (SELECT 'c' || lpad(c::text, 7, '0') AS cid) a`,
		`INSERT INTO attributions (purchase_id, customer_id, send_key, kind, campaign, clicked, revenue_cents, purchased_at)
		 SELECT pu.id, pu.customer_id, f.key, f.k, CASE WHEN f.k IN ('sale', 'season') THEN f.subj ELSE '' END,
			abs(hashtext(f.key)) % 100 < 6, p.price_cents, pu.purchased_at
		 FROM purchases pu JOIN products p ON p.sku = pu.sku
		 JOIN followups f ON f.cid = pu.customer_id AND f.t = pu.purchased_at - interval '1 day' AND NOT f.held
		 WHERE abs(hashtext(pu.id)) % 10 < 6`,
		// What RecordPurchase keeps on each held-out follow-up (the attributions and the
		// confirmations above kept their emails' rows right by themselves: migration 0026's triggers).
		`UPDATE followup_outcomes fo SET held_purchases = b.n, held_revenue_cents = b.revenue
		 FROM (SELECT h.key, count(*) AS n, sum(coalesce(pu.price_cents, p.price_cents)) AS revenue
			FROM followup_outcomes h
			JOIN purchases pu ON pu.customer_id = h.customer_id AND pu.purchased_at > h.decided_at AND pu.purchased_at <= h.decided_at + interval '5 days'
			JOIN products p ON p.sku = pu.sku
			WHERE h.outcome = 'held_out' GROUP BY h.key) b
		 WHERE fo.key = b.key`,
		`DROP TABLE followups`,
		`VACUUM ANALYZE`,
	} {
		mustExec(b, db, sql)
	}
}

// reportBenchSizes says how many rows the seed wrote, for the benchmark's log.
func reportBenchSizes(b *testing.B, db *pgx.Conn) string {
	b.Helper()
	var sends, events, purchases, attributed, held int64
	err := db.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM send_log WHERE kind NOT IN ('confirmation', 'service')),
		(SELECT count(*) FROM email_events), (SELECT count(*) FROM purchases),
		(SELECT count(*) FROM attributions), (SELECT count(*) FROM followup_outcomes WHERE outcome = 'held_out')`).
		Scan(&sends, &events, &purchases, &attributed, &held)
	if err != nil {
		b.Fatalf("count the seeded rows: %v", err)
	}
	if sends != 1_000_000 || purchases != 200_000 {
		b.Fatalf("seeded %d marketing emails and %d purchases, want 1,000,000 and 200,000", sends, purchases)
	}
	return fmt.Sprintf("%d marketing emails, %d email events, %d purchases, %d attributed, %d held out",
		sends, events, purchases, attributed, held)
}

// checkReportAsJoined fails the benchmark unless store.Report gives, on the seeded database, the
// rows the report's query gave before migration 0026, which joined attributions, the confirmations
// and purchases at report time instead of reading the columns 0026 keeps (reportAsJoined); it logs
// that query's time, once.
func checkReportAsJoined(b *testing.B, s *store.DB, db *pgx.Conn, q store.ReportQuery) {
	b.Helper()
	got, err := s.Report(context.Background(), q)
	if err != nil {
		b.Fatalf("report by %s: %v", q.By, err)
	}
	start := time.Now()
	want := reportAsJoined(b, db, q)
	b.Logf("by %s: the query as joined before 0026 took %s", q.By, time.Since(start).Round(time.Millisecond))
	if len(got) != len(want) {
		b.Fatalf("report by %s: %d groups, the joined query %d:\n%+v\n%+v", q.By, len(got), len(want), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			b.Fatalf("report by %s, group %d:\n got %+v\nwant %+v (the joined query)", q.By, i, got[i], want[i])
		}
	}
}

// reportAsJoined is store.Report's query as it was before migration 0026, with the benchmark's
// attribution window (the default, 5 days), in the same transaction settings.
func reportAsJoined(b *testing.B, db *pgx.Conn, q store.ReportQuery) []store.ReportCounts {
	b.Helper()
	ctx := context.Background()
	group := map[store.ReportGrouping]string{
		store.ByKind: "%s.kind", store.ByCampaign: "%s.campaign", store.BySegment: "coalesce(nullif(cs.segment, ''), 'none')",
		store.ByBehaviour: "coalesce(nullif(%s.behaviour, ''), 'not recorded')",
	}[q.By]
	sendGroup, heldGroup := group, group
	if q.By != store.BySegment {
		sendGroup, heldGroup = fmt.Sprintf(group, "sl"), fmt.Sprintf(group, "fo")
	}
	const sentInPeriod = `sl.status = 'sent' AND sl.kind <> ALL($3) AND sl.sent_at >= $1 AND sl.sent_at < $2
			  AND (NOT $5 OR sl.kind = 'offer')`
	var out []store.ReportCounts
	err := pgx.BeginTxFunc(ctx, db, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off; SET LOCAL work_mem = '32MB'`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
		WITH treated AS (
			SELECT `+sendGroup+` AS grp, count(*) AS sent,
				count(sl.delivered_at) AS delivered, count(sl.opened_at) AS opened, count(sl.clicked_at) AS clicked,
				count(*) FILTER (WHERE sl.kind = 'offer') AS offers,
				count(cr.send_key) AS conversions, coalesce(sum(cr.revenue), 0)::bigint AS revenue
			FROM send_log sl
			LEFT JOIN customer_segments cs ON cs.customer_id = sl.customer_id
			LEFT JOIN (
				SELECT a.send_key, sum(a.revenue_cents) AS revenue FROM attributions a
				WHERE a.purchased_at >= $1 GROUP BY a.send_key
			) cr ON cr.send_key = sl.key
			WHERE `+sentInPeriod+`
			GROUP BY 1
		), accepted AS (
			SELECT `+sendGroup+` AS grp, count(*) AS accepted
			FROM send_log c
			JOIN send_log sl ON sl.key = substr(c.key, length('customer/' || replace(replace(c.customer_id, '%', '%25'), '/', '%2F') || '/confirmation/') + 1)
			LEFT JOIN customer_segments cs ON cs.customer_id = sl.customer_id
			WHERE c.kind = 'confirmation' AND c.created_at >= $1 AND sl.kind = 'offer' AND `+sentInPeriod+`
			GROUP BY 1
		), held AS (
			SELECT fo.key, fo.customer_id, fo.decided_at, `+heldGroup+` AS grp
			FROM followup_outcomes fo
			LEFT JOIN customer_segments cs ON cs.customer_id = fo.customer_id
			WHERE fo.outcome = 'held_out' AND fo.kind <> ALL($3) AND fo.decided_at >= $1 AND fo.decided_at < $2
			  AND (NOT $5 OR fo.kind = 'offer')
		), bought AS (
			SELECT h.key, sum(coalesce(pu.price_cents, p.price_cents)) AS revenue
			FROM held h
			JOIN purchases pu ON pu.customer_id = h.customer_id AND pu.purchased_at > h.decided_at AND pu.purchased_at <= h.decided_at + $4
			JOIN products p ON p.sku = pu.sku
			WHERE pu.purchased_at > $1
			GROUP BY h.key
		), holdout AS (
			SELECT h.grp, count(*) AS held_out, count(b.key) AS conversions, coalesce(sum(b.revenue), 0)::bigint AS revenue
			FROM held h LEFT JOIN bought b ON b.key = h.key
			GROUP BY h.grp
		)
		SELECT coalesce(t.grp, h.grp), coalesce(t.sent, 0), coalesce(t.delivered, 0), coalesce(t.opened, 0), coalesce(t.clicked, 0),
			coalesce(t.offers, 0), coalesce(ac.accepted, 0), coalesce(t.conversions, 0), coalesce(t.revenue, 0),
			coalesce(h.held_out, 0), coalesce(h.conversions, 0), coalesce(h.revenue, 0)
		FROM treated t
		LEFT JOIN accepted ac ON ac.grp = t.grp
		FULL JOIN holdout h ON h.grp = t.grp
		ORDER BY coalesce(t.grp, h.grp) COLLATE "C"`,
			q.Since, q.Until, []string{"confirmation", "service"}, 5*24*time.Hour, q.By == store.ByBehaviour)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ReportCounts, error) {
			var c store.ReportCounts
			err := r.Scan(&c.Group, &c.Sent, &c.Delivered, &c.Opened, &c.Clicked, &c.Offers, &c.OffersAccepted,
				&c.Conversions, &c.RevenueCents, &c.HeldOut, &c.HoldoutConversions, &c.HoldoutRevenueCents)
			return c, err
		})
		return err
	})
	if err != nil {
		b.Fatalf("the joined report by %s: %v", q.By, err)
	}
	return out
}
