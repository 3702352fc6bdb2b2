package store_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

func TestAllProductsOldestFirst(t *testing.T) {
	b := setup(t)
	all, err := b.s.AllProducts(b.ctx)
	require.NoError(t, err)
	require.NotNil(t, all, "an empty catalogue is an empty list")
	require.Empty(t, all)

	b.importProducts(t, productsCSV)
	b.importProducts(t, `sku,product,name,category,color,size,price,stock,collections
JK-NVY-50,jacket,Jacket,jackets,navy,50,199,2,
`)
	all, err = b.s.AllProducts(b.ctx)
	require.NoError(t, err)
	var skus []string
	for _, p := range all {
		skus = append(skus, p.SKU)
	}
	// One import shares a created_at, so within it the SKUs descend; the later import is newer.
	require.Equal(t, []string{"TR-GRY-32", "TR-BLU-34", "TR-BLU-32", "SH-WHT-M", "JK-NVY-50"}, skus,
		"every product, out of stock too, oldest first")
	require.Equal(t, lifecycle.Product{SKU: "TR-BLU-32", Product: "trousers-chino", Name: "Chino", Category: "trousers",
		Color: "blue", Size: "32", PriceCents: 7995, Stock: 3, Collections: []string{"Summer 2025", "basics"}}, all[2])

	// Read back to front, the in-stock products are exactly what Products lists, in its order.
	var inStock []lifecycle.Product
	for _, p := range slices.Backward(all) {
		if p.Stock > 0 {
			inStock = append(inStock, p)
		}
	}
	newest, err := b.s.Products(b.ctx, lifecycle.ProductQuery{Limit: 100})
	require.NoError(t, err)
	require.Equal(t, newest, inStock)
	require.Equal(t, 5, b.count(t, "products"), "AllProducts only reads")
}

// A products import reports the SKUs it brought back in stock: existing, at 0 or less before,
// above 0 after; never a new SKU, never one whose stock did not rise from 0.
func TestImportProductsBackInStock(t *testing.T) {
	b := setup(t)
	b.importProducts(t, productsCSV) // TR-GRY-32 at 0, the others in stock
	_, err := b.db.Exec(b.ctx, `UPDATE products SET stock = 0 WHERE sku = 'SH-WHT-M'`)
	require.NoError(t, err)

	const header = "sku,product,name,category,color,size,price,stock,collections\n"
	row := map[string]string{
		"TR-BLU-32": "TR-BLU-32,trousers-chino,Chino,trousers,blue,32,79.95,%d,",
		"TR-GRY-32": "TR-GRY-32,trousers-chino,Chino,trousers,grey,32,79.95,%d,",
		"SH-WHT-M":  "SH-WHT-M,shirt-oxford,Oxford shirt,shirts,white,M,49,%d,",
		"JK-NVY-50": "JK-NVY-50,jacket,Jacket,jackets,navy,50,199,%d,",
	}
	file := func(stock map[string]int) string {
		var sb strings.Builder
		sb.WriteString(header)
		for _, sku := range slices.Sorted(maps.Keys(stock)) {
			fmt.Fprintf(&sb, row[sku]+"\n", stock[sku])
		}
		return sb.String()
	}
	steps := []struct {
		name  string
		stock map[string]int
		back  []string
	}{
		{"two from 0; a new SKU and one in stock already are not back",
			map[string]int{"TR-GRY-32": 4, "SH-WHT-M": 1, "JK-NVY-50": 2, "TR-BLU-32": 9}, []string{"SH-WHT-M", "TR-GRY-32"}},
		{"the same file again", map[string]int{"TR-GRY-32": 4, "SH-WHT-M": 1, "JK-NVY-50": 2, "TR-BLU-32": 9}, nil},
		{"sold out", map[string]int{"TR-GRY-32": 0}, nil},
		{"back once more", map[string]int{"TR-GRY-32": 1}, []string{"TR-GRY-32"}},
	}
	for _, step := range steps {
		n, back, err := b.s.ImportProductsBackInStock(b.ctx, strings.NewReader(file(step.stock)))
		require.NoError(t, err, step.name)
		require.Equal(t, len(step.stock), n, step.name)
		var skus []string
		for _, p := range back {
			skus = append(skus, p.SKU)
			require.Equal(t, step.stock[p.SKU], p.Stock, "%s: %s is returned as it is now", step.name, p.SKU)
		}
		require.Equal(t, step.back, skus, "%s: back in stock after importing %v", step.name, step.stock)
	}

	// A file with a bad row writes nothing and reports nothing back in stock.
	_, back, err := b.s.ImportProductsBackInStock(b.ctx, strings.NewReader(header+
		"TR-GRY-32,trousers-chino,Chino,trousers,grey,32,79.95,0,\nSH-WHT-M,shirt-oxford,Oxford shirt,shirts,white,M,49,-x,\n"))
	require.Error(t, err)
	require.Empty(t, back)
	grey, err := b.s.Product(b.ctx, "TR-GRY-32")
	require.NoError(t, err)
	require.Equal(t, 1, grey.Stock, "nothing from a file with a bad row is imported")
}

func TestSetStock(t *testing.T) {
	b := setup(t)
	b.importProducts(t, productsCSV) // TR-GRY-32 at 0
	for _, step := range []struct {
		sku   string
		stock int
		back  bool
	}{
		{"TR-GRY-32", 3, true},
		{"TR-GRY-32", 3, false},  // the same count again: no rise
		{"TR-GRY-32", 5, false},  // in stock already
		{"TR-GRY-32", -1, false}, // oversold in the shop: kept as 0
		{"TR-GRY-32", 2, true},
		{"TR-BLU-32", 0, false},
	} {
		p, back, err := b.s.SetStock(b.ctx, step.sku, step.stock)
		require.NoError(t, err, "set %s to %d", step.sku, step.stock)
		require.Equal(t, max(step.stock, 0), p.Stock, "set %s to %d", step.sku, step.stock)
		require.Equal(t, step.back, back, "set %s to %d: back in stock?", step.sku, step.stock)
	}
	_, _, err := b.s.SetStock(b.ctx, "NOPE", 1)
	require.ErrorIs(t, err, lifecycle.ErrNotFound)
}
