-- 0021: an address's suppression outlives `starter forget`. Forgetting a customer deletes their
-- address everywhere, but a bounce, complaint or unsubscribe must keep holding if the same address
-- comes back under a new customer id (an import, a Shopify order): the objection to marketing is
-- the one thing the shop must remember. Forget moves each suppression of the customer's addresses
-- here as the SHA-256 of the normalized address (lower-case, trimmed), never the address; every
-- suppression check looks here too. Someone who already knows an address can tell it was
-- suppressed; nothing here tells an address.
CREATE TABLE erased_suppressions (
    email_sha256 bytea PRIMARY KEY CHECK (length(email_sha256) = 32),
    reason       text NOT NULL,
    created_at   timestamptz NOT NULL
);
