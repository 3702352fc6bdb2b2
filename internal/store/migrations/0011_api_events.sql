-- 0011: events received through the HTTP API (POST /api/v1/events), keyed by the event id the
-- shop's system chose, so a retried batch gets the same results without applying an event twice.
-- fingerprint is a hash of the event as applied: the same id with another event is refused. A row
-- whose result is NULL is claimed by a request applying it until lease_until; after that (a worker
-- that died mid-event) the next request with that id claims it again.
CREATE TABLE api_events (
    event_id    text PRIMARY KEY CHECK (event_id <> ''),
    type        text NOT NULL,
    fingerprint text NOT NULL,
    result      jsonb,
    lease_until timestamptz,
    received_at timestamptz NOT NULL DEFAULT now(),
    applied_at  timestamptz
);
