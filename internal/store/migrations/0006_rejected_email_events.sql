-- 0006: SendGrid events Tailor refused to apply: malformed, holding text PostgreSQL cannot store
-- (a NUL byte), over a length cap, or refused by the database for their content (SQLSTATE class 22,
-- or a CHECK constraint). The webhook answers 2xx for them so SendGrid stops retrying; this table
-- is where an operator finds them. Kept once per dedupe_key: eventwebhook's content hash, so a
-- redelivery is kept once, or "raw:" + SHA-256 of the JSON when the event is not even an object.

CREATE TABLE rejected_email_events (
    dedupe_key  text PRIMARY KEY CHECK (dedupe_key <> ''),
    -- undecodable, invalid_text, too_long or database (the tailor_webhook_events_rejected_total reasons)
    reason      text NOT NULL,
    -- the SQLSTATE when the database refused the event, e.g. 22021 (a NUL byte); '' otherwise
    error_code  text NOT NULL DEFAULT '',
    -- what was wrong, for a person
    detail      text NOT NULL DEFAULT '',
    -- the event's JSON as SendGrid sent it, with NULs and invalid UTF-8 replaced, capped in length
    raw         text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_email_events_received_idx ON rejected_email_events (received_at);
