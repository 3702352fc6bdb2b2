-- 0004: value segments. customer_notes holds what a customer told the shop (stated signals):
-- referrals, exits and complaints, each once under a caller-chosen or derived id, so a repeated
-- `starter note` does not count twice. customer_segments holds the segment the SegmentRecompute
-- workflow computed for each customer, with the reasons; '' is lifecycle.SegmentNone (nothing bought).

CREATE TABLE customer_notes (
    id          text PRIMARY KEY CHECK (id <> ''),
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('referral', 'exit', 'complaint')),
    text        text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- The segment facts query reads a customer's notes of one kind up to a time.
CREATE INDEX customer_notes_customer_idx ON customer_notes (customer_id, kind, occurred_at);

CREATE TABLE customer_segments (
    customer_id text PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    segment     text NOT NULL CHECK (segment IN ('', 'ambassador', 'loyal', 'shopper', 'leaver')),
    reasons     text[] NOT NULL DEFAULT '{}',
    -- computed_at is the "as of" time of the recompute that wrote the row; changed_at the one
    -- that last changed the segment.
    computed_at timestamptz NOT NULL,
    changed_at  timestamptz NOT NULL
);
