package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Attribution is a purchase credited to the marketing email that last touched the customer before it.
type Attribution struct {
	PurchaseID   string         `json:"purchase_id"`
	CustomerID   string         `json:"customer_id"`
	SendKey      string         `json:"send_key"` // the email's lifecycle.SendKey
	Kind         lifecycle.Kind `json:"kind"`
	Campaign     string         `json:"campaign,omitempty"` // the sale id or the season's collection; "" for other kinds
	Clicked      bool           `json:"clicked"`            // credited for a click within the window
	RevenueCents int64          `json:"revenue_cents"`      // the product's price when bought
	PurchasedAt  time.Time      `json:"purchased_at"`
	AttributedAt time.Time      `json:"attributed_at"`
}

// transactionalKinds are never credited with a purchase: the customer asked for them.
func transactionalKinds() []string {
	var out []string
	for _, k := range lifecycle.AllKinds {
		if k.Transactional() {
			out = append(out, string(k))
		}
	}
	return out
}

// attribute credits the purchase just inserted in tx (last touch): among the customer's marketing
// emails sent before purchasedAt, the one clicked last within the window before it, else the one
// sent last within the window. A click takes precedence over a later send without one. Nothing is
// written when no email qualifies; a purchase already credited keeps its row, so recording it again
// changes nothing. The insert adds the purchase and its revenue to the email's send_log row, for
// the report (a trigger of migration 0026, so rows inserted by any writer count).
func attribute(ctx context.Context, tx pgx.Tx, purchaseID, customerID string, purchasedAt time.Time, revenueCents int64, window time.Duration) error {
	from := purchasedAt.Add(-window)
	var (
		key, kind string
		clicked   bool
	)
	err := tx.QueryRow(ctx, `
		SELECT sl.key, sl.kind, c.last_click IS NOT NULL
		FROM send_log sl
		LEFT JOIN LATERAL (
			SELECT max(e.occurred_at) AS last_click FROM email_events e
			WHERE e.send_key = sl.key AND e.event = 'click' AND e.occurred_at > $3 AND e.occurred_at <= $2
		) c ON true
		WHERE sl.customer_id = $1 AND sl.status = 'sent' AND sl.kind <> ALL($4)
		  AND sl.sent_at <= $2 AND (sl.sent_at > $3 OR c.last_click IS NOT NULL)
		ORDER BY c.last_click DESC NULLS LAST, sl.sent_at DESC, sl.key COLLATE "C" DESC
		LIMIT 1`, customerID, purchasedAt, from, transactionalKinds()).Scan(&key, &kind, &clicked)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find the email to credit: %w", err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO attributions (purchase_id, customer_id, send_key, kind, campaign, clicked, revenue_cents, purchased_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (purchase_id) DO NOTHING`,
		purchaseID, customerID, key, kind, campaignOf(customerID, lifecycle.Kind(kind), key), clicked, revenueCents, purchasedAt)
	if err != nil {
		return fmt.Errorf("credit %s: %w", key, err)
	}
	return nil
}

// campaignOf is the subject of a sale's or a season's send key: the sale id or the collection.
func campaignOf(customerID string, kind lifecycle.Kind, key string) string {
	if kind != lifecycle.KindSale && kind != lifecycle.KindSeason {
		return ""
	}
	subject, ok := strings.CutPrefix(key, lifecycle.SendKey(customerID, kind, ""))
	if !ok {
		return ""
	}
	return subject
}

// Attributions returns the customer's credited purchases, the latest first.
func (s *DB) Attributions(ctx context.Context, customerID string) ([]Attribution, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT purchase_id, customer_id, send_key, kind, campaign, clicked, revenue_cents, purchased_at, attributed_at
		FROM attributions WHERE customer_id = $1
		ORDER BY purchased_at DESC, purchase_id COLLATE "C"`, customerID)
	if err != nil {
		return nil, fmt.Errorf("read attributions of %s: %w", customerID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attribution, error) {
		var a Attribution
		err := r.Scan(&a.PurchaseID, &a.CustomerID, &a.SendKey, &a.Kind, &a.Campaign, &a.Clicked, &a.RevenueCents, &a.PurchasedAt, &a.AttributedAt)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("read attributions of %s: %w", customerID, err)
	}
	return out, nil
}
