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
// reads the same rows of the same tables (emails sent, their events, attributions, held-out
// follow-ups, purchases) once each and counts them, with no join between them. x_floor is the
// report's time over the floor's; the target is at most 2.
//
//	go test -run '^$' -bench Report -benchtime 5x -timeout 30m ./internal/store
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
// report's filters and counted per kind, nothing joined. Since migration 0016 the report reads
// what SendGrid reported from send_log's own columns, not email_events, so the floor does too
// (counting email_events would have flattered the ratio). It returns how many groups it
// counted.
func reportFloor(b *testing.B, db *pgx.Conn) int {
	b.Helper()
	rows, err := db.Query(context.Background(), `
		SELECT kind, count(*) + count(delivered_at) + count(opened_at) + count(clicked_at) FROM send_log
		WHERE status = 'sent' AND kind <> ALL($3) AND sent_at >= $1 AND sent_at < $2 GROUP BY kind
		UNION ALL
		SELECT kind, sum(revenue_cents) FROM attributions GROUP BY kind
		UNION ALL
		SELECT kind, count(*) FROM followup_outcomes
		WHERE outcome = 'held_out' AND kind <> ALL($3) AND decided_at >= $1 AND decided_at < $2 GROUP BY kind
		UNION ALL
		SELECT 'purchases', count(*) FROM purchases`,
		reportBenchStart, reportBenchUntil, []string{"confirmation", "service"})
	if err != nil {
		b.Fatalf("floor query: %v", err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
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
// and 7 (200,000 purchases); 60% of those that followed an email are attributed to it.
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
		`INSERT INTO send_log (key, customer_id, kind, subject, status, created_at, sent_at, behaviour)
		 SELECT key, cid, k, subj, 'sent', t, t,
			CASE WHEN k = 'offer' THEN (ARRAY['cost-conscious', 'heavy', 'churn-risk', 'unknown'])[1 + abs(hashtext(key)) % 4] ELSE '' END
		 FROM followups WHERE NOT held`,
		`INSERT INTO followup_outcomes (key, customer_id, kind, outcome, reason, decided_at)
		 SELECT key, cid, k, 'held_out', 'held-out', t FROM followups WHERE held`,
		`INSERT INTO followup_outcomes (key, customer_id, kind, outcome, reason, decided_at)
		 SELECT 'customer/' || id || '/care/care-skipped', id, 'care', 'skipped', 'frequency-cap', timestamptz '2026-09-20 00:00:00Z'
		 FROM customers WHERE substr(id, 2)::int % 2 = 0`,
		`INSERT INTO send_log (key, customer_id, kind, subject, status, created_at, sent_at)
		 SELECT 'customer/' || customer_id || '/confirmation/' || key, customer_id, 'confirmation', key, 'sent',
			sent_at + interval '1 hour', sent_at + interval '1 hour'
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
