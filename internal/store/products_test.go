package store_test

import (
	"slices"
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
