package store_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// A products file's optional image_url and url reach the product as stored; an empty one clears
// it, and a file without the columns keeps what was there.
func TestImportProductMedia(t *testing.T) {
	b := setup(t)
	b.importProducts(t, `sku,product,name,category,color,size,price,stock,collections,image_url,url
TR-GRY-50,trousers,Classic trousers,trousers,grey,50,89,3,,https://cdn.shop.example/tr-grey.jpg,https://shop.example/p/classic-trousers?color=grey
TR-BLU-50,trousers,Classic trousers,trousers,blue,50,89,3,,,
`)
	grey, err := b.s.Product(b.ctx, "TR-GRY-50")
	require.NoError(t, err)
	require.Equal(t, "https://cdn.shop.example/tr-grey.jpg", grey.ImageURL, "image_url of TR-GRY-50")
	require.Equal(t, "https://shop.example/p/classic-trousers?color=grey", grey.URL, "url of TR-GRY-50")
	blue, err := b.s.Product(b.ctx, "TR-BLU-50")
	require.NoError(t, err)
	require.Empty(t, blue.ImageURL+blue.URL, "TR-BLU-50 has empty image_url and url")

	products, err := b.s.Products(b.ctx, lifecycle.ProductQuery{Colors: []string{"grey"}})
	require.NoError(t, err)
	require.Len(t, products, 1)
	require.Equal(t, grey, products[0], "Products reads the media too")

	// A file without the columns (a stock update from an older export) keeps them.
	b.importProducts(t, `sku,product,name,category,color,size,price,stock,collections
TR-GRY-50,trousers,Classic trousers,trousers,grey,50,89,7,
`)
	again, err := b.s.Product(b.ctx, "TR-GRY-50")
	require.NoError(t, err)
	require.Equal(t, 7, again.Stock)
	require.Equal(t, grey.ImageURL, again.ImageURL, "a file without image_url keeps TR-GRY-50's picture")
	require.Equal(t, grey.URL, again.URL, "a file without url keeps TR-GRY-50's page")

	// An empty value in the column clears it.
	b.importProducts(t, `sku,product,name,category,color,size,price,stock,collections,url
TR-GRY-50,trousers,Classic trousers,trousers,grey,50,89,7,,
`)
	cleared, err := b.s.Product(b.ctx, "TR-GRY-50")
	require.NoError(t, err)
	require.Equal(t, grey.ImageURL, cleared.ImageURL, "image_url absent: kept")
	require.Empty(t, cleared.URL, "url empty: cleared")
}

func TestImportProductMediaProblems(t *testing.T) {
	const header = "sku,product,name,category,color,size,price,stock,collections,image_url,url\n"
	const good = "A1,tee,Tee,shirts,white,M,19.95,1,,https://cdn.example/a1.jpg,https://shop.example/a1\n"
	tests := []refusedImport{
		{"relative image_url", header + good + "A2,tee,Tee,shirts,black,M,19.95,1,,/img/a2.jpg,\n",
			[]store.RowProblem{{3, "image_url", `"/img/a2.jpg": must be an absolute URL starting with https:// (or http://)`}}},
		{"javascript url", header + good + "A2,tee,Tee,shirts,black,M,19.95,1,,,javascript:alert(1)\n",
			[]store.RowProblem{{3, "url", `"javascript:alert(1)": must be an absolute URL starting with https:// (or http://)`}}},
		{"url without a host", header + good + "A2,tee,Tee,shirts,black,M,19.95,1,,,https:///a2\n",
			[]store.RowProblem{{3, "url", `"https:///a2": has no host; write it like https://shop.example.com/trousers.jpg`}}},
		{"url with a password", header + good + "A2,tee,Tee,shirts,black,M,19.95,1,,,https://me:secret@shop.example/a2\n",
			[]store.RowProblem{{3, "url", `"https://me:secret@shop.example/a2": must not carry a user name or password`}}},
		{"image_url with a space", header + good + "A2,tee,Tee,shirts,black,M,19.95,1,,https://cdn.example/a 2.jpg,\n",
			[]store.RowProblem{{3, "image_url", `"https://cdn.example/a 2.jpg": must not contain spaces (write them as %20)`}}},
		{"image_url too long", header + good + "A2,tee,Tee,shirts,black,M,19.95,1,,https://cdn.example/" + strings.Repeat("a", 2040) + ",\n",
			[]store.RowProblem{{3, "image_url", `"https://cdn.example/aaaaaaaaaaaaaaaaaaaa"...: is 2060 bytes, at most 2048 are allowed`}}},
	}
	b := setup(t)
	b.requireRefused(t, tests, b.s.ImportProducts, "products")
}
