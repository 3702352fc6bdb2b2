-- 0017: replies by email (issue #16). reply_addresses maps the reference in a reply address
-- (reply+<ref>@REPLY_DOMAIN) to the email it was sent with: ref is links.Signer.ReplyRef, an HMAC of
-- customer and send key, written once (ON CONFLICT DO NOTHING) before the email is sent, and checked
-- again when a reply arrives. customer_notes takes the answers that arrive as replies: feedback (to
-- the feedback ask) and checkin (to "is it what you hoped for?"); an answer to the exit question is
-- an exit note, as before.
CREATE TABLE reply_addresses (
    ref         text PRIMARY KEY CHECK (ref <> ''),
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    send_key    text NOT NULL CHECK (send_key <> ''),
    kind        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reply_addresses_customer_idx ON reply_addresses (customer_id);

ALTER TABLE customer_notes DROP CONSTRAINT customer_notes_kind_check;
ALTER TABLE customer_notes ADD CONSTRAINT customer_notes_kind_check
    CHECK (kind IN ('referral', 'exit', 'complaint', 'feedback', 'checkin'));
