package store_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// bundle is what most tests need: a migrated store and a direct connection for checking rows.
type bundle struct {
	s   *store.DB
	db  *pgx.Conn
	ctx context.Context
}

func setup(t *testing.T) bundle {
	t.Helper()
	t.Parallel()
	s, url := storetest.New(t)
	db, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err, "connect to %s", url)
	t.Cleanup(func() { db.Close(context.Background()) })
	return bundle{s: s, db: db, ctx: t.Context()}
}

func (b bundle) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.QueryRow(b.ctx, "SELECT count(*) FROM "+table).Scan(&n), "count %s", table)
	return n
}

func (b bundle) importCustomers(t *testing.T, csv string) {
	t.Helper()
	_, err := b.s.ImportCustomers(b.ctx, strings.NewReader(csv))
	require.NoError(t, err, "import customers:\n%s", csv)
}

func (b bundle) importProducts(t *testing.T, csv string) {
	t.Helper()
	_, err := b.s.ImportProducts(b.ctx, strings.NewReader(csv))
	require.NoError(t, err, "import products:\n%s", csv)
}

const customersCSV = `id,name,email,locale,timezone,colors,sizes
c1,Ann de Vries,ann@example.com,nl,Europe/Amsterdam,Blue; Navy ,32
c2,Bob Smith,bob@example.com,en,Europe/London,,
`

const productsCSV = `sku,product,name,category,color,size,price,stock,collections
TR-BLU-32,trousers-chino,Chino,Trousers,Blue,32,79.95,3,Summer 2025;basics
TR-BLU-34,trousers-chino,Chino,trousers,blue,34,79.95,3,Summer 2025
TR-GRY-32,trousers-chino,Chino,trousers,Grey,32,79.95,0,Summer 2025
SH-WHT-M,shirt-oxford,Oxford shirt,Shirts,White,M,49,5,basics
`

func TestMigrateIsIdempotentAndSafeConcurrently(t *testing.T) {
	b := setup(t) // storetest already migrated once
	require.NoError(t, b.s.Migrate(b.ctx), "second Migrate")

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- b.s.Migrate(b.ctx) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err, "concurrent Migrate")
	}
	require.Equal(t, migrationCount(t), b.count(t, "schema_migrations"), "each migration recorded once")
}

func TestMigrateFreshDatabaseConcurrently(t *testing.T) {
	t.Parallel()
	_, url := storetest.New(t)
	// Drop the schema storetest made, then race several stores to create it again.
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(t.Context(), `DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := store.Open(t.Context(), url)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(t.Context())
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err, "concurrent Migrate on an empty database")
	}
	var n int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n))
	require.Equal(t, migrationCount(t), n)
}

// migrationCount is the number of migration files the store embeds.
func migrationCount(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no migrations/*.sql beside the test")
	return len(files)
}

func TestImportCustomers(t *testing.T) {
	b := setup(t)
	n, err := b.s.ImportCustomers(b.ctx, strings.NewReader(customersCSV))
	require.NoError(t, err)
	require.Equal(t, 2, n)

	c1, err := b.s.Customer(b.ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, lifecycle.Customer{ID: "c1", Name: "Ann de Vries", Email: "ann@example.com", Locale: "nl",
		Timezone: "Europe/Amsterdam", MarketingConsent: true}, c1)
	prefs, err := b.s.Preferences(b.ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, lifecycle.Preferences{Colors: []string{"blue", "navy"}, Sizes: []string{"32"}, Categories: []string{}}, prefs)

	// Re-import in another column order with the optional columns: updates, merges, records consent.
	n, err = b.s.ImportCustomers(b.ctx, strings.NewReader(`consent,id,name,email,locale,timezone,colors,sizes,categories
false,c1,Ann Jansen,ann.jansen@example.com,en,Europe/Brussels,grey,34,Trousers;shirts
,c3,Cas,cas@example.com,en,UTC,,,
`))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	c1, err = b.s.Customer(b.ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, lifecycle.Customer{ID: "c1", Name: "Ann Jansen", Email: "ann.jansen@example.com", Locale: "en",
		Timezone: "Europe/Brussels", MarketingConsent: false}, c1)
	prefs, err = b.s.Preferences(b.ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, lifecycle.Preferences{Colors: []string{"blue", "grey", "navy"}, Sizes: []string{"32", "34"},
		Categories: []string{"shirts", "trousers"}}, prefs)
	var source string
	require.NoError(t, b.db.QueryRow(b.ctx, `SELECT consent_source FROM customers WHERE id = 'c1'`).Scan(&source))
	require.Equal(t, "import", source)
	c3, err := b.s.Customer(b.ctx, "c3")
	require.NoError(t, err)
	require.True(t, c3.MarketingConsent, "a new customer without stated consent gets the default")

	// A file without the consent column must not resubscribe c1.
	b.importCustomers(t, customersCSV)
	c1, err = b.s.Customer(b.ctx, "c1")
	require.NoError(t, err)
	require.False(t, c1.MarketingConsent, "re-import without consent kept the opt-out")
	require.Equal(t, 3, b.count(t, "customers"))
}

func TestImportCustomersProblems(t *testing.T) {
	const header = "id,name,email,locale,timezone,colors,sizes\n"
	const good = "c1,Ann,ann@example.com,en,Europe/Amsterdam,blue,M\n"
	tests := []refusedImport{
		{"invalid email", header + good + "c2,Bob,x@,en,UTC,,\n",
			[]store.RowProblem{{3, "email", `"x@": not a valid address, give only the address like ann@example.com`}}},
		{"email with display name", header + good + "c2,Bob,Bob <bob@example.com>,en,UTC,,\n",
			[]store.RowProblem{{3, "email", `"Bob <bob@example.com>": not a valid address, give only the address like ann@example.com`}}},
		{"unknown locale", header + good + "c2,Bob,bob@example.com,fr,UTC,,\n",
			[]store.RowProblem{{3, "locale", `"fr": unknown locale, use en or nl`}}},
		{"unknown timezone", header + good + "c2,Bob,bob@example.com,en,Mars/Olympus,,\n",
			[]store.RowProblem{{3, "timezone", `"Mars/Olympus": unknown time zone, use an IANA name like Europe/Amsterdam`}}},
		{"empty timezone", header + good + "c2,Bob,bob@example.com,en,,,\n",
			[]store.RowProblem{{3, "timezone", `"": unknown time zone, use an IANA name like Europe/Amsterdam`}}},
		{"empty id", header + good + ",Bob,bob@example.com,en,UTC,,\n",
			[]store.RowProblem{{3, "id", "is empty"}}},
		{"duplicate id", header + good + "c1,Bob,bob@example.com,en,UTC,,\n",
			[]store.RowProblem{{3, "id", `"c1": already on line 2`}}},
		{"bad consent", "id,name,email,locale,timezone,colors,sizes,consent\nc1,Ann,ann@example.com,en,UTC,,,yes\n",
			[]store.RowProblem{{2, "consent", `"yes": use true or false`}}},
		{"wrong number of fields", header + good + "c2,Bob,bob@example.com\n",
			[]store.RowProblem{{3, "", "has 3 fields, the header has 7"}}},
		{"missing column", "id,name,email,locale,colors,sizes\n" + "c1,Ann,ann@example.com,en,blue,M\n",
			[]store.RowProblem{{1, "", `missing column "timezone"`}}},
		{"unknown column", "id,name,email,locale,timezone,colors,sizes,shoe\n" + "c1,Ann,ann@example.com,en,UTC,blue,M,42\n",
			[]store.RowProblem{{1, "", `unknown column "shoe"; the columns are id, name, email, locale, timezone, colors, sizes, categories, consent`}}},
		{"empty file", "",
			[]store.RowProblem{{1, "", "the file is empty; the first line must be the header id,name,email,locale,timezone,colors,sizes"}}},
		{"id with a slash", header + good + "a/restock/x,Bob,bob@example.com,en,UTC,,\n",
			[]store.RowProblem{{3, "id", `"a/restock/x": must not contain "/"`}}},
		{"id with an escape sequence", header + good + "\"c2\x1b[2J\",Bob,bob@example.com,en,UTC,,\n",
			[]store.RowProblem{{3, "id", `"c2\x1b[2J": must not contain the control character U+001B`}}},
		{"id too long", header + good + strings.Repeat("x", 129) + ",Bob,bob@example.com,en,UTC,,\n",
			[]store.RowProblem{{3, "id", `"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"...: is 129 bytes, at most 128 are allowed`}}},
		{"name with a line break", header + good + "c2,\"Bob\r\nBcc: x@evil.example\",bob@example.com,en,UTC,,\n",
			[]store.RowProblem{{3, "name", `"Bob\nBcc: x@evil.example": must be one line, without line breaks`}}},
		{"name with an escape sequence", header + good + "c2,Bob\x1b[31m,bob@example.com,en,UTC,,\n",
			[]store.RowProblem{{3, "name", `"Bob\x1b[31m": must not contain the control character U+001B`}}},
		{"name too long", header + good + "c2," + strings.Repeat("B", 201) + ",bob@example.com,en,UTC,,\n",
			[]store.RowProblem{{3, "name", `"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"...: is 201 bytes, at most 200 are allowed`}}},
		{"name not UTF-8", header + good + "c2,B\xffb,bob@example.com,en,UTC,,\n",
			[]store.RowProblem{{3, "name", "is not valid UTF-8: save the file as UTF-8"}}},
		{"id not UTF-8 says it once", header + good + "c\xe92,Bob,bob@example.com,en,UTC,,\n",
			[]store.RowProblem{{3, "id", "is not valid UTF-8: save the file as UTF-8"}}},
		{"colour with an escape sequence", header + good + "c2,Bob,bob@example.com,en,UTC,blue;\x1b[31mred,\n",
			[]store.RowProblem{{3, "colors", `"blue;\x1b[31mred": must not contain the control character U+001B`}}},
		{"size too long", header + good + "c2,Bob,bob@example.com,en,UTC,," + strings.Repeat("L", 65) + "\n",
			[]store.RowProblem{{3, "sizes", `"llllllllllllllllllllllllllllllllllllllll"...: is 65 bytes, at most 64 are allowed`}}},
		{"email with a line break", header + good + "c2,Bob,\"bob@example.com\nBcc: x@evil.example\",en,UTC,,\n",
			[]store.RowProblem{{3, "email", `"bob@example.com\nBcc: x@evil.example": must be one line, without line breaks`}}},
		{"problems sorted by line", header + good + "c1,Bob,x@,en,UTC,,\n" + "c3,B\xffb,bob@example.com,en,UTC,,\n",
			[]store.RowProblem{
				{3, "id", `"c1": already on line 2`},
				{3, "email", `"x@": not a valid address, give only the address like ann@example.com`},
				{4, "name", "is not valid UTF-8: save the file as UTF-8"},
			}},
		{"all problems at once", header + good + "c1,Bob,x@,fr,Nowhere,,\n\n" + ",Cas,cas@example.com,en,UTC,,\n",
			[]store.RowProblem{
				{3, "id", `"c1": already on line 2`},
				{3, "email", `"x@": not a valid address, give only the address like ann@example.com`},
				{3, "locale", `"fr": unknown locale, use en or nl`},
				{3, "timezone", `"Nowhere": unknown time zone, use an IANA name like Europe/Amsterdam`},
				{5, "id", "is empty"},
			}},
	}
	b := setup(t)
	b.requireRefused(t, tests, b.s.ImportCustomers, "customers", "preferences")
}

func TestImportCustomersAcceptsInternationalText(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, "id,name,email,locale,timezone,colors,sizes\n"+
		"jörg-1,Jörg Müller,jörg@bücher.example,nl,Europe/Berlin,grün,XL\n"+
		"taro,山田 太郎,taro@例え.jp,en,Asia/Tokyo,,\n"+
		"lit,Lit Eral,user@[192.0.2.1],en,UTC,,\n")
	for id, email := range map[string]string{"jörg-1": "jörg@bücher.example", "taro": "taro@例え.jp", "lit": "user@[192.0.2.1]"} {
		c, err := b.s.Customer(b.ctx, id)
		require.NoError(t, err, "customer %s", id)
		require.Equal(t, email, c.Email, "address of %s", id)
	}
}

func TestImportErrorMessage(t *testing.T) {
	err := &store.ImportError{Problems: []store.RowProblem{
		{Line: 3, Column: "email", Message: `"x@": not a valid address`},
		{Line: 1, Message: `missing column "sizes"`},
	}}
	require.Equal(t, "2 problem(s), nothing was imported; fix them and import the file again:\n"+
		"line 3: email \"x@\": not a valid address\n"+
		"line 1: missing column \"sizes\"", err.Error())
}

func TestImportProducts(t *testing.T) {
	b := setup(t)
	n, err := b.s.ImportProducts(b.ctx, strings.NewReader(productsCSV))
	require.NoError(t, err)
	require.Equal(t, 4, n)
	p, err := b.s.Product(b.ctx, "TR-BLU-32")
	require.NoError(t, err)
	require.Equal(t, lifecycle.Product{SKU: "TR-BLU-32", Product: "trousers-chino", Name: "Chino", Category: "trousers",
		Color: "blue", Size: "32", PriceCents: 7995, Stock: 3, Collections: []string{"Summer 2025", "basics"}}, p)

	b.importProducts(t, `stock,price,sku,product,name,category,color,size,collections
7,85.5,TR-BLU-32,trousers-chino,Chino slim,Trousers,Blue,32,
`)
	p, err = b.s.Product(b.ctx, "TR-BLU-32")
	require.NoError(t, err)
	require.Equal(t, lifecycle.Product{SKU: "TR-BLU-32", Product: "trousers-chino", Name: "Chino slim", Category: "trousers",
		Color: "blue", Size: "32", PriceCents: 8550, Stock: 7, Collections: []string{}}, p)
	require.Equal(t, 4, b.count(t, "products"))
}

func TestImportProductsProblems(t *testing.T) {
	const header = "sku,product,name,category,color,size,price,stock,collections\n"
	const good = "A1,tee,Tee,shirts,white,M,19.95,1,\n"
	tests := []refusedImport{
		{"negative price", header + good + "A2,tee,Tee,shirts,black,M,-5.00,1,\n",
			[]store.RowProblem{{3, "price", `"-5.00": must not be negative`}}},
		{"decimal comma", header + good + `A2,tee,Tee,shirts,black,M,"19,95",1,` + "\n",
			[]store.RowProblem{{3, "price", `"19,95": not a price like 79.95`}}},
		{"three decimals", header + good + "A2,tee,Tee,shirts,black,M,19.995,1,\n",
			[]store.RowProblem{{3, "price", `"19.995": not a price like 79.95`}}},
		{"empty price", header + good + "A2,tee,Tee,shirts,black,M,,1,\n",
			[]store.RowProblem{{3, "price", `"": not a price like 79.95`}}},
		{"negative stock", header + good + "A2,tee,Tee,shirts,black,M,19.95,-1,\n",
			[]store.RowProblem{{3, "stock", `"-1": must not be negative`}}},
		{"malformed stock", header + good + "A2,tee,Tee,shirts,black,M,19.95,two,\n",
			[]store.RowProblem{{3, "stock", `"two": not a whole number of items`}}},
		{"empty sku", header + good + ",tee,Tee,shirts,black,M,19.95,1,\n",
			[]store.RowProblem{{3, "sku", "is empty"}}},
		{"duplicate sku", header + good + "A1,tee,Tee,shirts,black,M,19.95,1,\n",
			[]store.RowProblem{{3, "sku", `"A1": already on line 2`}}},
		{"empty product", header + good + "A2,,Tee,shirts,black,M,19.95,1,\n",
			[]store.RowProblem{{3, "product", "is empty; name the style shared by all colours and sizes"}}},
		{"missing column", "sku,product,name,category,color,size,price,collections\nA1,tee,Tee,shirts,white,M,19.95,\n",
			[]store.RowProblem{{1, "", `missing column "stock"`}}},
		{"quoted field spanning lines counts lines", header + `A1,tee,"Tee` + "\n" + `long",shirts,white,M,19.95,1,` + "\n" + "A3,tee,Tee,shirts,white,L,x,1,\n",
			[]store.RowProblem{{2, "name", `"Tee\nlong": must be one line, without line breaks`}, {4, "price", `"x": not a price like 79.95`}}},
		{"sku with a slash", header + good + "A/2,tee,Tee,shirts,black,M,19.95,1,\n",
			[]store.RowProblem{{3, "sku", `"A/2": must not contain "/"`}}},
		{"name with an escape sequence", header + good + "A2,tee,\x1b]0;pwned\x07Tee,shirts,black,M,19.95,1,\n",
			[]store.RowProblem{{3, "name", `"\x1b]0;pwned\aTee": must not contain the control character U+001B`}}},
		{"product with a line break", header + good + "A2,\"tee\r\nX\",Tee,shirts,black,M,19.95,1,\n",
			[]store.RowProblem{{3, "product", `"tee\nX": must be one line, without line breaks`}}},
		{"category too long", header + good + "A2,tee,Tee," + strings.Repeat("c", 65) + ",black,M,19.95,1,\n",
			[]store.RowProblem{{3, "category", `"cccccccccccccccccccccccccccccccccccccccc"...: is 65 bytes, at most 64 are allowed`}}},
		{"colour not UTF-8", header + good + "A2,tee,Tee,shirts,bl\xe4ck,M,19.95,1,\n",
			[]store.RowProblem{{3, "color", "is not valid UTF-8: save the file as UTF-8"}}},
		{"collection with a NUL", header + good + "A2,tee,Tee,shirts,black,M,19.95,1,Summer\x00;basics\n",
			[]store.RowProblem{{3, "collections", `"Summer\x00;basics": must not contain the control character U+0000`}}},
		{"header not UTF-8", "sku,product,n\xe4me,category,color,size,price,stock,collections\n" + good,
			[]store.RowProblem{
				{1, "", "column 3 of the header is not valid UTF-8: save the file as UTF-8"},
				{1, "", "unknown column \"n\ufffdme\"; the columns are sku, product, name, category, color, size, price, stock, collections, image_url, url"},
				{1, "", `missing column "name"`},
			}},
	}
	b := setup(t)
	b.requireRefused(t, tests, b.s.ImportProducts, "products")
}

// refusedImport is a file an import must refuse as a whole, naming want.
type refusedImport struct {
	name string
	csv  string
	want []store.RowProblem
}

// requireRefused runs each file through imp and requires it refused with its problems, nothing
// imported and nothing written to tables.
func (b bundle) requireRefused(t *testing.T, tests []refusedImport, imp func(context.Context, io.Reader) (int, error), tables ...string) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := imp(b.ctx, strings.NewReader(tt.csv))
			var importErr *store.ImportError
			require.ErrorAs(t, err, &importErr, "import of:\n%s", tt.csv)
			require.Equal(t, tt.want, importErr.Problems, "import of:\n%s", tt.csv)
			require.Zero(t, n, "import of:\n%s", tt.csv)
			for _, table := range tables {
				require.Equal(t, 0, b.count(t, table), "nothing written to %s after:\n%s", table, tt.csv)
			}
		})
	}
}

func TestRecordPurchaseLearnsPreferencesAndOpensWish(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, customersCSV)
	b.importProducts(t, productsCSV)
	at := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	purchase := lifecycle.Purchase{ID: "o1", CustomerID: "c2", SKU: "TR-BLU-32", WantedColor: " Grey", At: at}

	want := lifecycle.Preferences{Colors: []string{"blue", "grey"}, Sizes: []string{"32"}, Categories: []string{"trousers"}}
	for attempt := 1; attempt <= 2; attempt++ {
		product, prefs, err := b.s.RecordPurchase(b.ctx, purchase)
		require.NoError(t, err, "attempt %d of %+v", attempt, purchase)
		require.Equal(t, "TR-BLU-32", product.SKU)
		require.Equal(t, want, prefs, "attempt %d", attempt)
		stored, err := b.s.Preferences(b.ctx, "c2")
		require.NoError(t, err)
		require.Equal(t, want, stored, "attempt %d", attempt)
		require.Equal(t, 1, b.count(t, "purchases"), "attempt %d", attempt)

		wishes, err := b.s.OpenWishes(b.ctx, "trousers-chino", "grey", "32", time.Time{})
		require.NoError(t, err)
		require.Len(t, wishes, 1, "attempt %d", attempt)
		require.Equal(t, "o1", wishes[0].ID)
		require.Equal(t, "c2", wishes[0].CustomerID)
		require.True(t, at.Equal(wishes[0].CreatedAt), "wish created at the purchase time, got %v", wishes[0].CreatedAt)
	}

	// A closed wish stays closed when the purchase is recorded again.
	require.NoError(t, b.s.CloseWish(b.ctx, "c2", "o1"))
	require.NoError(t, b.s.CloseWish(b.ctx, "c2", "o1"), "closing twice")
	_, _, err := b.s.RecordPurchase(b.ctx, purchase)
	require.NoError(t, err)
	wishes, err := b.s.OpenWishes(b.ctx, "trousers-chino", "grey", "32", time.Time{})
	require.NoError(t, err)
	require.Empty(t, wishes)

	// Wanting the colour you bought is no wish.
	_, _, err = b.s.RecordPurchase(b.ctx, lifecycle.Purchase{ID: "o2", CustomerID: "c2", SKU: "SH-WHT-M", WantedColor: "WHITE", At: at})
	require.NoError(t, err)
	require.Equal(t, 1, b.count(t, "wishes"))

	_, _, err = b.s.RecordPurchase(b.ctx, lifecycle.Purchase{ID: "o1", CustomerID: "c2", SKU: "SH-WHT-M", At: at})
	require.ErrorContains(t, err, `purchase id "o1" is already used`)
}

func TestNotFound(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, customersCSV)
	b.importProducts(t, productsCSV)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"Customer", func() error { _, err := b.s.Customer(b.ctx, "c42"); return err }, `customer "c42": not found`},
		{"Preferences", func() error { _, err := b.s.Preferences(b.ctx, "c42"); return err }, `customer "c42": not found`},
		{"Product", func() error { _, err := b.s.Product(b.ctx, "X"); return err }, `product "X": not found`},
		{"Restock", func() error { _, err := b.s.Restock(b.ctx, "X", 1); return err }, `product "X": not found`},
		{"SetConsent", func() error { return b.s.SetConsent(b.ctx, "c42", false, "test") }, `customer "c42": not found`},
		{"CloseWish", func() error { return b.s.CloseWish(b.ctx, "c1", "o9") }, `wish "o9" of customer "c1": not found`},
		{"MarkSent", func() error { return b.s.MarkSent(b.ctx, "k", "m", time.Now()) }, `send "k": not found`},
		{"MarkFailed", func() error { return b.s.MarkFailed(b.ctx, "k", "why") }, `send "k": not found`},
		{"RecordPurchase unknown product", func() error {
			_, _, err := b.s.RecordPurchase(b.ctx, lifecycle.Purchase{ID: "o1", CustomerID: "c1", SKU: "X"})
			return err
		}, `product "X": not found`},
		{"RecordPurchase unknown customer", func() error {
			_, _, err := b.s.RecordPurchase(b.ctx, lifecycle.Purchase{ID: "o1", CustomerID: "c42", SKU: "TR-BLU-32"})
			return err
		}, `customer "c42": not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			require.ErrorIs(t, err, lifecycle.ErrNotFound, tt.name)
			require.ErrorContains(t, err, tt.want, tt.name)
		})
	}
	require.Equal(t, 0, b.count(t, "purchases"))
}

func TestProducts(t *testing.T) {
	b := setup(t)
	// Two imports, so the second file's products are newer.
	b.importProducts(t, productsCSV)
	b.importProducts(t, `sku,product,name,category,color,size,price,stock,collections
TR-GRN-32,trousers-chino,Chino,trousers,green,32,79.95,1,Autumn
SH-BLU-L,shirt-oxford,Oxford shirt,shirts,blue,L,49,2,basics
SH-BLU-M,shirt-oxford,Oxford shirt,shirts,blue,M,49,2,
`)
	tests := []struct {
		q    lifecycle.ProductQuery
		want []string
	}{
		{lifecycle.ProductQuery{}, []string{"SH-BLU-L", "SH-BLU-M", "TR-GRN-32", "SH-WHT-M", "TR-BLU-32", "TR-BLU-34"}},
		{lifecycle.ProductQuery{Limit: 2}, []string{"SH-BLU-L", "SH-BLU-M"}},
		{lifecycle.ProductQuery{Category: " Trousers"}, []string{"TR-GRN-32", "TR-BLU-32", "TR-BLU-34"}},
		{lifecycle.ProductQuery{Collection: "Summer 2025"}, []string{"TR-BLU-32", "TR-BLU-34"}},
		{lifecycle.ProductQuery{Collection: "basics", Category: "shirts"}, []string{"SH-BLU-L", "SH-WHT-M"}},
		{lifecycle.ProductQuery{Sizes: []string{"m", "34"}}, []string{"SH-BLU-M", "SH-WHT-M", "TR-BLU-34"}},
		{lifecycle.ProductQuery{Colors: []string{"Grey"}}, nil}, // the grey one is out of stock
		{lifecycle.ProductQuery{Colors: []string{"green", "WHITE"}, Sizes: []string{"32", "M", "L"}}, []string{"TR-GRN-32", "SH-WHT-M"}},
		{lifecycle.ProductQuery{Category: "hats"}, nil},
	}
	for _, tt := range tests {
		got, err := b.s.Products(b.ctx, tt.q)
		require.NoError(t, err, "query %+v", tt.q)
		var skus []string
		for _, p := range got {
			skus = append(skus, p.SKU)
		}
		require.Equal(t, tt.want, skus, "query %+v", tt.q)
	}

	p, err := b.s.Restock(b.ctx, "TR-GRY-32", 2)
	require.NoError(t, err)
	require.Equal(t, 2, p.Stock)
	got, err := b.s.Products(b.ctx, lifecycle.ProductQuery{Colors: []string{"grey"}})
	require.NoError(t, err)
	require.Len(t, got, 1, "restocked grey trousers are offered")
	_, err = b.s.Restock(b.ctx, "TR-GRY-32", 0)
	require.ErrorContains(t, err, "quantity must be positive")

	for _, tt := range []struct {
		name string
		got  func() (bool, error)
		want bool
	}{
		{"category trousers", func() (bool, error) { return b.s.CategoryExists(b.ctx, "Trousers") }, true},
		{"category hats", func() (bool, error) { return b.s.CategoryExists(b.ctx, "hats") }, false},
		{"collection Autumn", func() (bool, error) { return b.s.CollectionExists(b.ctx, "Autumn") }, true},
		{"collection Winter", func() (bool, error) { return b.s.CollectionExists(b.ctx, "Winter") }, false},
	} {
		ok, err := tt.got()
		require.NoError(t, err, tt.name)
		require.Equal(t, tt.want, ok, tt.name)
	}
}

func TestOpenWishes(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, `id,name,email,locale,timezone,colors,sizes,consent
c1,A,a@example.com,en,UTC,,,true
c2,B,b@example.com,en,UTC,,,true
c3,C,c@example.com,en,UTC,,,false
c4,D,d@example.com,en,UTC,,,true
c5,E,e@example.com,en,UTC,,,true
c6,F,f@example.com,en,UTC,,,true
`)
	b.importProducts(t, productsCSV)
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, p := range []lifecycle.Purchase{
		{ID: "o2", CustomerID: "c2", SKU: "TR-BLU-32", WantedColor: "grey", At: t0.Add(time.Hour)},
		{ID: "o1", CustomerID: "c1", SKU: "TR-BLU-32", WantedColor: "grey", At: t0},
		{ID: "o3", CustomerID: "c3", SKU: "TR-BLU-32", WantedColor: "grey", At: t0}, // no consent
		{ID: "o4", CustomerID: "c4", SKU: "TR-BLU-34", WantedColor: "grey", At: t0},
		{ID: "o5", CustomerID: "c5", SKU: "TR-BLU-32", WantedColor: "green", At: t0},
		{ID: "o6", CustomerID: "c6", SKU: "TR-BLU-32", WantedColor: "grey", At: t0}, // closed below
	} {
		_, _, err := b.s.RecordPurchase(b.ctx, p)
		require.NoError(t, err, "purchase %+v", p)
	}
	require.NoError(t, b.s.CloseWish(b.ctx, "c6", "o6"))

	tests := []struct {
		product, color, size string
		after                time.Time
		want                 []string // customer ids
	}{
		{"trousers-chino", "grey", "32", time.Time{}, []string{"c1", "c2"}},
		{"trousers-chino", " Grey", "32", t0.Add(-time.Minute), []string{"c1", "c2"}},
		{"trousers-chino", "grey", "32", t0, []string{"c2"}},
		{"trousers-chino", "grey", "32", t0.Add(time.Hour), nil},
		{"trousers-chino", "grey", "34", time.Time{}, []string{"c4"}},
		{"trousers-chino", "green", "32", time.Time{}, []string{"c5"}},
		{"shirt-oxford", "grey", "32", time.Time{}, nil},
	}
	for _, tt := range tests {
		wishes, err := b.s.OpenWishes(b.ctx, tt.product, tt.color, tt.size, tt.after)
		require.NoError(t, err)
		var got []string
		for _, w := range wishes {
			got = append(got, w.CustomerID)
		}
		require.Equal(t, tt.want, got, "OpenWishes(%q, %q, %q, %v)", tt.product, tt.color, tt.size, tt.after)
	}

	require.NoError(t, b.s.SetConsent(b.ctx, "c1", false, "unsubscribe-link"))
	wishes, err := b.s.OpenWishes(b.ctx, "trousers-chino", "grey", "32", time.Time{})
	require.NoError(t, err)
	require.Len(t, wishes, 1, "c1 unsubscribed")
	require.Equal(t, "c2", wishes[0].CustomerID)
}

// TestClaimSendRefusesAnotherCustomersKey is the pair from issue #13. Before keys escaped the
// customer id, customer a/restock/x with wish y had the key customer/a/restock/x/restock/y, the
// same as customer a with wish x/restock/y: ClaimSend gave a the other's sent row and a's email
// was reported sent without being sent.
func TestClaimSendRefusesAnotherCustomersKey(t *testing.T) {
	b := setup(t)
	const legacyKey = "customer/a/restock/x/restock/y" // written for customer a/restock/x before escaping
	_, err := b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: legacyKey, CustomerID: "a/restock/x", Kind: lifecycle.KindRestock, Subject: "y"})
	require.NoError(t, err)
	require.NoError(t, b.s.MarkSent(b.ctx, legacyKey, "msg-other", time.Now()))

	key := lifecycle.SendKey("a", lifecycle.KindRestock, "x/restock/y")
	require.Equal(t, legacyKey, key, "the test needs the colliding pair")
	got, err := b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: key, CustomerID: "a", Kind: lifecycle.KindRestock, Subject: "x/restock/y"})
	require.ErrorIs(t, err, lifecycle.ErrSendKeyConflict, "claim %s for customer a returned %+v", key, got)
	require.Contains(t, err.Error(), `"a/restock/x"`, "the error names the owner")

	// The same kind of clash between kinds of one key: a for-customer row of another kind.
	_, err = b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: legacyKey, CustomerID: "a/restock/x", Kind: lifecycle.KindSale, Subject: "y"})
	require.ErrorIs(t, err, lifecycle.ErrSendKeyConflict, "claim %s as a sale", legacyKey)

	// Escaped, the legacy customer's key is its own, and both claims stand side by side.
	own := lifecycle.SendKey("a/restock/x", lifecycle.KindRestock, "y")
	require.NotEqual(t, key, own)
	row, err := b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: own, CustomerID: "a/restock/x", Kind: lifecycle.KindRestock, Subject: "y"})
	require.NoError(t, err)
	require.Equal(t, lifecycle.SendClaimed, row.Status, "claim %s", own)
}

func TestClaimSend(t *testing.T) {
	b := setup(t)
	created := time.Date(2025, 5, 2, 9, 0, 0, 0, time.UTC)
	claim := lifecycle.SendRecord{Key: lifecycle.SendKey("c1", lifecycle.KindRestock, "o1"), CustomerID: "c1",
		Kind: lifecycle.KindRestock, Subject: "o1", CreatedAt: created}

	first, err := b.s.ClaimSend(b.ctx, claim)
	require.NoError(t, err)
	require.Equal(t, lifecycle.SendClaimed, first.Status)
	require.Equal(t, claim.Key, first.Key)
	require.Equal(t, lifecycle.KindRestock, first.Kind)
	require.True(t, created.Equal(first.CreatedAt))
	require.True(t, first.SentAt.IsZero())

	later := claim
	later.CreatedAt = created.Add(time.Hour)
	second, err := b.s.ClaimSend(b.ctx, later)
	require.NoError(t, err)
	require.Equal(t, first, second, "claiming %s twice returns the first row", claim.Key)

	sentAt := created.Add(time.Minute)
	require.NoError(t, b.s.MarkSent(b.ctx, claim.Key, "msg-1", sentAt))
	third, err := b.s.ClaimSend(b.ctx, claim)
	require.NoError(t, err)
	require.Equal(t, lifecycle.SendSent, third.Status)
	require.Equal(t, "msg-1", third.MessageID)
	require.True(t, sentAt.Equal(third.SentAt))

	require.NoError(t, b.s.MarkFailed(b.ctx, claim.Key, "late bounce"))
	log, err := b.s.SendLog(b.ctx, "c1")
	require.NoError(t, err)
	require.Len(t, log, 1)
	require.Equal(t, lifecycle.SendSent, log[0].Status, "a sent email stays sent")

	other := lifecycle.SendRecord{Key: "customer/c1/sale/s1", CustomerID: "c1", Kind: lifecycle.KindSale, Subject: "s1", CreatedAt: created.Add(time.Hour)}
	_, err = b.s.ClaimSend(b.ctx, other)
	require.NoError(t, err)
	require.NoError(t, b.s.MarkFailed(b.ctx, other.Key, "invalid address"))
	log, err = b.s.SendLog(b.ctx, "c1")
	require.NoError(t, err)
	require.Len(t, log, 2)
	require.Equal(t, other.Key, log[1].Key)
	require.Equal(t, lifecycle.SendFailed, log[1].Status)
	require.Equal(t, "invalid address", log[1].Error)
}

func TestCustomersInterestedIn(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, `id,name,email,locale,timezone,colors,sizes,categories,consent
c1,A,a@example.com,en,UTC,,,,true
c2,B,b@example.com,en,UTC,,,Trousers,true
c3,C,c@example.com,en,UTC,,,shirts,true
c4,D,d@example.com,en,UTC,,,,false
c10,E,e@example.com,en,UTC,,,trousers,true
`)
	b.importProducts(t, productsCSV)
	for _, p := range []lifecycle.Purchase{
		{ID: "o1", CustomerID: "c1", SKU: "TR-BLU-32"},
		{ID: "o4", CustomerID: "c4", SKU: "TR-BLU-32"}, // no consent
	} {
		_, _, err := b.s.RecordPurchase(b.ctx, p)
		require.NoError(t, err, "purchase %+v", p)
	}
	tests := []struct {
		category string
		want     []string
	}{
		{"trousers", []string{"c1", "c10", "c2"}},
		{"Trousers ", []string{"c1", "c10", "c2"}},
		{"shirts", []string{"c3"}},
		{"hats", []string{}},
	}
	for _, tt := range tests {
		got, err := b.s.CustomersInterestedIn(b.ctx, tt.category)
		require.NoError(t, err)
		require.Equal(t, tt.want, got, "CustomersInterestedIn(%q)", tt.category)
	}
	got, err := b.s.CustomersWithPurchases(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"c1"}, got)
}

func TestOutbox(t *testing.T) {
	b := setup(t)
	t0 := time.Date(2025, 5, 3, 8, 0, 0, 0, time.UTC)
	emails := []struct {
		e  lifecycle.Email
		id string
		at time.Time
	}{
		{lifecycle.Email{Key: "customer/c1/sale/s1", CustomerID: "c1", Kind: lifecycle.KindSale, ToEmail: "a@example.com",
			ToName: "Ann", Subject: "Sale", HTML: "<p>Sale</p>", Text: "Sale"}, "m2", t0.Add(time.Hour)},
		{lifecycle.Email{Key: "customer/c1/restock/o1", CustomerID: "c1", Kind: lifecycle.KindRestock, ToEmail: "a@example.com",
			ToName: "Ann", Subject: "Back", HTML: "<p>Back</p>", Text: "Back"}, "m1", t0},
		{lifecycle.Email{Key: "customer/c2/sale/s1", CustomerID: "c2", ToEmail: "b@example.com", Subject: "Sale"}, "m3", t0},
		// Same key again: the first copy stays.
		{lifecycle.Email{Key: "customer/c1/restock/o1", CustomerID: "c1", ToEmail: "a@example.com", Subject: "Changed"}, "m9", t0.Add(2 * time.Hour)},
	}
	for _, e := range emails {
		require.NoError(t, b.s.SaveOutboxEmail(b.ctx, e.e, e.id, e.at), "save %s", e.e.Key)
	}
	got, err := b.s.Outbox(b.ctx, "c1")
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.True(t, t0.Equal(got[0].CreatedAt))
	got[0].CreatedAt = time.Time{}
	require.Equal(t, store.OutboxEmail{Key: "customer/c1/restock/o1", CustomerID: "c1", ToEmail: "a@example.com", ToName: "Ann",
		Subject: "Back", Text: "Back", HTML: "<p>Back</p>", MessageID: "m1"}, got[0])
	require.Equal(t, "customer/c1/sale/s1", got[1].Key)

	all, err := b.s.Outbox(b.ctx, "")
	require.NoError(t, err)
	var keys []string
	for _, e := range all {
		keys = append(keys, e.Key)
	}
	require.Equal(t, []string{"customer/c1/restock/o1", "customer/c2/sale/s1", "customer/c1/sale/s1"}, keys)
}

func TestImportManyCustomers(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 20k rows")
	}
	b := setup(t)
	var csv strings.Builder
	csv.WriteString("id,name,email,locale,timezone,colors,sizes\n")
	const n = 20000
	for i := range n {
		fmt.Fprintf(&csv, "c%d,Customer %d,c%d@example.com,nl,Europe/Amsterdam,blue;grey,M\n", i, i, i)
	}
	got, err := b.s.ImportCustomers(b.ctx, strings.NewReader(csv.String()))
	require.NoError(t, err)
	require.Equal(t, n, got)
	got, err = b.s.ImportCustomers(b.ctx, strings.NewReader(csv.String()))
	require.NoError(t, err, "re-import")
	require.Equal(t, n, got)
	require.Equal(t, n, b.count(t, "customers"))
}
