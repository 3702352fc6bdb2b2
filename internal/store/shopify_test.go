package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

func TestShopifyDeliveriesAndInventoryItems(t *testing.T) {
	b := setup(t)
	at := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	handled, err := b.s.ShopifyDeliveryHandled(b.ctx, "w-1")
	require.NoError(t, err)
	require.False(t, handled)

	d := store.ShopifyDelivery{WebhookID: "w-1", Topic: "orders/create", ShopDomain: "x.myshopify.com", Skipped: []string{"line 2: unknown SKU \"A\x00\""}, ReceivedAt: at}
	isNew, err := b.s.RecordShopifyDelivery(b.ctx, d)
	require.NoError(t, err)
	require.True(t, isNew)
	isNew, err = b.s.RecordShopifyDelivery(b.ctx, store.ShopifyDelivery{WebhookID: "w-1", Topic: "other", ReceivedAt: at})
	require.NoError(t, err)
	require.False(t, isNew, "a retry's record keeps the first")
	handled, err = b.s.ShopifyDeliveryHandled(b.ctx, "w-1")
	require.NoError(t, err)
	require.True(t, handled)
	all, err := b.s.ShopifyDeliveries(b.ctx)
	require.NoError(t, err)
	d.Skipped = []string{"line 2: unknown SKU \"A\uFFFD\""} // a NUL from the payload is stored replaced
	require.Len(t, all, 1)
	require.True(t, at.Equal(all[0].ReceivedAt), "received at %s", all[0].ReceivedAt)
	all[0].ReceivedAt = at
	require.Equal(t, d, all[0])

	require.NoError(t, b.s.RememberShopifyInventoryItems(b.ctx, map[int64]string{39072856: "TR-GREY-50", 49148385: "TR-BLUE-50"}))
	require.NoError(t, b.s.RememberShopifyInventoryItems(b.ctx, map[int64]string{39072856: "TR-GREY-52"}))
	for item, want := range map[int64]string{39072856: "TR-GREY-52", 49148385: "TR-BLUE-50"} {
		sku, err := b.s.ShopifyInventoryItemSKU(b.ctx, item)
		require.NoError(t, err, "item %d", item)
		require.Equal(t, want, sku, "item %d", item)
	}
	_, err = b.s.ShopifyInventoryItemSKU(b.ctx, 1)
	require.ErrorIs(t, err, lifecycle.ErrNotFound)
}
