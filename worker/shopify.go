package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/campaigns"
	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/shopify"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// shopifyHandler is POST /webhooks/shopify, or nil when SHOPIFY_WEBHOOK_SECRET is unset.
func shopifyHandler(cfg config.ShopifyConfig, st *store.DB, tc client.Client, lc *lifecycleclient.Client, policy lifecycle.Policy, logger *slog.Logger) http.Handler {
	if !cfg.Enabled() {
		logger.Info("no SHOPIFY_WEBHOOK_SECRET: the Shopify webhook endpoint is off")
		return nil
	}
	logger = logger.With("component", "shopify-webhook")
	events := &shopifyEvents{store: st, temporal: tc, lifecycle: lc, restockWindow: policy.RestockWindow, now: time.Now, logger: logger}
	return shopify.New(shopify.Config{Secret: cfg.Secret}, shopify.Deps{Events: events, Deliveries: st, Logger: logger})
}

// newShopifyCustomerTimezone is the time zone of a customer a Shopify order creates: an order
// names none. Quiet hours for such a customer follow UTC until an import states theirs.
const newShopifyCustomerTimezone = "UTC"

// shopifyEvents is a TEMPORARY adapter from the Shopify webhook to what exists today, until the
// event layer (internal/events) replaces it; every method says what it stands in for.
type shopifyEvents struct {
	store         *store.DB
	temporal      client.Client
	lifecycle     *lifecycleclient.Client
	restockWindow time.Duration
	now           func() time.Time
	logger        *slog.Logger
}

// UpsertCustomer writes the customer through the customers import (one CSV row, so it gets the
// import's checks and consent outbox), keeping a known customer's time zone, and name and locale
// when the order states none; then it relays the consent signal the import owed, if any (the
// worker's consent relay retries it when this fails).
func (e *shopifyEvents) UpsertCustomer(ctx context.Context, c shopify.Customer) error {
	existing, err := e.store.Customer(ctx, c.ID)
	known := err == nil
	if err != nil && !errors.Is(err, lifecycle.ErrNotFound) {
		return err
	}
	row := map[string]string{"id": c.ID, "name": c.Name, "email": c.Email, "locale": c.Locale, "timezone": newShopifyCustomerTimezone}
	if known {
		row["timezone"] = existing.Timezone
		if c.Name == "" {
			row["name"] = existing.Name
		}
		if c.Locale == "" {
			row["locale"] = existing.Locale
		}
	}
	if row["locale"] == "" {
		row["locale"] = lifecycle.LocaleEnglish
	}
	switch {
	case c.Consent == shopify.ConsentGranted:
		row["consent"] = "true"
	case c.Consent == shopify.ConsentWithdrawn, !known:
		// A customer Shopify did not say subscribed is not subscribed here either (the import's
		// default for a new customer is consent).
		row["consent"] = "false"
	}
	columns := []string{"id", "name", "email", "locale", "timezone", "colors", "sizes", "consent"}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(columns)
	values := make([]string, len(columns))
	for i, col := range columns {
		values[i] = row[col]
	}
	_ = w.Write(values)
	w.Flush()
	_, changes, err := e.store.ImportCustomersWithConsentChanges(ctx, &buf)
	var bad *store.ImportError
	if errors.As(err, &bad) {
		return fmt.Errorf("customer %s: %w: %v", c.ID, shopify.ErrRefused, err)
	}
	if err != nil {
		return err
	}
	if len(changes) > 0 {
		if _, err := e.lifecycle.RelayConsent(ctx, e.store, []string{c.ID}); err != nil {
			e.logger.Warn("consent change saved; its signal is owed and the consent relay retries it", "customer_id", c.ID, "error", err.Error())
		}
	}
	return nil
}

// Purchase records the purchase in PostgreSQL, then signals it to the customer's workflow, as
// `starter purchase` does (both idempotent on the purchase id).
func (e *shopifyEvents) Purchase(ctx context.Context, p shopify.Purchase) error {
	if _, _, err := e.store.RecordPurchase(ctx, lifecycle.Purchase{ID: p.ID, CustomerID: p.CustomerID, SKU: p.SKU, At: p.At}); err != nil {
		return err
	}
	return e.lifecycle.Signal(ctx, p.CustomerID, workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: p.ID, SKU: p.SKU, At: p.At})
}

// StockChange sets the stock; when that brings the SKU back in stock it starts the restock
// campaign as `starter restock` and a products import do (internal/campaigns). A campaign that
// exists already is fine.
func (e *shopifyEvents) StockChange(ctx context.Context, s shopify.StockChange) error {
	p, back, err := e.store.SetStock(ctx, s.SKU, s.Stock)
	if err != nil || !back {
		return err
	}
	now := e.now()
	id, err := campaigns.Start(ctx, e.temporal, campaigns.Restock(p, now, e.restockWindow), now)
	if err != nil && !campaigns.AlreadyExists(err) {
		return fmt.Errorf("%s back in stock (%d in stock), but its restock campaign did not start: %w", p.SKU, p.Stock, err)
	}
	e.logger.Info("back in stock: restock campaign started", "sku", p.SKU, "stock", p.Stock, "campaign", id)
	return nil
}
