-- Whether sending is paused because the mail provider refuses the API key (401/403): one row while
-- paused, none while sending runs. The worker writes it on the first refusal and deletes it when
-- an email is accepted again; `starter status` shows it. Follow-ups held meanwhile keep their
-- claimed send_log rows and go out once, later.
CREATE TABLE sending_pause (
    id              integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    since           timestamptz NOT NULL,
    provider_status integer NOT NULL,
    message         text NOT NULL,
    last_refused_at timestamptz NOT NULL
);
