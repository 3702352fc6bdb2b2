package shopify_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/shopify"
)

// A variant whose picture Tailor cannot use (here protocol-relative, as older Shopify API versions
// write src) loses only its picture: its stock is still set, so the restock it starts still goes out.
func TestUnusablePictureKeepsTheStock(t *testing.T) {
	ev, del := newFakeEvents("TR-BLUE-50"), newFakeDeliveries()
	h := newHandler(t, ev, del, shopify.Config{})
	body := []byte(`{"id": 7, "image": {"id": 1, "src": "//cdn.shopify.com/s/files/1/classic-trousers.jpg"},
		"variants": [{"id": 70, "sku": "TR-BLUE-50", "inventory_item_id": 700, "inventory_quantity": 4}]}`)

	rec := deliver(h, shopify.TopicProductUpdated, "prod-pic", body)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, []shopify.StockChange{{SKU: "TR-BLUE-50", Stock: 4, At: received}}, ev.stock,
		"the stock of a variant with an unusable picture")
	require.Empty(t, ev.pictures, "the unusable picture is not stored")
	require.Len(t, del.handled["prod-pic"].Skipped, 1)
	require.Contains(t, del.handled["prod-pic"].Skipped[0], "product 7 variant TR-BLUE-50: picture not used:")
}
