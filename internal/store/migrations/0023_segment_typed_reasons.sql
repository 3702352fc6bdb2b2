-- 0023: the reasons of a customer's segment as typed values (lifecycle.SegmentReason: a code from a
-- fixed set and its numbers, and the customer's own exit words when they gave them), so the
-- preference page words them in the customer's language instead of showing the English sentences of
-- reasons. NULL on a row saved before this migration: the page then shows those sentences, labelled
-- as English. The row, exit words included, goes with the customer on `starter forget`
-- (customer_segments is ForgetDelete) and is in `starter export` (every column).
ALTER TABLE customer_segments ADD COLUMN typed_reasons jsonb
    CHECK (typed_reasons IS NULL OR jsonb_typeof(typed_reasons) = 'array');
