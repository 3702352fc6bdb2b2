package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// RecordPurchase stores the purchase once, keyed by p.ID (with the price paid and the size wanted
// when given), learns the customer's preferences from it
// (the product's colour, size and category and the wanted colour) unless the customer stopped
// learning on the preference page (SetLearningOwing), and, when a different colour was
// wanted, opens a wish with the purchase's id for the same style and size in that colour. Recording
// the same purchase again changes nothing and returns the same product and the current
// preferences. A zero p.At means the database's current time.
//
// In the same transaction the purchase is credited to the marketing email that last touched the
// customer within the attribution window before it (see attribute), and counted on the customer's
// held-out follow-ups decided within the window before it, at the price paid: the order's, else
// the product's price now, which is frozen there (the report's "revenue (the price at purchase)").
func (s *DB) RecordPurchase(ctx context.Context, p lifecycle.Purchase) (lifecycle.Product, lifecycle.Preferences, error) {
	var (
		product lifecycle.Product
		prefs   lifecycle.Preferences
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := s.recordPurchase(ctx, tx, p, false)
		product, prefs = r.Product, r.Preferences
		return err
	})
	if err != nil {
		return lifecycle.Product{}, lifecycle.Preferences{}, fmt.Errorf("record purchase %s: %w", p.ID, err)
	}
	return product, prefs, nil
}

// PurchaseOwing is a purchase and the signal it owes the customer's workflow; a zero Signal (no
// EventID) owes none: a purchase kept as history.
type PurchaseOwing struct {
	Purchase lifecycle.Purchase
	Signal   OwedSignal
	// SignalPayload, when not nil, writes the signal's payload from what the transaction recorded,
	// in place of Signal.Payload: the workflow then learns the product and the preferences from the
	// signal instead of recording the purchase again (the event layer fills it; the store does not
	// know the workflow's payloads).
	SignalPayload func(RecordedPurchase) (json.RawMessage, error)
}

// RecordedPurchase is what RecordPurchases did with one purchase.
type RecordedPurchase struct {
	Product     lifecycle.Product
	Preferences lifecycle.Preferences // after the purchase
	// PreferencesBefore are the stored preferences the purchase's learning was merged into (equal
	// to Preferences when the customer stopped learning or the purchase was recorded before).
	PreferencesBefore lifecycle.Preferences
	New               bool // false: the purchase was recorded before, and nothing new is owed
}

// RecordPurchases records each purchase as RecordPurchase does and owes its signal, all in one
// transaction: all are recorded or none. A purchase already recorded owes nothing new, even if its
// signal's event id is new. An unknown product or customer is an error wrapping
// lifecycle.ErrNotFound.
func (s *DB) RecordPurchases(ctx context.Context, ps []PurchaseOwing) ([]RecordedPurchase, error) {
	out := make([]RecordedPurchase, len(ps))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for i, p := range ps {
			r, err := s.recordPurchase(ctx, tx, p.Purchase, p.Signal.EventID == "")
			if err != nil {
				return fmt.Errorf("record purchase %s: %w", p.Purchase.ID, err)
			}
			out[i] = r
			if !r.New || p.Signal.EventID == "" {
				continue
			}
			sig := p.Signal
			if p.SignalPayload != nil {
				if sig.Payload, err = p.SignalPayload(r); err != nil {
					return fmt.Errorf("purchase %s: %w", p.Purchase.ID, err)
				}
			}
			if _, err := owe(ctx, tx, sig); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record purchases: %w", err)
	}
	return out, nil
}

// recordPurchase is RecordPurchase in tx; it also reports whether the purchase was new and the
// preferences it was merged into. history marks a new purchase as kept as history (it owes no
// signal).
func (s *DB) recordPurchase(ctx context.Context, tx pgx.Tx, p lifecycle.Purchase, history bool) (RecordedPurchase, error) {
	var (
		product lifecycle.Product
		prefs   lifecycle.Preferences
		current lifecycle.Preferences
		isNew   bool
	)
	err := func() error {
		var err error
		product, err = scanProduct(tx.QueryRow(ctx, `SELECT `+productColumns+` FROM products WHERE sku = $1`, p.SKU))
		if isNoRows(err) {
			return notFound("product", p.SKU)
		}
		if err != nil {
			return err
		}
		// Locks the customer row: concurrent purchases of one customer merge one after the other.
		current, err = loadPreferences(ctx, tx, p.CustomerID, true)
		if err != nil {
			return err
		}
		var at *time.Time
		if !p.At.IsZero() {
			at = &p.At
		}
		wanted := lifecycle.Normalize(p.WantedColor)
		var purchasedAt time.Time
		err = tx.QueryRow(ctx, `
			INSERT INTO purchases (id, customer_id, sku, wanted_color, purchased_at, price_cents, wanted_size, history)
			VALUES ($1, $2, $3, $4, coalesce($5, now()), $6, $7, $8)
			ON CONFLICT (id) DO NOTHING
			RETURNING purchased_at`, p.ID, p.CustomerID, p.SKU, wanted, at, p.PriceCents, lifecycle.Normalize(p.WantedSize), history).Scan(&purchasedAt)
		if err != nil && !isNoRows(err) {
			return err
		}
		if isNoRows(err) {
			// Already recorded: make sure it is the same purchase, then change nothing.
			var customerID, sku string
			if err := tx.QueryRow(ctx, `SELECT customer_id, sku FROM purchases WHERE id = $1`, p.ID).Scan(&customerID, &sku); err != nil {
				return err
			}
			if customerID != p.CustomerID || sku != p.SKU {
				return fmt.Errorf("purchase id %q is already used for customer %s buying %s", p.ID, customerID, sku)
			}
			prefs = current
			return nil
		}
		// Every entry point records purchases here, so each is credited to its email, once, with
		// what the customer paid when the order said, else the product's price.
		revenue := product.PriceCents
		if p.PriceCents != nil {
			revenue = *p.PriceCents
		}
		if err := attribute(ctx, tx, p.ID, p.CustomerID, purchasedAt, revenue, s.attributionWindow); err != nil {
			return err
		}
		// And counted, at the same price, on each of the customer's held-out follow-ups whose
		// attribution window it falls in, for the report (migration 0026). The customer row is
		// locked (loadPreferences), so a hold-out recorded concurrently sees this purchase or is
		// seen here (RecordOutcomes).
		if _, err := tx.Exec(ctx, `
			UPDATE followup_outcomes
			SET held_purchases = held_purchases + 1, held_revenue_cents = held_revenue_cents + $3
			WHERE customer_id = $1 AND outcome = 'held_out' AND decided_at < $2 AND decided_at + $4::interval >= $2`,
			p.CustomerID, purchasedAt, revenue, s.attributionWindow); err != nil {
			return fmt.Errorf("count the purchase for the holdout: %w", err)
		}
		var stopped bool
		if err := tx.QueryRow(ctx, `SELECT learning_stopped_at IS NOT NULL FROM customers WHERE id = $1`, p.CustomerID).Scan(&stopped); err != nil {
			return err
		}
		prefs = current
		if !stopped {
			prefs = current.Merge(learnedFrom(product, wanted))
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO preferences (customer_id, colors, sizes, categories) VALUES ($1, $2, $3, $4)
			ON CONFLICT (customer_id) DO UPDATE
			SET colors = excluded.colors, sizes = excluded.sizes, categories = excluded.categories`,
			p.CustomerID, prefs.Colors, prefs.Sizes, prefs.Categories); err != nil {
			return err
		}
		if wanted != "" && wanted != lifecycle.Normalize(product.Color) {
			if _, err := tx.Exec(ctx, `
				INSERT INTO wishes (id, customer_id, product, color, size, created_at)
				SELECT id, customer_id, $2, $3, $4, purchased_at FROM purchases WHERE id = $1
				ON CONFLICT (id) DO NOTHING`,
				p.ID, product.Product, wanted, lifecycle.Normalize(product.Size)); err != nil {
				return err
			}
		}
		isNew = true
		return nil
	}()
	return RecordedPurchase{Product: product, Preferences: prefs, PreferencesBefore: current, New: isNew}, err
}

// learnedFrom is what a purchase of product teaches about the customer's taste: its colour, size
// and category, and the colour they wanted instead. The preference page names the purchase as the
// source of each (Held).
func learnedFrom(product lifecycle.Product, wantedColor string) lifecycle.Preferences {
	return lifecycle.Preferences{
		Colors:     []string{product.Color, wantedColor},
		Sizes:      []string{product.Size},
		Categories: []string{product.Category},
	}
}

// OpenWish is an open wish waiting for its product to come back in stock.
type OpenWish struct {
	ID         string // the id of the purchase that recorded it
	CustomerID string
	CreatedAt  time.Time
}

// OpenWishes returns the open wishes for the product style in color and size made after
// createdAfter, of customers with marketing consent, ordered by customer id.
func (s *DB) OpenWishes(ctx context.Context, product, color, size string, createdAfter time.Time) ([]OpenWish, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT w.id, w.customer_id, w.created_at
		FROM wishes w JOIN customers c ON c.id = w.customer_id
		WHERE w.product = $1 AND w.color = $2 AND w.size = $3
		  AND w.closed_at IS NULL AND w.created_at > $4 AND c.marketing_consent
		ORDER BY w.customer_id COLLATE "C", w.created_at, w.id COLLATE "C"`,
		product, lifecycle.Normalize(color), lifecycle.Normalize(size), createdAfter)
	if err != nil {
		return nil, fmt.Errorf("list open wishes for %s %s %s: %w", product, color, size, err)
	}
	wishes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OpenWish, error) {
		var w OpenWish
		err := r.Scan(&w.ID, &w.CustomerID, &w.CreatedAt)
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("list open wishes for %s %s %s: %w", product, color, size, err)
	}
	return wishes, nil
}

// CloseWish marks the customer's wish as fulfilled or expired. Closing a closed wish is a no-op;
// an unknown wish (or one of another customer) wraps lifecycle.ErrNotFound.
func (s *DB) CloseWish(ctx context.Context, customerID, wishID string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE wishes SET closed_at = coalesce(closed_at, now())
		WHERE id = $1 AND customer_id = $2`, wishID, customerID)
	if err != nil {
		return fmt.Errorf("close wish %s of %s: %w", wishID, customerID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("wish %q of customer %q: %w", wishID, customerID, lifecycle.ErrNotFound)
	}
	return nil
}

// HistoryPurchases returns how many of the customer's purchases were recorded as history (old
// orders imported late, which owed the workflow no signal) and the latest of them, at most limit.
func (s *DB) HistoryPurchases(ctx context.Context, customerID string, limit int) (int, []lifecycle.Purchase, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, sku, purchased_at, count(*) OVER () FROM purchases
		WHERE customer_id = $1 AND history
		ORDER BY purchased_at DESC, id COLLATE "C" LIMIT $2`, customerID, limit)
	if err != nil {
		return 0, nil, fmt.Errorf("list purchases of %s kept as history: %w", customerID, err)
	}
	total := 0
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lifecycle.Purchase, error) {
		p := lifecycle.Purchase{CustomerID: customerID}
		err := r.Scan(&p.ID, &p.SKU, &p.At, &total)
		return p, err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("list purchases of %s kept as history: %w", customerID, err)
	}
	return total, ps, nil
}

// Unknown returns those of customerIDs that are no customer and those of skus that are no
// product: an import names them all before it writes anything, in two statements rather than two
// per row.
func (s *DB) Unknown(ctx context.Context, customerIDs, skus []string) (customers, products map[string]bool, err error) {
	if customers, err = s.missing(ctx, "customers", "id", customerIDs); err != nil {
		return nil, nil, fmt.Errorf("look for unknown customers: %w", err)
	}
	if products, err = s.missing(ctx, "products", "sku", skus); err != nil {
		return nil, nil, fmt.Errorf("look for unknown products: %w", err)
	}
	return customers, products, nil
}

// missing returns those of values that no row of table has in column (both named by the code,
// never by input).
func (s *DB) missing(ctx context.Context, table, column string, values []string) (map[string]bool, error) {
	ids, err := s.ids(ctx, `
		SELECT DISTINCT v FROM unnest($1::text[]) AS v
		WHERE NOT EXISTS (SELECT 1 FROM `+table+` t WHERE t.`+column+` = v)`, values)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}

// PurchaseOwner is who bought what under a purchase id.
type PurchaseOwner struct {
	CustomerID, SKU string
}

// PurchaseOwners returns, for those of ids already recorded, the customer and SKU each was
// recorded for: an import refuses a purchase id used before for another customer or SKU before it
// writes anything (recording it would fail in the middle).
func (s *DB) PurchaseOwners(ctx context.Context, ids []string) (map[string]PurchaseOwner, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, customer_id, sku FROM purchases WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("look up recorded purchases: %w", err)
	}
	owners := map[string]PurchaseOwner{}
	var id string
	var o PurchaseOwner
	_, err = pgx.ForEachRow(rows, []any{&id, &o.CustomerID, &o.SKU}, func() error {
		owners[id] = o
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up recorded purchases: %w", err)
	}
	return owners, nil
}
