-- 0012: which email each purchase is credited to (last touch), written with the purchase in one
-- transaction (RecordPurchase), so a report over it reads the same every time. A purchase no
-- marketing email was sent within the attribution window before has no row.
CREATE TABLE attributions (
    purchase_id   text PRIMARY KEY REFERENCES purchases (id) ON DELETE CASCADE,
    customer_id   text NOT NULL,
    -- lifecycle.SendKey of the email credited, as in send_log.key and email_events.send_key.
    send_key      text NOT NULL,
    kind          text NOT NULL,
    -- the sale id or the season's collection, from the key; '' for other kinds.
    campaign      text NOT NULL DEFAULT '',
    -- credited for a click within the window rather than as the latest send.
    clicked       boolean NOT NULL,
    -- the product's price when it was bought.
    revenue_cents bigint NOT NULL CHECK (revenue_cents >= 0),
    purchased_at  timestamptz NOT NULL,
    attributed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attributions_send_key_idx ON attributions (send_key);
CREATE INDEX attributions_customer_idx ON attributions (customer_id, purchased_at);
CREATE INDEX attributions_kind_idx ON attributions (kind, campaign, purchased_at);
