-- 0013: hand-offs, work a customer's workflow hands to the shop (an accepted offer, an unhappy
-- check-in). id is lifecycle.HandoffID, the business key: the workflow's activity inserts it once
-- (ON CONFLICT DO NOTHING) however often it is retried. `starter tasks done` sets done_at (with the
-- handoff-done signal owed in signal_outbox, in one transaction); reminded counts the reminders
-- the shop received.
CREATE TABLE handoffs (
    id          text PRIMARY KEY CHECK (id <> ''),
    customer_id text NOT NULL REFERENCES customers (id),
    kind        text NOT NULL,
    what        text NOT NULL,
    created_at  timestamptz NOT NULL,
    done_at     timestamptz,
    reminded    integer NOT NULL DEFAULT 0 CHECK (reminded >= 0)
);
CREATE INDEX handoffs_open_idx ON handoffs (created_at) WHERE done_at IS NULL;
CREATE INDEX handoffs_customer_idx ON handoffs (customer_id, created_at);
