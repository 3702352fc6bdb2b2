package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Customer returns the customer with id, or an error wrapping lifecycle.ErrNotFound. Suppressed is
// true when the address is in suppressions (see Suppress).
func (s *DB) Customer(ctx context.Context, id string) (lifecycle.Customer, error) {
	var c lifecycle.Customer
	err := s.pool.QueryRow(ctx, `
		SELECT c.id, c.name, c.email, c.locale, c.timezone, c.marketing_consent,
		       (s.email IS NOT NULL OR EXISTS (SELECT 1 FROM erased_suppressions e WHERE e.email_sha256 = sha256(convert_to(lower(btrim(c.email)), 'UTF8'))))
		FROM customers c LEFT JOIN suppressions s ON s.email = lower(btrim(c.email))
		WHERE c.id = $1`, id,
	).Scan(&c.ID, &c.Name, &c.Email, &c.Locale, &c.Timezone, &c.MarketingConsent, &c.Suppressed)
	if isNoRows(err) {
		return lifecycle.Customer{}, notFound("customer", id)
	}
	if err != nil {
		return lifecycle.Customer{}, fmt.Errorf("load customer %s: %w", id, err)
	}
	return c, nil
}

// Preferences returns what the customer stated or taught us by buying; empty lists when nothing
// is known yet, lifecycle.ErrNotFound for an unknown customer.
func (s *DB) Preferences(ctx context.Context, customerID string) (lifecycle.Preferences, error) {
	prefs, err := loadPreferences(ctx, s.pool, customerID, false)
	if err != nil {
		return lifecycle.Preferences{}, fmt.Errorf("load preferences of %s: %w", customerID, err)
	}
	return prefs, nil
}

// loadPreferences reads a customer's preferences; forUpdate locks the customer row so that
// concurrent merges for one customer cannot lose each other's additions.
func loadPreferences(ctx context.Context, q querier, customerID string, forUpdate bool) (lifecycle.Preferences, error) {
	sql := `
		SELECT coalesce(p.colors, '{}'), coalesce(p.sizes, '{}'), coalesce(p.categories, '{}')
		FROM customers c LEFT JOIN preferences p ON p.customer_id = c.id
		WHERE c.id = $1`
	if forUpdate {
		sql += ` FOR UPDATE OF c`
	}
	var p lifecycle.Preferences
	err := q.QueryRow(ctx, sql, customerID).Scan(&p.Colors, &p.Sizes, &p.Categories)
	if isNoRows(err) {
		return lifecycle.Preferences{}, notFound("customer", customerID)
	}
	if err != nil {
		return lifecycle.Preferences{}, err
	}
	return p, nil
}

// querier is what pgxpool.Pool and pgx.Tx share.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// SetConsent records whether the customer may receive marketing email and where that came from
// (e.g. "unsubscribe-link", "import"), and in the same transaction owes the customer's workflow a
// consent signal (see RelayConsentSignals), even when consent did not change: whoever calls it
// means the workflow to hear it.
func (s *DB) SetConsent(ctx context.Context, customerID string, consent bool, source string) error {
	return s.SetConsentOwing(ctx, customerID, consent, source, nil)
}

// SetConsentOwing changes consent as SetConsent does, but owes signal instead of the consent
// signal when signal is not nil (an unsubscribe, which tells the workflow why).
func (s *DB) SetConsentOwing(ctx context.Context, customerID string, consent bool, source string, signal *OwedSignal) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE customers
			SET marketing_consent = $2, consent_source = $3, consent_updated_at = now(), updated_at = now()
			WHERE id = $1`, customerID, consent, source)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("customer", customerID)
		}
		if signal != nil {
			_, err := owe(ctx, tx, *signal)
			return err
		}
		return oweConsentSignals(ctx, tx, `SELECT id, marketing_consent, consent_source, consent_updated_at
			FROM customers WHERE id = $1`, customerID)
	})
	if err != nil {
		return fmt.Errorf("set consent of %s: %w", customerID, err)
	}
	return nil
}

// CustomersInterestedIn returns, sorted, the ids of customers with marketing consent who bought a
// product of category or list it among their preferred categories.
func (s *DB) CustomersInterestedIn(ctx context.Context, category string) ([]string, error) {
	ids, err := s.ids(ctx, `
		SELECT c.id FROM customers c
		WHERE c.marketing_consent AND (
			EXISTS (SELECT 1 FROM purchases pu JOIN products pr ON pr.sku = pu.sku
			        WHERE pu.customer_id = c.id AND pr.category = $1)
			OR EXISTS (SELECT 1 FROM preferences p
			           WHERE p.customer_id = c.id AND p.categories @> ARRAY[$1]::text[]))
		ORDER BY c.id COLLATE "C"`, lifecycle.Normalize(category))
	if err != nil {
		return nil, fmt.Errorf("list customers interested in %s: %w", category, err)
	}
	return ids, nil
}

// CustomersWithPurchases returns, sorted, the ids of customers with marketing consent who bought
// at least once.
func (s *DB) CustomersWithPurchases(ctx context.Context) ([]string, error) {
	ids, err := s.ids(ctx, `
		SELECT c.id FROM customers c
		WHERE c.marketing_consent AND EXISTS (SELECT 1 FROM purchases pu WHERE pu.customer_id = c.id)
		ORDER BY c.id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list customers with purchases: %w", err)
	}
	return ids, nil
}

func (s *DB) ids(ctx context.Context, sql string, args ...any) ([]string, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}
