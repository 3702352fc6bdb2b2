package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/tailorhq/tailor/internal/api"
	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// apiRoute is the HTTP API's handler, mounted at api.Prefix on HTTP_ADDR; nil when API_TOKENS is
// unset. api.New itself refuses to serve without tokens.
func apiRoute(c config.APIConfig, events api.Events, ledger api.Ledger, logger *slog.Logger) (http.Handler, error) {
	if !c.Enabled() {
		logger.Info("no API_TOKENS: the HTTP API (/api/v1/) is off")
		return nil, nil
	}
	return api.New(api.Config{Tokens: c.Tokens}, api.Deps{Events: events, Ledger: ledger, Logger: logger.With("component", "api")})
}

// apiEvents applies the API's events through the event layer (internal/events): each change and
// the signal it owes commit together, and a signal that cannot be delivered at once stays owed for
// the worker's relay. It adds what the API needs on top: unknown customers and SKUs become 422s
// naming the field, and stock levels go through stockLevels (which starts a restock campaign).
type apiEvents struct {
	store  *store.DB
	events *events.Service
	stock  *stockLevels
	logger *slog.Logger
}

var _ api.Events = (*apiEvents)(nil)

// rejectNotFound turns an unknown id into a rejection of field; other errors pass unchanged.
func rejectNotFound(err error, field, what, id string) error {
	if errors.Is(err, lifecycle.ErrNotFound) {
		return &api.RejectedError{Field: field, Problem: fmt.Sprintf("%q: no such %s", id, what)}
	}
	return err
}

// Order records each line as a purchase (purchase id <order_id>-<n>, idempotent) with the signal
// it owes, in one transaction for the whole order; Deliver delivers them with the batch's. Every SKU and the customer are
// checked first, so an order with an unknown one records nothing. Each line's price and wanted size
// are stored with its purchase; the price is the revenue an attribution credits.
func (e *apiEvents) Order(ctx context.Context, o api.Order) error {
	if _, err := e.store.Customer(ctx, o.CustomerID); err != nil {
		return rejectNotFound(err, "customer_id", "customer (send a customer event first)", o.CustomerID)
	}
	for i, l := range o.Lines {
		if _, err := e.store.Product(ctx, l.SKU); err != nil {
			return rejectNotFound(err, fmt.Sprintf("lines[%d].sku", i), "product (import it first)", l.SKU)
		}
	}
	ps := make([]events.Purchase, len(o.Lines))
	for i, l := range o.Lines {
		ps[i] = events.Purchase{ID: o.PurchaseID(i), CustomerID: o.CustomerID, SKU: l.SKU, WantedColor: l.WantedColor,
			WantedSize: l.WantedSize, PriceCents: l.PriceCents, At: o.OrderedAt}
	}
	if _, err := e.events.RecordPurchases(ctx, ps); err != nil {
		return fmt.Errorf("record order %s: %w", o.OrderID, err)
	}
	return nil
}

// Stock sets the SKU's stock to the level counted; a SKU it brings back in stock starts its
// restock campaign, as a products import does.
func (e *apiEvents) Stock(ctx context.Context, s api.Stock) error {
	if err := e.stock.Set(ctx, s.SKU, s.Stock); err != nil {
		return rejectNotFound(err, "sku", "product (import it first)", s.SKU)
	}
	if err := e.stock.SetMedia(ctx, s.SKU, s.ImageURL, s.URL); err != nil {
		return rejectNotFound(err, "sku", "product (import it first)", s.SKU)
	}
	return nil
}

// Usage records the reading with the signal it owes (idempotent by customer, metric and time);
// Deliver delivers it with the batch's.
func (e *apiEvents) Usage(ctx context.Context, u api.Usage) error {
	if _, err := e.store.Customer(ctx, u.CustomerID); err != nil {
		return rejectNotFound(err, "customer_id", "customer (send a customer event first)", u.CustomerID)
	}
	r := lifecycle.UsageReading{Metric: u.Metric, Used: u.Used, Limit: u.Limit, At: u.At, ContractEndsAt: u.ContractEnds}
	_, err := e.events.RecordUsages(ctx, []events.Usage{{CustomerID: u.CustomerID, Reading: r}})
	return err
}

// Customer upserts the customer through the customers import (one CSV row), which owes a consent
// signal for a changed consent in the same transaction; then it delivers it.
func (e *apiEvents) Customer(ctx context.Context, c api.Customer) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	consent := ""
	if c.MarketingConsent != nil {
		consent = strconv.FormatBool(*c.MarketingConsent)
	}
	_ = w.Write([]string{"id", "name", "email", "locale", "timezone", "colors", "sizes", "categories", "consent"})
	_ = w.Write([]string{c.CustomerID, c.Name, c.Email, c.Locale, c.Timezone,
		strings.Join(c.Colors, ";"), strings.Join(c.Sizes, ";"), strings.Join(c.Categories, ";"), consent})
	w.Flush()
	_, _, _, delivErr, err := e.events.ImportCustomers(ctx, &buf)
	var importErr *store.ImportError
	if errors.As(err, &importErr) && len(importErr.Problems) > 0 {
		p := importErr.Problems[0]
		return &api.RejectedError{Field: p.Column, Problem: p.Message}
	}
	if errors.Is(err, lifecycle.ErrForgotten) {
		// Refused for good: a failure here would have the shop's system retry the batch forever.
		return &api.RejectedError{Field: "customer_id", Problem: "this customer was erased with starter forget and the id is not taken again; a customer who comes back gets a new id"}
	}
	if err != nil {
		return err
	}
	e.owed(events.Result{DeliveryError: delivErr}, c.CustomerID)
	return nil
}

// Consent records the change with the signal it owes and delivers it.
func (e *apiEvents) Consent(ctx context.Context, c api.Consent) error {
	res, err := e.events.Consent(ctx, events.Consent{CustomerID: c.CustomerID, Granted: c.Granted, Source: c.Source})
	if err != nil {
		return rejectNotFound(err, "customer_id", "customer (send a customer event first)", c.CustomerID)
	}
	e.owed(res, c.CustomerID)
	return nil
}

// apiDeliveryInFlight is how many deliveries one batch runs at once. The API handles a few batches
// at once (api.Config.MaxConcurrent), so the calls to Temporal are this times those at most.
const apiDeliveryInFlight = 4

// Deliver delivers what the batch's customers are owed, apiDeliveryInFlight at a time, each
// customer's signals in the order its events were applied. What is not delivered stays owed for
// the worker's relay.
func (e *apiEvents) Deliver(ctx context.Context, customerIDs []string) {
	if _, failed, err := e.events.DeliverOwed(ctx, customerIDs, apiDeliveryInFlight, nil); err != nil {
		e.logger.Warn("api: events recorded, their signals are left to the relay", "customers", len(customerIDs), "not_told", failed, "error", err.Error())
	}
}

// owed logs a signal left to the worker's relay. It is not the event's failure: the change is
// committed with its signal owed.
func (e *apiEvents) owed(r events.Result, customerID string) {
	if r.DeliveryError != nil {
		e.logger.Warn("api: event recorded, its signal is left to the relay", "customer_id", customerID, "error", r.DeliveryError.Error())
	}
}
