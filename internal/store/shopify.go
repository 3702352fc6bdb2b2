package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ShopifyDelivery is a Shopify webhook delivery Tailor handled.
type ShopifyDelivery struct {
	WebhookID  string // X-Shopify-Webhook-Id: the same for every retry of one delivery
	Topic      string
	ShopDomain string
	Skipped    []string // what the delivery held that Tailor did not take, and why
	ReceivedAt time.Time
}

// ShopifyDeliveryHandled reports whether the delivery with webhookID was handled already.
func (s *DB) ShopifyDeliveryHandled(ctx context.Context, webhookID string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM shopify_webhook_deliveries WHERE webhook_id = $1)`, webhookID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up shopify delivery %s: %w", webhookID, err)
	}
	return ok, nil
}

// RecordShopifyDelivery keeps d as handled and reports whether it was new; recording a delivery
// again keeps the first record.
func (s *DB) RecordShopifyDelivery(ctx context.Context, d ShopifyDelivery) (bool, error) {
	skipped := d.Skipped
	if skipped == nil {
		skipped = []string{}
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO shopify_webhook_deliveries (webhook_id, topic, shop_domain, skipped, received_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (webhook_id) DO NOTHING`,
		d.WebhookID, StorableText(d.Topic, 200), StorableText(d.ShopDomain, 255), storableList(skipped), d.ReceivedAt)
	if err != nil {
		return false, fmt.Errorf("record shopify delivery %s: %w", d.WebhookID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ShopifyDeliveries returns the recorded deliveries, oldest first (for tests and support).
func (s *DB) ShopifyDeliveries(ctx context.Context) ([]ShopifyDelivery, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT webhook_id, topic, shop_domain, skipped, received_at FROM shopify_webhook_deliveries
		ORDER BY received_at, webhook_id`)
	if err != nil {
		return nil, fmt.Errorf("list shopify deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ShopifyDelivery, error) {
		var d ShopifyDelivery
		return d, r.Scan(&d.WebhookID, &d.Topic, &d.ShopDomain, &d.Skipped, &d.ReceivedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("list shopify deliveries: %w", err)
	}
	return out, nil
}

// RememberShopifyInventoryItems records which SKU each Shopify inventory item (by id) is.
func (s *DB) RememberShopifyInventoryItems(ctx context.Context, skuByItem map[int64]string) error {
	if len(skuByItem) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(skuByItem))
	skus := make([]string, 0, len(skuByItem))
	for id, sku := range skuByItem {
		ids, skus = append(ids, id), append(skus, sku)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO shopify_inventory_items (inventory_item_id, sku)
		SELECT * FROM unnest($1::bigint[], $2::text[])
		ON CONFLICT (inventory_item_id) DO UPDATE SET sku = excluded.sku, updated_at = now()
		WHERE shopify_inventory_items.sku <> excluded.sku`, ids, skus)
	if err != nil {
		return fmt.Errorf("remember %d shopify inventory items: %w", len(ids), err)
	}
	return nil
}

// ShopifyInventoryItemSKU returns the SKU of the Shopify inventory item, or an error wrapping
// lifecycle.ErrNotFound when no products/update named it yet.
func (s *DB) ShopifyInventoryItemSKU(ctx context.Context, inventoryItemID int64) (string, error) {
	var sku string
	err := s.pool.QueryRow(ctx, `SELECT sku FROM shopify_inventory_items WHERE inventory_item_id = $1`, inventoryItemID).Scan(&sku)
	if isNoRows(err) {
		return "", notFound("shopify inventory item", fmt.Sprint(inventoryItemID))
	}
	if err != nil {
		return "", fmt.Errorf("look up shopify inventory item %d: %w", inventoryItemID, err)
	}
	return sku, nil
}

// storableList makes each element storable text (no NUL, valid UTF-8, bounded).
func storableList(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = StorableText(s, 500)
	}
	return out
}
