-- 0002: what SendGrid's Event Webhook told us. email_events keeps every event once (dedupe_key is
-- sendgridwebhook's content hash, because SendGrid redelivers with a new sg_event_id); suppressions
-- holds the addresses the provider reported as bouncing, dropped, spam or unsubscribed, lower-cased.

CREATE TABLE email_events (
    dedupe_key    text PRIMARY KEY CHECK (dedupe_key <> ''),
    -- lifecycle.SendKey of the email, from the idempotency_key custom arg; '' for mail Tailor did not send.
    send_key      text NOT NULL DEFAULT '',
    customer_id   text NOT NULL DEFAULT '',
    kind          text NOT NULL DEFAULT '',
    sg_message_id text NOT NULL DEFAULT '',
    email         text NOT NULL,
    event         text NOT NULL,
    occurred_at   timestamptz NOT NULL,
    url           text NOT NULL DEFAULT '',
    reason        text NOT NULL DEFAULT '',
    bounce_type   text NOT NULL DEFAULT '',
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_events_send_key_idx ON email_events (send_key, occurred_at) WHERE send_key <> '';
CREATE INDEX email_events_customer_idx ON email_events (customer_id, occurred_at) WHERE customer_id <> '';
CREATE INDEX email_events_message_idx ON email_events (sg_message_id) WHERE sg_message_id <> '';

CREATE TABLE suppressions (
    email      text PRIMARY KEY CHECK (email <> '' AND email = lower(btrim(email))),
    -- the event that suppressed the address first: bounce, dropped, spamreport, unsubscribe, group_unsubscribe
    reason     text NOT NULL,
    created_at timestamptz NOT NULL
);
