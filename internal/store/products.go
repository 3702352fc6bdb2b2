package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

const productColumns = `sku, product, name, category, color, size, price_cents, stock, collections, image_url, url`

func scanProduct(row pgx.Row) (lifecycle.Product, error) {
	var p lifecycle.Product
	err := row.Scan(&p.SKU, &p.Product, &p.Name, &p.Category, &p.Color, &p.Size, &p.PriceCents, &p.Stock, &p.Collections, &p.ImageURL, &p.URL)
	return p, err
}

// Product returns the product with sku, or an error wrapping lifecycle.ErrNotFound.
func (s *DB) Product(ctx context.Context, sku string) (lifecycle.Product, error) {
	p, err := scanProduct(s.pool.QueryRow(ctx, `SELECT `+productColumns+` FROM products WHERE sku = $1`, sku))
	if isNoRows(err) {
		return lifecycle.Product{}, notFound("product", sku)
	}
	if err != nil {
		return lifecycle.Product{}, fmt.Errorf("load product %s: %w", sku, err)
	}
	return p, nil
}

// defaultProductLimit is how many products an email shows when the query does not say.
const defaultProductLimit = 6

// Products returns in-stock products matching q, newest first (then by SKU). Empty fields of q
// do not filter; Sizes and Colors match any of their elements.
func (s *DB) Products(ctx context.Context, q lifecycle.ProductQuery) ([]lifecycle.Product, error) {
	// Built per query rather than with "$1 = '' OR ..." so the planner can use the category and
	// collections indexes.
	where := []string{"stock > 0"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if c := lifecycle.Normalize(q.Category); c != "" {
		where = append(where, "category = "+arg(c))
	}
	if c := strings.TrimSpace(q.Collection); c != "" {
		where = append(where, "collections @> ARRAY["+arg(c)+"]::text[]")
	}
	if sizes := normalizeList(q.Sizes); len(sizes) > 0 {
		where = append(where, "size = ANY("+arg(sizes)+"::text[])")
	}
	if colors := normalizeList(q.Colors); len(colors) > 0 {
		where = append(where, "color = ANY("+arg(colors)+"::text[])")
	}
	if q.NotBoughtBy != "" {
		bought := "NOT EXISTS (SELECT 1 FROM purchases WHERE purchases.customer_id = " + arg(q.NotBoughtBy) + " AND purchases.sku = products.sku)"
		if repeat := normalizeList(q.Repeat); len(repeat) > 0 {
			bought = "(category = ANY(" + arg(repeat) + "::text[]) OR " + bought + ")"
		}
		where = append(where, bought)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultProductLimit
	}
	sql := `SELECT ` + productColumns + ` FROM products WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY created_at DESC, sku COLLATE "C" LIMIT ` + arg(limit)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("query products %+v: %w", q, err)
	}
	products, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lifecycle.Product, error) { return scanProduct(r) })
	if err != nil {
		return nil, fmt.Errorf("query products %+v: %w", q, err)
	}
	return products, nil
}

// AllProducts returns every product, in stock or not, oldest first: by created_at, then by SKU
// descending, so that read from the end the list is in Products' order (newest first, then by
// SKU). It only reads.
func (s *DB) AllProducts(ctx context.Context) ([]lifecycle.Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+productColumns+` FROM products ORDER BY created_at, sku COLLATE "C" DESC`)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	products, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lifecycle.Product, error) { return scanProduct(r) })
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	if products == nil {
		products = []lifecycle.Product{}
	}
	return products, nil
}

// Restock adds quantity (> 0) to the product's stock and returns the product as it is now.
func (s *DB) Restock(ctx context.Context, sku string, quantity int) (lifecycle.Product, error) {
	if quantity <= 0 {
		return lifecycle.Product{}, fmt.Errorf("restock %s: quantity must be positive, got %d", sku, quantity)
	}
	p, err := scanProduct(s.pool.QueryRow(ctx, `
		UPDATE products SET stock = stock + $2, updated_at = now()
		WHERE sku = $1
		RETURNING `+productColumns, sku, quantity))
	if isNoRows(err) {
		return lifecycle.Product{}, notFound("product", sku)
	}
	if err != nil {
		return lifecycle.Product{}, fmt.Errorf("restock %s: %w", sku, err)
	}
	return p, nil
}

// SetStock sets the product's stock to stock, a count from the shop's own system (one below 0, an
// oversold item, is kept as 0: the stock column holds no debt), and returns the product as it is now and whether this brought it back in stock: from 0
// or less to more than 0. Setting the same stock again reports no change.
func (s *DB) SetStock(ctx context.Context, sku string, stock int) (lifecycle.Product, bool, error) {
	stock = max(stock, 0)
	var (
		p    lifecycle.Product
		back bool
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var before int
		err := tx.QueryRow(ctx, `SELECT stock FROM products WHERE sku = $1 FOR UPDATE`, sku).Scan(&before)
		if isNoRows(err) {
			return notFound("product", sku)
		}
		if err != nil {
			return err
		}
		p, err = scanProduct(tx.QueryRow(ctx, `
			UPDATE products SET stock = $2, updated_at = CASE WHEN stock = $2 THEN updated_at ELSE now() END
			WHERE sku = $1
			RETURNING `+productColumns, sku, stock))
		back = before == 0 && stock > 0
		return err
	})
	if err != nil {
		return lifecycle.Product{}, false, fmt.Errorf("set stock of %s to %d: %w", sku, stock, err)
	}
	return p, back, nil
}

// SetProductMedia sets the product's picture (imageURL) and its page in the shop (url), each an
// absolute http(s) URL checked by the caller (lifecycle.CheckWebURL) or "" to clear it; nil keeps
// what is stored. An unknown SKU is an error wrapping lifecycle.ErrNotFound.
func (s *DB) SetProductMedia(ctx context.Context, sku string, imageURL, url *string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE products SET image_url = coalesce($2, image_url), url = coalesce($3, url),
			updated_at = CASE WHEN image_url = coalesce($2, image_url) AND url = coalesce($3, url) THEN updated_at ELSE now() END
		WHERE sku = $1`, sku, imageURL, url)
	if err != nil {
		return fmt.Errorf("set the picture and page of %s: %w", sku, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("product", sku)
	}
	return nil
}

// CategoryExists reports whether any product, in stock or not, has category.
func (s *DB) CategoryExists(ctx context.Context, category string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM products WHERE category = $1)`,
		lifecycle.Normalize(category)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up category %s: %w", category, err)
	}
	return ok, nil
}

// CollectionExists reports whether any product, in stock or not, belongs to the collection.
// Collection names are matched exactly (after trimming spaces).
func (s *DB) CollectionExists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM products WHERE collections @> ARRAY[$1]::text[])`,
		strings.TrimSpace(name)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up collection %s: %w", name, err)
	}
	return ok, nil
}

// normalizeList normalizes each element and drops empty ones and duplicates, sorted.
func normalizeList(list []string) []string {
	return lifecycle.Preferences{}.Merge(lifecycle.Preferences{Colors: list}).Colors
}
