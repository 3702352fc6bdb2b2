-- The signals customers' workflows are owed: one row per event, written in the transaction of the
-- change it reports (a purchase, a consent change, a complaint, a suppression, a reading), so the
-- database never holds a change whose signal nobody owes. event_id is the event's business key
-- (purchase/<purchase id>, consent/<customer>/<micros>, ...): an id already here was recorded
-- before and owes nothing new. A delivered row is kept (delivered_at) so a late repeat of the same
-- event stays recognised; seq orders one customer's signals as they were written. A relay
-- delivering a customer's oldest owed signal holds it until leased_until.
-- It replaces pending_consent_signals (0008), whose owed rows move here.
CREATE TABLE signal_outbox (
    event_id        text PRIMARY KEY,
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    customer_id     text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    signal          text NOT NULL,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    last_attempt_at timestamptz,
    leased_until    timestamptz,
    delivered_at    timestamptz
);

CREATE INDEX signal_outbox_owed ON signal_outbox (customer_id, seq) WHERE delivered_at IS NULL;

INSERT INTO signal_outbox (event_id, customer_id, signal, payload, created_at, attempts, last_error, last_attempt_at)
SELECT 'consent/' || customer_id || '/' || (extract(epoch FROM changed_at) * 1000000)::bigint,
       customer_id, 'consent',
       jsonb_build_object('Granted', marketing_consent, 'Source', source,
                          'At', to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
       changed_at, attempts, last_error, last_attempt_at
FROM pending_consent_signals
ON CONFLICT (event_id) DO NOTHING;

DROP TABLE pending_consent_signals;
