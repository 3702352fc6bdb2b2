-- 0001: Tailor's initial schema. Colours, sizes and categories are stored normalized
-- (lifecycle.Normalize: trimmed, lower case); the store normalizes before every write and query.

CREATE TABLE customers (
    id                 text PRIMARY KEY CHECK (id <> ''),
    name               text NOT NULL DEFAULT '',
    email              text NOT NULL,
    locale             text NOT NULL CHECK (locale IN ('en', 'nl')),
    timezone           text NOT NULL,
    marketing_consent  boolean NOT NULL DEFAULT true,
    consent_source     text NOT NULL DEFAULT '',
    -- NULL while consent is the import default and nobody stated it.
    consent_updated_at timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE preferences (
    customer_id text PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    colors      text[] NOT NULL DEFAULT '{}',
    sizes       text[] NOT NULL DEFAULT '{}',
    categories  text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX preferences_categories_idx ON preferences USING gin (categories);

CREATE TABLE products (
    sku         text PRIMARY KEY CHECK (sku <> ''),
    product     text NOT NULL CHECK (product <> ''),
    name        text NOT NULL DEFAULT '',
    category    text NOT NULL DEFAULT '',
    color       text NOT NULL DEFAULT '',
    size        text NOT NULL DEFAULT '',
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    stock       integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
    collections text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_category_idx ON products (category);
CREATE INDEX products_collections_idx ON products USING gin (collections);
CREATE INDEX products_newest_in_stock_idx ON products (created_at DESC, sku) WHERE stock > 0;

CREATE TABLE purchases (
    id           text PRIMARY KEY CHECK (id <> ''),
    customer_id  text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    sku          text NOT NULL REFERENCES products (sku),
    wanted_color text NOT NULL DEFAULT '',
    purchased_at timestamptz NOT NULL
);
CREATE INDEX purchases_customer_idx ON purchases (customer_id);
CREATE INDEX purchases_sku_idx ON purchases (sku);

-- A wish's id is the id of the purchase that recorded it.
CREATE TABLE wishes (
    id          text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    product     text NOT NULL,
    color       text NOT NULL,
    size        text NOT NULL,
    created_at  timestamptz NOT NULL,
    closed_at   timestamptz
);
CREATE INDEX wishes_open_idx ON wishes (product, color, size, created_at) WHERE closed_at IS NULL;
CREATE INDEX wishes_customer_idx ON wishes (customer_id);

-- One row per follow-up email; key is lifecycle.SendKey, so a send is claimed exactly once.
CREATE TABLE send_log (
    key                 text PRIMARY KEY,
    customer_id         text NOT NULL,
    kind                text NOT NULL,
    subject             text NOT NULL,
    status              text NOT NULL CHECK (status IN ('claimed', 'sent', 'failed')),
    provider_message_id text NOT NULL DEFAULT '',
    error               text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz
);
CREATE INDEX send_log_customer_idx ON send_log (customer_id, created_at);

-- Rendered emails saved by SaveOutboxEmail, for inspection and local delivery; key is the send-log key.
CREATE TABLE outbox (
    key         text PRIMARY KEY,
    customer_id text NOT NULL,
    to_email    text NOT NULL,
    to_name     text NOT NULL DEFAULT '',
    subject     text NOT NULL,
    html        text NOT NULL DEFAULT '',
    text        text NOT NULL DEFAULT '',
    message_id  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);
CREATE INDEX outbox_customer_idx ON outbox (customer_id, created_at);
