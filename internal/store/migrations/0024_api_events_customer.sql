-- 0024: the customer an HTTP API event was about, so `starter forget` finds the customer's rows of
-- api_events (and `starter export` lists them): the fingerprint is a hash of the event, customer id
-- and address included, and the event id and stored result are the shop's event id, which often
-- names the customer. '' for an event about no customer (stock); NULL for a row written before
-- this migration, which Forget finds by its event id instead (store.Forget).
ALTER TABLE api_events ADD COLUMN customer_id text;
CREATE INDEX api_events_customer_idx ON api_events (customer_id) WHERE customer_id <> '';
