-- 0022: the campaign of each email and of each held-out follow-up, as `starter report --by campaign`
-- groups them, kept as a generated column instead of being cut out of the send key for every row of
-- every report (at 1,000,000 emails that cut was what kept the report by campaign above twice its
-- floor, docs/BENCHMARKS.md). The same expression as before: for sale and season, the kind and the
-- rest of the key after customer/<escaped id>/<kind>/ (the sale id or the season's collection); for
-- other kinds the kind. Generated, so an anonymised row (`starter forget` rewrites id and key) stays
-- right by itself.
ALTER TABLE send_log ADD COLUMN campaign text GENERATED ALWAYS AS (
    CASE WHEN kind IN ('sale', 'season')
         THEN kind || '/' || substr(key, length('customer/' || replace(replace(customer_id, '%', '%25'), '/', '%2F') || '/' || kind || '/') + 1)
         ELSE kind END) STORED;

ALTER TABLE followup_outcomes ADD COLUMN campaign text GENERATED ALWAYS AS (
    CASE WHEN kind IN ('sale', 'season')
         THEN kind || '/' || substr(key, length('customer/' || replace(replace(customer_id, '%', '%25'), '/', '%2F') || '/' || kind || '/') + 1)
         ELSE kind END) STORED;
