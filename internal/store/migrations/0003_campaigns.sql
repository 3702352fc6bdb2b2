-- 0003: campaigns page through customers by id in byte order (keyset pagination,
-- `id COLLATE "C" > $after ORDER BY id COLLATE "C"`); this index serves that order whatever the
-- database's default collation is.
CREATE INDEX customers_id_bytes_idx ON customers (id COLLATE "C");
