package store

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	_ "time/tzdata" // time zones are validated the same way on every host
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// RowProblem is one thing wrong in an imported file. Line counts the header as line 1; Column is
// empty for problems with a whole line or the header.
type RowProblem struct {
	Line    int
	Column  string
	Message string
}

func (p RowProblem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return fmt.Sprintf("line %d: %s %s", p.Line, p.Column, p.Message)
}

// ImportError lists every problem found in an imported file. When it is returned nothing from
// the file was written.
type ImportError struct {
	Problems []RowProblem
}

// maxListedProblems keeps the message of a badly broken 100k-line file readable; Problems keeps all.
const maxListedProblems = 100

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s), nothing was imported; fix them and import the file again:", len(e.Problems))
	for i, p := range e.Problems {
		if i == maxListedProblems {
			fmt.Fprintf(&b, "\n... and %d more", len(e.Problems)-i)
			break
		}
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

var (
	customerColumns         = []string{"id", "name", "email", "locale", "timezone", "colors", "sizes"}
	customerOptionalColumns = []string{"categories", "consent"}
	productColumnsCSV       = []string{"sku", "product", "name", "category", "color", "size", "price", "stock", "collections"}
)

type importedCustomer struct {
	id, name, email, locale, timezone string
	colors, sizes, categories         []string
	consent                           *bool // nil: not stated
}

// ImportCustomers reads a CSV file with the header id,name,email,locale,timezone,colors,sizes and
// optionally categories and consent, in any order; lists are separated by ";". It validates every
// row first and returns an *ImportError listing all problems, writing nothing, or upserts all rows
// in one transaction and returns how many there were.
//
// Stated colours, sizes and categories are merged into what is already known. Consent (true or
// false) is recorded with source "import"; when a row leaves it out, a new customer gets consent
// and an existing customer keeps theirs, so re-importing a file cannot resubscribe anybody.
func (s *DB) ImportCustomers(ctx context.Context, r io.Reader) (int, error) {
	n, _, err := s.ImportCustomersWithConsentChanges(ctx, r)
	return n, err
}

// ConsentChange is an existing customer whose marketing consent an import changed.
type ConsentChange struct {
	CustomerID string
	Granted    bool
}

// ImportCustomersWithConsentChanges imports like ImportCustomers and also returns the existing
// customers whose consent the file changed. Their workflows are owed a consent signal from the same
// transaction on (RelayConsentSignals delivers it).
func (s *DB) ImportCustomersWithConsentChanges(ctx context.Context, r io.Reader) (int, []ConsentChange, error) {
	customers, problems, err := parseCustomers(r)
	if err != nil {
		return 0, nil, fmt.Errorf("import customers: %w", err)
	}
	if len(problems) > 0 {
		return 0, nil, fmt.Errorf("import customers: %w", &ImportError{Problems: problems})
	}

	var changes []ConsentChange
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			CREATE TEMP TABLE import_customers (
				id text, name text, email text, locale text, timezone text,
				colors text[], sizes text[], categories text[], consent boolean
			) ON COMMIT DROP`); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"import_customers"},
			[]string{"id", "name", "email", "locale", "timezone", "colors", "sizes", "categories", "consent"},
			pgx.CopyFromSlice(len(customers), func(i int) ([]any, error) {
				c := customers[i]
				return []any{c.id, c.name, c.email, c.locale, c.timezone, c.colors, c.sizes, c.categories, c.consent}, nil
			}))
		if err != nil {
			return err
		}
		if err := refuseForgotten(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT i.id, i.consent FROM import_customers i JOIN customers c ON c.id = i.id
			WHERE i.consent IS NOT NULL AND i.consent <> c.marketing_consent
			ORDER BY i.id COLLATE "C"`)
		if err != nil {
			return err
		}
		changes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ConsentChange, error) {
			var c ConsentChange
			return c, r.Scan(&c.CustomerID, &c.Granted)
		})
		if err != nil {
			return err
		}
		// Owed to their workflows in this transaction, so a signal that fails later is not lost
		// with the change (the file, imported again, has no change left to report).
		if err := oweConsentSignals(ctx, tx, `
			SELECT i.id, i.consent, 'import', now() FROM import_customers i JOIN customers c ON c.id = i.id
			WHERE i.consent IS NOT NULL AND i.consent <> c.marketing_consent`); err != nil {
			return err
		}
		// consent_updated_at stays NULL while consent is only the default; on conflict that tells
		// the update to keep the customer's current consent.
		if _, err := tx.Exec(ctx, `
			INSERT INTO customers AS c
				(id, name, email, locale, timezone, marketing_consent, consent_source, consent_updated_at)
			SELECT id, name, email, locale, timezone, coalesce(consent, true), 'import',
			       CASE WHEN consent IS NULL THEN NULL ELSE now() END
			FROM import_customers
			ON CONFLICT (id) DO UPDATE SET
				name = excluded.name,
				email = excluded.email,
				locale = excluded.locale,
				timezone = excluded.timezone,
				marketing_consent = CASE WHEN excluded.consent_updated_at IS NULL
				                         THEN c.marketing_consent ELSE excluded.marketing_consent END,
				consent_source = CASE WHEN excluded.consent_updated_at IS NULL
				                      THEN c.consent_source ELSE excluded.consent_source END,
				consent_updated_at = coalesce(excluded.consent_updated_at, c.consent_updated_at),
				updated_at = now()`); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO preferences AS p (customer_id, colors, sizes, categories)
			SELECT id, colors, sizes, categories FROM import_customers
			ON CONFLICT (customer_id) DO UPDATE SET
				colors = `+sqlUnion("p.colors", "excluded.colors")+`,
				sizes = `+sqlUnion("p.sizes", "excluded.sizes")+`,
				categories = `+sqlUnion("p.categories", "excluded.categories"))
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("import customers: %w", err)
	}
	return len(customers), changes, nil
}

// parseCustomers reads and checks a customers file without writing anything: the customers, or
// every problem found, each with its line. The error is only for failing to read.
func parseCustomers(r io.Reader) ([]importedCustomer, []RowProblem, error) {
	rows, problems, err := readCSV(r, customerColumns, customerOptionalColumns)
	if err != nil {
		return nil, nil, err
	}
	customers := make([]importedCustomer, 0, len(rows))
	seen := map[string]int{}
	zones := map[string]bool{} // LoadLocation parses tzdata on every call; files repeat a few zones
	for _, row := range rows {
		c := importedCustomer{
			id:         row.get("id"),
			name:       row.get("name"),
			email:      row.get("email"),
			locale:     strings.ToLower(row.get("locale")),
			timezone:   row.get("timezone"),
			colors:     splitNormalized(row.get("colors")),
			sizes:      splitNormalized(row.get("sizes")),
			categories: splitNormalized(row.get("categories")),
		}
		bad := func(column, format string, args ...any) {
			problems = append(problems, RowProblem{Line: row.line, Column: column, Message: fmt.Sprintf(format, args...)})
		}
		check := func(column string, err error) { problems = addInputProblem(problems, row.line, column, err) }
		if err := lifecycle.ValidateID("id", c.id); err != nil {
			check("id", err)
		} else if first, dup := seen[c.id]; dup {
			bad("id", "%q: already on line %d", c.id, first)
		} else {
			seen[c.id] = row.line
		}
		check("name", lifecycle.CheckLine("name", c.name, lifecycle.MaxNameLen))
		check("email", lifecycle.ValidateEmail("email", c.email))
		check("colors", checkList(row.get("colors"), c.colors))
		check("sizes", checkList(row.get("sizes"), c.sizes))
		check("categories", checkList(row.get("categories"), c.categories))
		if !lifecycle.ValidLocale(c.locale) {
			bad("locale", "%q: unknown locale, use %s or %s", row.get("locale"), lifecycle.LocaleEnglish, lifecycle.LocaleDutch)
		}
		if !validZone(zones, c.timezone) {
			bad("timezone", "%q: unknown time zone, use an IANA name like Europe/Amsterdam", c.timezone)
		}
		if v := row.get("consent"); v != "" {
			consent, err := strconv.ParseBool(v)
			if err != nil {
				bad("consent", "%q: use true or false", v)
			}
			c.consent = &consent
		}
		customers = append(customers, c)
	}
	sortProblems(problems)
	return customers, problems, nil
}

// validZone reports whether name is an IANA time zone, remembering answers in known.
func validZone(known map[string]bool, name string) bool {
	ok, seen := known[name]
	if !seen {
		// The embedded database, the one quiet hours use, not the host's.
		_, err := lifecycle.LoadLocation(name)
		ok = err == nil && name != "" && name != "Local"
		known[name] = ok
	}
	return ok
}

// sqlUnion is lifecycle.Preferences.Merge in SQL: the sorted (byte order) distinct union of two
// text arrays of normalized values.
func sqlUnion(a, b string) string {
	return `ARRAY(SELECT v FROM unnest(` + a + ` || ` + b + `) AS u(v) GROUP BY v ORDER BY v COLLATE "C")`
}

// ImportProducts reads a CSV file with the header sku,product,name,category,color,size,price,stock,
// collections in any order (price like 79.95, collections separated by ";"). Like ImportCustomers
// it writes nothing unless every row is valid; existing SKUs are updated, stock included.
func (s *DB) ImportProducts(ctx context.Context, r io.Reader) (int, error) {
	n, _, err := s.ImportProductsBackInStock(ctx, r)
	return n, err
}

// ImportProductsBackInStock imports like ImportProducts and also returns the products the file
// brought back in stock, as they are now, sorted by SKU: SKUs that existed with a stock of 0 (the
// least the column holds) and have more than 0 after the import. A new SKU is not back in stock (nobody can have wished for
// it), and importing the same stock again returns none.
func (s *DB) ImportProductsBackInStock(ctx context.Context, r io.Reader) (int, []lifecycle.Product, error) {
	products, problems, err := parseProducts(r)
	if err != nil {
		return 0, nil, fmt.Errorf("import products: %w", err)
	}
	if len(problems) > 0 {
		return 0, nil, fmt.Errorf("import products: %w", &ImportError{Problems: problems})
	}

	var back []lifecycle.Product
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			CREATE TEMP TABLE import_products (
				sku text, product text, name text, category text, color text, size text,
				price_cents bigint, stock integer, collections text[]
			) ON COMMIT DROP`); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"import_products"},
			[]string{"sku", "product", "name", "category", "color", "size", "price_cents", "stock", "collections"},
			pgx.CopyFromSlice(len(products), func(i int) ([]any, error) {
				p := products[i]
				return []any{p.SKU, p.Product, p.Name, p.Category, p.Color, p.Size, p.PriceCents, int32(p.Stock), p.Collections}, nil
			}))
		if err != nil {
			return err
		}
		// Read under the rows' locks before the upsert changes them: a concurrent import or restock
		// of the same SKU waits, so only one of them sees the stock rise.
		rows, err := tx.Query(ctx, `
			SELECT p.sku FROM products p JOIN import_products i ON i.sku = p.sku
			WHERE p.stock <= 0 AND i.stock > 0
			ORDER BY p.sku COLLATE "C"
			FOR UPDATE OF p`)
		if err != nil {
			return err
		}
		raised, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO products (`+productColumns+`)
			SELECT `+productColumns+` FROM import_products
			ON CONFLICT (sku) DO UPDATE SET
				product = excluded.product,
				name = excluded.name,
				category = excluded.category,
				color = excluded.color,
				size = excluded.size,
				price_cents = excluded.price_cents,
				stock = excluded.stock,
				collections = excluded.collections,
				updated_at = now()`)
		if err != nil || len(raised) == 0 {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT `+productColumns+` FROM products WHERE sku = ANY($1) ORDER BY sku COLLATE "C"`, raised)
		if err != nil {
			return err
		}
		back, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (lifecycle.Product, error) { return scanProduct(r) })
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("import products: %w", err)
	}
	return len(products), back, nil
}

// parseProducts reads and checks a products file without writing anything, like parseCustomers.
func parseProducts(r io.Reader) ([]lifecycle.Product, []RowProblem, error) {
	rows, problems, err := readCSV(r, productColumnsCSV, nil)
	if err != nil {
		return nil, nil, err
	}
	products := make([]lifecycle.Product, 0, len(rows))
	seen := map[string]int{}
	for _, row := range rows {
		p := lifecycle.Product{
			SKU:         row.get("sku"),
			Product:     row.get("product"),
			Name:        row.get("name"),
			Category:    lifecycle.Normalize(row.get("category")),
			Color:       lifecycle.Normalize(row.get("color")),
			Size:        lifecycle.Normalize(row.get("size")),
			Collections: splitTrimmed(row.get("collections")),
		}
		bad := func(column, format string, args ...any) {
			problems = append(problems, RowProblem{Line: row.line, Column: column, Message: fmt.Sprintf(format, args...)})
		}
		check := func(column string, err error) { problems = addInputProblem(problems, row.line, column, err) }
		if err := lifecycle.ValidateID("sku", p.SKU); err != nil {
			check("sku", err)
		} else if first, dup := seen[p.SKU]; dup {
			bad("sku", "%q: already on line %d", p.SKU, first)
		} else {
			seen[p.SKU] = row.line
		}
		if p.Product == "" {
			bad("product", "is empty; name the style shared by all colours and sizes")
		}
		check("product", lifecycle.CheckLine("product", p.Product, lifecycle.MaxNameLen))
		check("name", lifecycle.CheckLine("name", p.Name, lifecycle.MaxNameLen))
		// The normalized values, as stored: lower-casing can make a value longer (İ is 2 bytes, i̇ 3).
		check("category", lifecycle.CheckLine("category", p.Category, lifecycle.MaxLabelLen))
		check("color", lifecycle.CheckLine("color", p.Color, lifecycle.MaxLabelLen))
		check("size", lifecycle.CheckLine("size", p.Size, lifecycle.MaxLabelLen))
		check("collections", checkList(row.get("collections"), p.Collections))
		price := row.get("price")
		if cents, ok := lifecycle.ParsePrice(price); ok {
			p.PriceCents = cents
		} else if strings.HasPrefix(price, "-") {
			bad("price", "%q: must not be negative", price)
		} else {
			bad("price", "%q: not a price like 79.95", price)
		}
		stock := row.get("stock")
		if n, err := strconv.Atoi(stock); err == nil && n >= 0 && n <= math.MaxInt32 {
			p.Stock = n
		} else if err == nil && n < 0 {
			bad("stock", "%q: must not be negative", stock)
		} else {
			bad("stock", "%q: not a whole number of items", stock)
		}
		products = append(products, p)
	}
	sortProblems(problems)
	return products, problems, nil
}

// sortProblems orders problems by line, keeping the order within a line: the reader finds some
// (encoding, field counts) before the rows are checked.
func sortProblems(problems []RowProblem) {
	slices.SortStableFunc(problems, func(a, b RowProblem) int { return a.Line - b.Line })
}

// maxListLen caps a ";"-separated list column (colours, sizes, categories, collections) as a whole;
// each item is capped at lifecycle.MaxLabelLen.
const maxListLen = 1024

// checkList checks a ";"-separated list column: raw is one line of at most maxListLen bytes, and
// each of its items, as stored (normalized or trimmed), at most lifecycle.MaxLabelLen.
func checkList(raw string, items []string) error {
	if err := lifecycle.CheckLine("list", raw, maxListLen); err != nil {
		return err
	}
	for _, item := range items {
		if err := lifecycle.CheckLine("item", item, lifecycle.MaxLabelLen); err != nil {
			return err
		}
	}
	return nil
}

// addInputProblem appends err, broken lifecycle input rule, as a problem of column on line.
func addInputProblem(problems []RowProblem, line int, column string, err error) []RowProblem {
	if err == nil {
		return problems
	}
	msg := err.Error()
	var input *lifecycle.InputError
	if errors.As(err, &input) {
		msg = input.Problem // the column is named by the RowProblem
	}
	return append(problems, RowProblem{Line: line, Column: column, Message: msg})
}

// splitNormalized splits a ";"-separated list of colours, sizes or categories into normalized,
// sorted, distinct values.
func splitNormalized(s string) []string { return normalizeList(strings.Split(s, ";")) }

// splitTrimmed splits a ";"-separated list of names, keeping their case, sorted and distinct.
func splitTrimmed(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, ";") {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

type csvRow struct {
	line    int
	columns map[string]int
	fields  []string
}

// get returns the trimmed value of column, or "" when the file has no such column.
func (r csvRow) get(column string) string {
	i, ok := r.columns[column]
	if !ok {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// readCSV reads a header naming every required column and any optional ones, then the rows.
// Problems with the header, malformed lines and lines with the wrong number of fields come back
// as problems; the error is only for failing to read.
func readCSV(r io.Reader, required, optional []string) ([]csvRow, []RowProblem, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked below, so every bad line is reported
	var problems []RowProblem

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, []RowProblem{{Line: 1, Message: "the file is empty; the first line must be the header " + strings.Join(required, ",")}}, nil
	}
	var parseErr *csv.ParseError
	if errors.As(err, &parseErr) {
		return nil, []RowProblem{{Line: parseErr.Line, Message: parseErr.Err.Error()}}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	for i, name := range header {
		if !utf8.ValidString(name) {
			problems = append(problems, RowProblem{Line: 1, Message: fmt.Sprintf("column %d of the header is not valid UTF-8: save the file as UTF-8", i+1)})
			header[i] = strings.ToValidUTF8(name, "\uFFFD")
		}
	}
	columns := map[string]int{}
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // spreadsheet exports start with a BOM
		}
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case !slices.Contains(required, name) && !slices.Contains(optional, name):
			expected := strings.Join(append(slices.Clone(required), optional...), ", ")
			problems = append(problems, RowProblem{Line: 1, Message: fmt.Sprintf("unknown column %q; the columns are %s", name, expected)})
		default:
			if _, dup := columns[name]; dup {
				problems = append(problems, RowProblem{Line: 1, Message: fmt.Sprintf("column %q appears twice", name)})
			}
			columns[name] = i
		}
	}
	for _, name := range required {
		if _, ok := columns[name]; !ok {
			problems = append(problems, RowProblem{Line: 1, Message: fmt.Sprintf("missing column %q", name)})
		}
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}

	var rows []csvRow
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.As(err, &parseErr) {
			problems = append(problems, RowProblem{Line: parseErr.StartLine, Message: parseErr.Err.Error()})
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(fields) != len(header) {
			problems = append(problems, RowProblem{Line: line, Message: fmt.Sprintf("has %d fields, the header has %d", len(fields), len(header))})
			continue
		}
		for i, field := range fields {
			if !utf8.ValidString(field) {
				// Said once here, with the column, and replaced so the row's other checks do not
				// say it again; nothing is written while there is a problem.
				fieldLine, _ := cr.FieldPos(i)
				problems = append(problems, RowProblem{Line: fieldLine, Column: strings.TrimSpace(header[i]),
					Message: "is not valid UTF-8: save the file as UTF-8"})
				fields[i] = strings.ToValidUTF8(field, "\uFFFD")
			}
		}
		rows = append(rows, csvRow{line: line, columns: columns, fields: fields})
	}
	return rows, problems, nil
}
