-- 0020: a product's picture and its page in the shop (the products file's optional image_url and
-- url columns), shown as the product card in an email. '' when the catalogue has none.
ALTER TABLE products ADD COLUMN image_url text NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN url text NOT NULL DEFAULT '';
