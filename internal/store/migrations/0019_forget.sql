-- 0019: crypto-shredding and erasure (starter forget).
--
-- customer_data_keys holds each customer's data key, wrapped (AES-256-GCM) by one of the master keys
-- in TAILOR_CODEC_KEYS: the payloads of the customer's workflows are encrypted with it, and
-- `starter forget` deletes the row, which makes those payloads unreadable for good. id is in clear
-- in every payload (metadata encryption-key-id) and is random, so it names no customer.
CREATE TABLE customer_data_keys (
    id            text PRIMARY KEY CHECK (id ~ '^dk-[0-9a-f]{32}$'),
    customer_id   text NOT NULL UNIQUE CHECK (customer_id <> ''),
    master_key_id text NOT NULL,
    wrapped       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- The customers `starter forget` erased, by SHA-256 of 'tailor-forgotten:' || id (never the id): the
-- customer import refuses them and no new data key is made for them, so a late signal or webhook
-- cannot bring the customer back. Someone who already knows an id can tell it was forgotten; nothing
-- here tells an id.
CREATE TABLE forgotten_customers (
    id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    forgotten_at timestamptz NOT NULL DEFAULT now()
);

-- Attributions keep anonymous revenue counts after the purchase they credit is erased: the purchase
-- row goes, the attribution stays with a tombstone for customer and purchase.
ALTER TABLE attributions DROP CONSTRAINT attributions_purchase_id_fkey;
