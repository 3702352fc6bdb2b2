package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Held is what PostgreSQL holds about one customer, as the preference page shows it to them: the
// customer, what they like and where each item came from (the purchases that taught it), their
// wishes, what they told the shop, how they read its emails and their value segment. Usage
// readings live in the customer's workflow, not here. `starter export` writes every row instead
// (Export).
type Held struct {
	Customer      lifecycle.Customer
	ConsentSource string    // where the last consent change came from; "" for the import default
	ConsentAt     time.Time // zero: nobody stated it
	Preferences   lifecycle.Preferences
	// LearningStoppedAt is when the customer stopped the shop's learning; zero while it learns.
	LearningStoppedAt time.Time
	Purchases         []HeldPurchase // the latest first
	Wishes            []HeldWish     // the latest first
	Notes             []Note         // the latest first
	Emails            Engagement
	// Segment is the stored value segment; a zero ComputedAt means none was computed yet.
	Segment CustomerSegment
}

// HeldPurchase is one purchase and the product bought.
type HeldPurchase struct {
	ID          string
	At          time.Time
	Product     lifecycle.Product
	WantedColor string // "" when the customer took the colour they bought
}

// Taught is what the purchase teaches about the customer's taste (normalized): the same items
// RecordPurchase learns from it.
func (p HeldPurchase) Taught() lifecycle.Preferences {
	return lifecycle.Preferences{}.Merge(learnedFrom(p.Product, p.WantedColor))
}

// HeldWish is a colour the customer wanted and did not get.
type HeldWish struct {
	ProductName string
	Color, Size string
	CreatedAt   time.Time
	ClosedAt    time.Time // zero while open
}

// Engagement is how the customer read the shop's emails: each counts emails, not events.
type Engagement struct {
	Sent, Opened, Clicked int
	LastOpenedAt          time.Time // zero: never
}

// Held reads what the shop holds about the customer (see Held). An unknown customer is an error
// wrapping lifecycle.ErrNotFound.
func (s *DB) Held(ctx context.Context, customerID string) (Held, error) {
	var h Held
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		c := &h.Customer
		var consentAt, stoppedAt *time.Time
		err := tx.QueryRow(ctx, `
			SELECT c.id, c.name, c.email, c.locale, c.timezone, c.marketing_consent,
		       (s.email IS NOT NULL OR EXISTS (SELECT 1 FROM erased_suppressions e WHERE e.email_sha256 = sha256(convert_to(lower(btrim(c.email)), 'UTF8')))),
			       c.consent_source, c.consent_updated_at, c.learning_stopped_at
			FROM customers c LEFT JOIN suppressions s ON s.email = lower(btrim(c.email))
			WHERE c.id = $1`, customerID,
		).Scan(&c.ID, &c.Name, &c.Email, &c.Locale, &c.Timezone, &c.MarketingConsent, &c.Suppressed,
			&h.ConsentSource, &consentAt, &stoppedAt)
		if isNoRows(err) {
			return notFound("customer", customerID)
		}
		if err != nil {
			return err
		}
		h.ConsentAt, h.LearningStoppedAt = deref(consentAt), deref(stoppedAt)
		if h.Preferences, err = loadPreferences(ctx, tx, customerID, false); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT pu.id, pu.purchased_at, pu.wanted_color,
			       pr.sku, pr.product, pr.name, pr.category, pr.color, pr.size, pr.price_cents, pr.stock, pr.collections
			FROM purchases pu JOIN products pr ON pr.sku = pu.sku
			WHERE pu.customer_id = $1
			ORDER BY pu.purchased_at DESC, pu.id COLLATE "C"`, customerID)
		if err != nil {
			return err
		}
		h.Purchases, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (HeldPurchase, error) {
			var p HeldPurchase
			pr := &p.Product
			return p, r.Scan(&p.ID, &p.At, &p.WantedColor,
				&pr.SKU, &pr.Product, &pr.Name, &pr.Category, &pr.Color, &pr.Size, &pr.PriceCents, &pr.Stock, &pr.Collections)
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `
			SELECT coalesce((SELECT min(pr.name) FROM products pr WHERE pr.product = w.product AND pr.name <> ''), w.product),
			       w.color, w.size, w.created_at, w.closed_at
			FROM wishes w WHERE w.customer_id = $1
			ORDER BY w.created_at DESC, w.id COLLATE "C"`, customerID)
		if err != nil {
			return err
		}
		h.Wishes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (HeldWish, error) {
			var (
				w      HeldWish
				closed *time.Time
			)
			err := r.Scan(&w.ProductName, &w.Color, &w.Size, &w.CreatedAt, &closed)
			w.ClosedAt = deref(closed)
			return w, err
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `
			SELECT id, customer_id, kind, text, occurred_at FROM customer_notes
			WHERE customer_id = $1 ORDER BY occurred_at DESC, id COLLATE "C"`, customerID)
		if err != nil {
			return err
		}
		h.Notes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Note, error) {
			var n Note
			return n, r.Scan(&n.ID, &n.CustomerID, &n.Kind, &n.Text, &n.OccurredAt)
		})
		if err != nil {
			return err
		}
		var lastOpen *time.Time
		err = tx.QueryRow(ctx, `
			SELECT (SELECT count(*) FROM send_log WHERE customer_id = $1 AND status = 'sent'),
			       count(DISTINCT coalesce(nullif(send_key, ''), dedupe_key)) FILTER (WHERE event = 'open'),
			       count(DISTINCT coalesce(nullif(send_key, ''), dedupe_key)) FILTER (WHERE event = 'click'),
			       max(occurred_at) FILTER (WHERE event = 'open')
			FROM email_events
			WHERE customer_id = $1 AND customer_id <> '' AND event IN ('open', 'click')`, customerID,
		).Scan(&h.Emails.Sent, &h.Emails.Opened, &h.Emails.Clicked, &lastOpen)
		if err != nil {
			return err
		}
		h.Emails.LastOpenedAt = deref(lastOpen)
		h.Segment = CustomerSegment{CustomerID: customerID}
		err = scanSegment(tx.QueryRow(ctx, `SELECT `+segmentColumns+` FROM customer_segments WHERE customer_id = $1`, customerID), &h.Segment)
		if isNoRows(err) {
			h.Segment = CustomerSegment{CustomerID: customerID}
			return nil
		}
		return err
	})
	if err != nil {
		return Held{}, fmt.Errorf("read what is held about customer %s: %w", customerID, err)
	}
	return h, nil
}

// CatalogueChoices returns the colours, sizes and categories of the catalogue's products
// (normalized, sorted, each once): what the preference page offers to tick.
func (s *DB) CatalogueChoices(ctx context.Context) (lifecycle.Preferences, error) {
	var p lifecycle.Preferences
	err := s.pool.QueryRow(ctx, `
		SELECT coalesce(array_agg(DISTINCT lower(btrim(color))) FILTER (WHERE btrim(color) <> ''), '{}'),
		       coalesce(array_agg(DISTINCT lower(btrim(size))) FILTER (WHERE btrim(size) <> ''), '{}'),
		       coalesce(array_agg(DISTINCT lower(btrim(category))) FILTER (WHERE btrim(category) <> ''), '{}')
		FROM products`).Scan(&p.Colors, &p.Sizes, &p.Categories)
	if err != nil {
		return lifecycle.Preferences{}, fmt.Errorf("read the catalogue's colours, sizes and categories: %w", err)
	}
	return lifecycle.Preferences{}.Merge(p), nil
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
