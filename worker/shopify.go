package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/shopify"
	"github.com/tailorhq/tailor/internal/store"
)

// shopifyHandler is POST /webhooks/shopify, or nil when SHOPIFY_WEBHOOK_SECRET is unset.
func shopifyHandler(cfg config.ShopifyConfig, st *store.DB, ev *events.Service, stock *stockLevels, logger *slog.Logger) http.Handler {
	if !cfg.Enabled() {
		logger.Info("no SHOPIFY_WEBHOOK_SECRET: the Shopify webhook endpoint is off")
		return nil
	}
	logger = logger.With("component", "shopify-webhook")
	adapter := &shopifyEvents{store: st, events: ev, stock: stock, logger: logger}
	return shopify.New(shopify.Config{Secret: cfg.Secret}, shopify.Deps{Events: adapter, Deliveries: st, Logger: logger})
}

// newShopifyCustomerTimezone is the time zone of a customer a Shopify order creates: an order
// names none. Quiet hours for such a customer follow UTC until an import states theirs.
const newShopifyCustomerTimezone = "UTC"

// shopifyEvents applies the Shopify webhook's events through the event layer (internal/events),
// adding what Shopify's data needs: a customer row built from an order, and stock levels through
// stockLevels.
type shopifyEvents struct {
	store  *store.DB
	events *events.Service
	stock  *stockLevels
	logger *slog.Logger
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
	_, _, _, delivErr, err := e.events.ImportCustomers(ctx, &buf)
	var bad *store.ImportError
	if errors.As(err, &bad) {
		return fmt.Errorf("customer %s: %w: %v", c.ID, shopify.ErrRefused, err)
	}
	if err != nil {
		return err
	}
	if delivErr != nil {
		e.logger.Warn("consent change saved; its signal is owed and the worker's relay delivers it", "customer_id", c.ID, "error", delivErr.Error())
	}
	return nil
}

// Purchase records the purchase with the signal it owes (idempotent by purchase id) and
// delivers it; a signal not delivered at once stays owed for the worker's relay.
func (e *shopifyEvents) Purchase(ctx context.Context, p shopify.Purchase) error {
	res, err := e.events.Purchase(ctx, events.Purchase{ID: p.ID, CustomerID: p.CustomerID, SKU: p.SKU, At: p.At, PriceCents: p.PriceCents})
	if err != nil {
		return err
	}
	if res.DeliveryError != nil {
		e.logger.Warn("purchase recorded; its signal is owed and the worker's relay delivers it", "customer_id", p.CustomerID, "purchase", p.ID, "error", res.DeliveryError.Error())
	}
	return nil
}

// ProductPicture sets the SKU's picture, keeping its page.
func (e *shopifyEvents) ProductPicture(ctx context.Context, sku, imageURL string) error {
	return e.stock.SetMedia(ctx, sku, &imageURL, nil)
}

// StockChange sets the stock (stockLevels: a SKU back in stock starts its restock campaign).
func (e *shopifyEvents) StockChange(ctx context.Context, s shopify.StockChange) error {
	return e.stock.Set(ctx, s.SKU, s.Stock)
}
