package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/campaigns"
	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/shopify"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/internal/temporaltest"
	"github.com/tailorhq/tailor/workflows"
)

// The Shopify endpoint is mounted only with SHOPIFY_WEBHOOK_SECRET.
func TestShopifyWebhookMountedOnlyWithSecret(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	off := shopifyHandler(config.ShopifyConfig{}, nil, nil, nil, logger)
	require.Nil(t, off)
	require.NotContains(t, publicRoutes(&dependencies{}, nil, config.WebhookConfig{}, logger), "POST /webhooks/shopify")

	on := shopifyHandler(config.ShopifyConfig{Secret: []byte("0123456789abcdef0123")}, nil, nil, nil, logger)
	require.NotNil(t, on)
	require.Contains(t, publicRoutes(&dependencies{shopify: on}, nil, config.WebhookConfig{}, logger), "POST /webhooks/shopify")
}

// The adapter over the event layer and stockLevels, end to end with PostgreSQL and a dev
// server: an order creates the customer and its purchase and starts the customer's workflow; a
// product update that brings a SKU back in stock starts its restock campaign.
func TestShopifyAdapter(t *testing.T) {
	srv := temporaltest.Start(t)
	st, dbURL := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportProducts(ctx, strings.NewReader(`sku,product,name,category,color,size,price,stock,collections
TR-BLUE-50,classic-trousers,Classic trousers,trousers,blue,50,89.00,5,
TR-GREY-50,classic-trousers,Classic trousers,trousers,grey,50,89.00,0,
`))
	require.NoError(t, err)
	secret := []byte("9f86d081884c7d659a2feaa0c55ad015")
	now := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	logger := slog.New(slog.DiscardHandler)
	adapter := &shopifyEvents{store: st, events: events.New(st, lifecycleclient.New(srv.Client), nil), logger: logger,
		stock: &stockLevels{store: st, temporal: srv.Client, restockWindow: lifecycle.DefaultPolicy().RestockWindow, now: func() time.Time { return now }, logger: logger}}
	h := shopify.New(shopify.Config{Secret: secret}, shopify.Deps{Events: adapter, Deliveries: st, Logger: logger})
	deliver := func(topic, id, file string) {
		t.Helper()
		body, err := os.ReadFile("../internal/shopify/testdata/" + file)
		require.NoError(t, err)
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader(body))
		req.Header.Set(shopify.HMACHeader, base64.StdEncoding.EncodeToString(m.Sum(nil)))
		req.Header.Set(shopify.TopicHeader, topic)
		req.Header.Set(shopify.WebhookIDHeader, id)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code, "%s %s: %s", topic, file, rec.Body.String())
	}

	deliver(shopify.TopicOrderCreated, "order-1", "orders_create.json")
	const customerID = "shopify-115310627314723954"
	c, err := st.Customer(ctx, customerID)
	require.NoError(t, err)
	require.Equal(t, lifecycle.Customer{ID: customerID, Name: "Jon Snow", Email: "jon@example.com", Locale: "nl", Timezone: "UTC", MarketingConsent: true}, c)
	buyers, err := st.CustomersWithPurchases(ctx)
	require.NoError(t, err)
	require.Contains(t, buyers, customerID)
	_, err = srv.Client.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID(customerID), "")
	require.NoError(t, err, "the purchase reached the customer's workflow")
	db, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer db.Close(ctx)
	var price *int64
	require.NoError(t, db.QueryRow(ctx, `SELECT price_cents FROM purchases WHERE id = 'shopify-820982911946154508-866550311766439020'`).Scan(&price))
	require.NotNil(t, price, "the line's price is kept with its purchase, so the report credits what was paid")
	require.Equal(t, int64(8900), *price)
	deliveries, err := st.ShopifyDeliveries(ctx)
	require.NoError(t, err)
	require.Len(t, deliveries, 1)
	require.True(t, slices.ContainsFunc(deliveries[0].Skipped, func(s string) bool { return strings.Contains(s, `unknown SKU "SU-GREY-50"`) }), "%q", deliveries[0].Skipped)

	deliver(shopify.TopicProductUpdated, "product-1", "products_update.json")
	grey, err := st.Product(ctx, "TR-GREY-50")
	require.NoError(t, err)
	require.Equal(t, 3, grey.Stock)
	id := workflows.CampaignWorkflowID(campaigns.Restock(grey, now, adapter.stock.restockWindow))
	desc, err := srv.Client.DescribeWorkflowExecution(ctx, id, "")
	require.NoError(t, err, "grey came back in stock: campaign %s", id)
	require.Equal(t, "Campaign", desc.GetWorkflowExecutionInfo().GetType().GetName())

	// The inventory level of grey's item (named by the product update) sets its stock.
	deliver(shopify.TopicInventoryUpdated, "inventory-1", "inventory_levels_update.json")
	grey, err = st.Product(ctx, "TR-GREY-50")
	require.NoError(t, err)
	require.Equal(t, 4, grey.Stock)
}

// An order of a customer erased with starter forget reaches the Shopify webhook as an error
// wrapping lifecycle.ErrForgotten, which it skips (internal/shopify) instead of failing for hours.
func TestShopifyAdapterRefusesAForgottenCustomer(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	adapter := &shopifyEvents{store: st, events: events.New(st, &recordingLifecycle{}, nil), logger: logger}
	c := shopify.Customer{ID: "shopify-42", Name: "Zoe Quist", Email: "zoe@example.org", Consent: shopify.ConsentGranted, Source: "shopify"}
	require.NoError(t, adapter.UpsertCustomer(ctx, c))
	_, err := st.Forget(ctx, c.ID)
	require.NoError(t, err)
	require.ErrorIs(t, adapter.UpsertCustomer(ctx, c), lifecycle.ErrForgotten)
}
