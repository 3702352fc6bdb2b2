-- 0026: what `starter report` joined for each email and each held-out follow-up, kept on their own
-- rows (and the customer's segment as it was then, below), so that the report is one scan of
-- send_log and one of followup_outcomes with no join (issue 14: at 1,000,000 emails the joins to
-- attributions, to the confirmations and to purchases kept the report above twice the time of a
-- bare scan of its rows, docs/BENCHMARKS.md). As in 0016, each column is written with the fact it
-- summarises and filled here once; attributions, the confirmations and purchases stay the record.

-- The purchases credited to the email (attributions) and their revenue, as credited: the price paid,
-- frozen when the attribution was written.
ALTER TABLE send_log
    ADD COLUMN credited_purchases integer NOT NULL DEFAULT 0,
    ADD COLUMN credited_revenue_cents bigint NOT NULL DEFAULT 0,
    -- An offer's acceptance: when the confirmation for it (key customer/<id>/confirmation/<the
    -- offer's key>) was queued. NULL: not accepted.
    ADD COLUMN accepted_at timestamptz;

-- A held-out follow-up's purchases: those of its customer within the attribution window after the
-- decision, and their revenue at the price paid (the order's, else the product's price when the
-- purchase or the hold-out was recorded). 0 for every other outcome.
ALTER TABLE followup_outcomes
    ADD COLUMN held_purchases integer NOT NULL DEFAULT 0,
    ADD COLUMN held_revenue_cents bigint NOT NULL DEFAULT 0;

UPDATE send_log sl
SET credited_purchases = a.purchases, credited_revenue_cents = a.revenue
FROM (SELECT send_key, count(*) AS purchases, sum(revenue_cents) AS revenue FROM attributions GROUP BY send_key) a
WHERE sl.key = a.send_key;

UPDATE send_log o
SET accepted_at = c.created_at
FROM send_log c
WHERE c.kind = 'confirmation' AND o.kind = 'offer'
  AND o.key = substr(c.key, length('customer/' || replace(replace(c.customer_id, '%', '%25'), '/', '%2F') || '/confirmation/') + 1);

-- The window is the store's (attribution_window in the policy): Migrate passes it as
-- tailor.attribution_window; 5 days (lifecycle.DefaultAttributionWindow) when run by hand.
UPDATE followup_outcomes fo
SET held_purchases = b.purchases, held_revenue_cents = b.revenue
FROM (
    SELECT h.key, count(*) AS purchases, sum(coalesce(pu.price_cents, p.price_cents)) AS revenue
    FROM followup_outcomes h
    JOIN purchases pu ON pu.customer_id = h.customer_id AND pu.purchased_at > h.decided_at
     AND pu.purchased_at <= h.decided_at + coalesce(nullif(current_setting('tailor.attribution_window', true), '')::interval, interval '5 days')
    JOIN products p ON p.sku = pu.sku
    WHERE h.outcome = 'held_out'
    GROUP BY h.key
) b
WHERE fo.key = b.key;

-- The customer's value segment when the email was claimed (ClaimSend) or the follow-up decided
-- (RecordOutcomes), '' when none was computed yet: `starter report --by segment` groups by it, the
-- segment each email went out under, instead of joining every email to the customer's current
-- segment (that join alone kept the report by segment above twice its floor). Rows written before
-- this migration take the segment the customer has now, the only one known.
ALTER TABLE send_log ADD COLUMN segment text NOT NULL DEFAULT '';
ALTER TABLE followup_outcomes ADD COLUMN segment text NOT NULL DEFAULT '';
UPDATE send_log sl SET segment = cs.segment FROM customer_segments cs WHERE cs.customer_id = sl.customer_id AND cs.segment <> '';
UPDATE followup_outcomes fo SET segment = cs.segment FROM customer_segments cs WHERE cs.customer_id = fo.customer_id AND cs.segment <> '';

-- RecordPurchase finds the customer's held-out follow-ups whose window the purchase falls in.
CREATE INDEX followup_outcomes_held_out_customer_idx ON followup_outcomes (customer_id, decided_at) WHERE outcome = 'held_out';

-- Attributions and confirmations keep their email's row right through triggers, in the statement
-- that inserts them, so every writer (attribute, ClaimSend, and the SQL of tools and tests that
-- insert these rows directly) keeps the report right. Neither needs the store's configuration; the
-- held-out purchases do (the attribution window), so RecordPurchase and RecordOutcomes write those.
-- Rows are never deleted from either table, and `starter forget` rewrites keys on both sides alike.
CREATE FUNCTION send_log_credit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE send_log sl
    SET credited_purchases = sl.credited_purchases + a.purchases,
        credited_revenue_cents = sl.credited_revenue_cents + a.revenue
    FROM (SELECT send_key, count(*) AS purchases, sum(revenue_cents) AS revenue FROM credited GROUP BY send_key) a
    WHERE sl.key = a.send_key;
    RETURN NULL;
END $$;

CREATE TRIGGER attributions_credit_send_log AFTER INSERT ON attributions
    REFERENCING NEW TABLE AS credited FOR EACH STATEMENT EXECUTE FUNCTION send_log_credit();

CREATE FUNCTION send_log_accept_offer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE send_log o
    SET accepted_at = c.created_at
    FROM claimed c
    WHERE c.kind = 'confirmation' AND o.kind = 'offer' AND o.accepted_at IS NULL
      AND o.key = substr(c.key, length('customer/' || replace(replace(c.customer_id, '%', '%25'), '/', '%2F') || '/confirmation/') + 1);
    RETURN NULL;
END $$;

CREATE TRIGGER send_log_confirmation_accepts_offer AFTER INSERT ON send_log
    REFERENCING NEW TABLE AS claimed FOR EACH STATEMENT EXECUTE FUNCTION send_log_accept_offer();
