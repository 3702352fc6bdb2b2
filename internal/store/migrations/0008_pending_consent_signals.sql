-- Consent changes whose signal the customer's workflow has not had yet: the outbox of consent.
-- A row is written in the same transaction as the change in customers, so the database never holds
-- a change nobody owes the workflow; it is deleted once the signal is delivered. One row per
-- customer: only the latest state is owed, and version tells a delivered change from a newer one
-- written meanwhile (which must stay). A relay delivering the signal holds it until leased_until.
CREATE TABLE pending_consent_signals (
    customer_id       text PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    marketing_consent boolean NOT NULL,
    source            text NOT NULL,
    changed_at        timestamptz NOT NULL,
    version           bigint NOT NULL DEFAULT 1,
    attempts          integer NOT NULL DEFAULT 0,
    last_error        text,
    last_attempt_at   timestamptz,
    leased_until      timestamptz
);
