package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// benchCategory is the category every generated customer likes and every generated product has.
const benchCategory = "trousers"

// benchProducts are a few trousers in stock in size 50, in the colours the customers like, so
// that every sale email lists products.
const benchProducts = `sku,product,name,category,color,size,price,stock,collections
TR-BLUE-50,classic-trousers,Classic trousers,trousers,blue,50,89.00,100000,
TR-GREY-50,classic-trousers,Classic trousers,trousers,grey,50,89.00,100000,
CH-BLUE-50,chinos,Chinos,trousers,blue,50,69.00,100000,
CH-GREY-50,chinos,Chinos,trousers,grey,50,69.00,100000,
`

// customerID is the id of the i-th generated customer (1-based); zero-padded so that ids sort
// in the order they were made.
func customerID(i int) string { return fmt.Sprintf("c%07d", i) }

func runGen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("customers", 10000, "how many customers")
	dir := fs.String("dir", "", "folder to write customers.csv and products.csv to (required)")
	orders := fs.Bool("orders", false, "also write orders.csv: one order an hour ago per customer (bench/run.sh --mode orders)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *n < 1 {
		return errors.New("gen: --dir is required and --customers must be at least 1")
	}
	if err := os.WriteFile(filepath.Join(*dir, "products.csv"), []byte(benchProducts), 0o644); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	path := filepath.Join(*dir, "customers.csv")
	if err := writeCustomers(path, *n); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %d customers to %s and 4 products to %s\n", *n, path, filepath.Join(*dir, "products.csv"))
	if *orders {
		path := filepath.Join(*dir, "orders.csv")
		if err := writeOrders(path, *n, time.Now().UTC().Add(-time.Hour)); err != nil {
			return fmt.Errorf("gen: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %d orders to %s\n", *n, path)
	}
	return nil
}

// orderID is the id of the generated order of the i-th customer.
func orderID(i int) string { return fmt.Sprintf("o%07d", i) }

// writeOrders writes one order per customer, each of one of the generated trousers at its price,
// all at, recent enough to be news to the customers' workflows rather than history (starter
// import orders keeps orders older than 30 days as history).
func writeOrders(path string, n int, at time.Time) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "order_id,customer_id,sku,ordered_at,price")
	skus := []struct{ sku, price string }{{"TR-BLUE-50", "89.00"}, {"TR-GREY-50", "89.00"}, {"CH-BLUE-50", "69.00"}, {"CH-GREY-50", "69.00"}}
	for i := 1; i <= n; i++ {
		p := skus[i%len(skus)]
		fmt.Fprintf(w, "%s,%s,%s,%s,%s\n", orderID(i), customerID(i), p.sku, at.Format(time.RFC3339), p.price)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeCustomers writes n customers who all like trousers in size 50 and consent to marketing;
// a quarter of them read Dutch, so both templates are rendered.
func writeCustomers(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,name,email,locale,timezone,colors,sizes,categories,consent")
	for i := 1; i <= n; i++ {
		id := customerID(i)
		locale, tz := "en", "America/New_York"
		if i%4 == 0 {
			locale, tz = "nl", "Europe/Amsterdam"
		}
		fmt.Fprintf(w, "%s,Customer %d,%s@example.com,%s,%s,blue;grey,50,%s,true\n", id, i, id, locale, tz, benchCategory)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
