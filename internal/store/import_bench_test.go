package store_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// BenchmarkImport imports 100,000 customers and 10,000 products into an empty database, the sizes
// issue 4 asks for, and measures in the same iterations the floor any import of that file has on
// this server: a bare COPY of the same CSV into a table of text columns, with no parsing,
// validation, normalisation or upsert. x_raw_copy is the import's time over the floor's.
//
//	go test -run '^$' -bench Import -benchtime 3x ./internal/store
func BenchmarkImport(b *testing.B) {
	cases := []struct {
		name, csv string
		rows      int
		tables    string // emptied before each import
		rawTable  string
		importCSV func(*store.DB, context.Context, io.Reader) (int, error)
	}{
		{
			name: "customers=100k", csv: benchCustomersCSV(100_000), rows: 100_000,
			tables: "customers CASCADE", rawTable: "raw_customers",
			importCSV: (*store.DB).ImportCustomers,
		},
		{
			name: "products=10k", csv: benchProductsCSV(10_000), rows: 10_000,
			tables: "products CASCADE", rawTable: "raw_products",
			importCSV: (*store.DB).ImportProducts,
		},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s, url := storetest.New(b)
			ctx := context.Background()
			db, err := pgx.Connect(ctx, url)
			if err != nil {
				b.Fatalf("connect to %s: %v", url, err)
			}
			defer db.Close(ctx)
			columns := strings.Split(c.csv[:strings.IndexByte(c.csv, '\n')], ",")
			if _, err := db.Exec(ctx, "CREATE TABLE "+c.rawTable+" ("+strings.Join(columns, " text, ")+" text)"); err != nil {
				b.Fatalf("create %s: %v", c.rawTable, err)
			}
			b.SetBytes(int64(len(c.csv)))
			b.ResetTimer()
			var imported, raw time.Duration
			for range b.N {
				b.StopTimer()
				mustExec(b, db, "TRUNCATE "+c.tables)
				mustExec(b, db, "TRUNCATE "+c.rawTable)
				b.StartTimer()

				start := time.Now()
				n, err := c.importCSV(s, ctx, strings.NewReader(c.csv))
				imported += time.Since(start)
				if err != nil || n != c.rows {
					b.Fatalf("import: %d rows, %v; want %d", n, err, c.rows)
				}

				b.StopTimer()
				start = time.Now()
				tag, err := db.PgConn().CopyFrom(ctx, strings.NewReader(c.csv), "COPY "+c.rawTable+" FROM STDIN (FORMAT csv, HEADER true)")
				raw += time.Since(start)
				if err != nil || tag.RowsAffected() != int64(c.rows) {
					b.Fatalf("raw COPY: %d rows, %v; want %d", tag.RowsAffected(), err, c.rows)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(c.rows)*float64(b.N)/imported.Seconds(), "rows/s")
			b.ReportMetric(imported.Seconds()/raw.Seconds(), "x_raw_copy")
		})
	}
}

func mustExec(b *testing.B, db *pgx.Conn, sql string) {
	b.Helper()
	if _, err := db.Exec(context.Background(), sql); err != nil {
		b.Fatalf("%s: %v", sql, err)
	}
}

// benchCustomersCSV is n customers in the shape of a shop's export: two zones, both locales, a
// few colours and sizes, half with a stated consent.
func benchCustomersCSV(n int) string {
	var sb strings.Builder
	sb.WriteString("id,name,email,locale,timezone,colors,sizes,categories,consent\n")
	zones := []string{"Europe/Amsterdam", "Europe/Brussels"}
	locales := []string{"nl", "en"}
	consent := []string{"", "true", "", "false"}
	for i := range n {
		fmt.Fprintf(&sb, "c%07d,Customer %d,c%07d@example.com,%s,%s,blue;grey,%d,trousers;shirts,%s\n",
			i, i, i, locales[i%2], zones[i%2], 46+2*(i%6), consent[i%4])
	}
	return sb.String()
}

// benchProductsCSV is n products: variants of colour and size of n/12 models, in two collections.
func benchProductsCSV(n int) string {
	var sb strings.Builder
	sb.WriteString("sku,product,name,category,color,size,price,stock,collections\n")
	colors := []string{"blue", "grey"}
	for i := range n {
		model, color, size := i/12, colors[i%2], 46+2*(i/2%6)
		fmt.Fprintf(&sb, "SKU-%05d-%s-%d,model-%05d,Model %d,trousers,%s,%d,79.95,%d,winter-2026;basics\n",
			model, color, size, model, model, color, size, i%5)
	}
	return sb.String()
}
