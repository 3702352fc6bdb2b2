-- Shopify webhook deliveries Tailor has handled, by X-Shopify-Webhook-Id: Shopify retries a
-- delivery with the same id, and a retry of one handled here changes nothing. A row is written
-- after the delivery's effects, so one whose effects failed is retried. skipped lists what the
-- delivery held that Tailor did not take (an order line with an unknown SKU, an order without a
-- customer), in words a person reads.
CREATE TABLE shopify_webhook_deliveries (
    webhook_id  text PRIMARY KEY CHECK (webhook_id <> ''),
    topic       text NOT NULL,
    shop_domain text NOT NULL DEFAULT '',
    skipped     text[] NOT NULL DEFAULT '{}',
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Which SKU each Shopify inventory item is: inventory_levels/update names only the item, and
-- products/update tells which variant (SKU) it belongs to.
CREATE TABLE shopify_inventory_items (
    inventory_item_id bigint PRIMARY KEY,
    sku               text NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
