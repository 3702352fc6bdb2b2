package store

import (
	"context"
	"fmt"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// SetPreferences replaces the customer's colours, sizes and categories with p (normalized), as
// the customer edited them on the preference page.
func (s *DB) SetPreferences(ctx context.Context, customerID string, p lifecycle.Preferences) error {
	p = lifecycle.Preferences{}.Merge(p)
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO preferences (customer_id, colors, sizes, categories)
		SELECT id, $2, $3, $4 FROM customers WHERE id = $1
		ON CONFLICT (customer_id) DO UPDATE
		SET colors = EXCLUDED.colors, sizes = EXCLUDED.sizes, categories = EXCLUDED.categories`,
		customerID, nonNil(p.Colors), nonNil(p.Sizes), nonNil(p.Categories))
	if err != nil {
		return fmt.Errorf("save preferences of %s: %w", customerID, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("customer", customerID)
	}
	return nil
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
