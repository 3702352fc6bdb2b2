-- 0016: what SendGrid reported of each email, kept on its send_log row, so that `starter report`
-- counts delivered, opened and clicked emails in one scan of send_log instead of grouping every
-- row of email_events by email (issue 14's benchmark: that grouping was most of the report's time
-- at 1,000,000 emails). RecordEmailEvent sets each column from the first such event; email_events
-- stays the record of every event. NULL: not reported (yet).
ALTER TABLE send_log
    ADD COLUMN delivered_at timestamptz,
    ADD COLUMN opened_at timestamptz,
    ADD COLUMN clicked_at timestamptz;

UPDATE send_log sl
SET delivered_at = e.delivered, opened_at = e.opened, clicked_at = e.clicked
FROM (
    SELECT send_key,
           min(occurred_at) FILTER (WHERE event = 'delivered') AS delivered,
           min(occurred_at) FILTER (WHERE event = 'open') AS opened,
           min(occurred_at) FILTER (WHERE event = 'click') AS clicked
    FROM email_events
    WHERE send_key <> '' AND event IN ('delivered', 'open', 'click')
    GROUP BY send_key
) e
WHERE sl.key = e.send_key;

-- The report finds accepted offers from their confirmations (key customer/<id>/confirmation/<offer
-- key>) made in its period, without scanning every email.
CREATE INDEX send_log_confirmation_idx ON send_log (created_at) WHERE kind = 'confirmation';

-- What the order said beyond the SKU (starter import orders, the API): the price the customer
-- paid for the line, in cents (NULL when the order did not say; the product's price then counts),
-- and the size wanted but not available ('' when none), kept with the colour wanted.
ALTER TABLE purchases
    ADD COLUMN price_cents bigint CHECK (price_cents >= 0),
    ADD COLUMN wanted_size text NOT NULL DEFAULT '',
    -- recorded as history (an old order imported late): it owed the workflow no signal, so no
    -- follow-up was sent for it; `starter explain` says so.
    ADD COLUMN history boolean NOT NULL DEFAULT false;

-- The worker prunes signals delivered longer ago than a retention (events.DeliveredSignalRetention).
CREATE INDEX signal_outbox_delivered ON signal_outbox (delivered_at) WHERE delivered_at IS NOT NULL;
