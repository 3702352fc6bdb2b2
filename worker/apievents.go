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
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
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

// apiEvents applies the API's events with what exists today: the store's functions and the
// lifecycle client's SignalWithStart, the way the starter's commands do.
//
// TEMPORARY: it stands in for internal/events (issue #15, item 1), which writes the change and the
// signal it owes in one transaction; replace it with that layer at merge. Until then an order's
// signal lost in a crash after its purchase is recorded is delivered only when the batch is
// retried (the event id is not kept while a signal fails, so a retry does it).
type apiEvents struct {
	store *store.DB
	// signal delivers one signal to a customer's workflow (lifecycleclient.Client.Signal).
	signal func(ctx context.Context, customerID, signalName string, payload any) error
	// relayConsent delivers the consent signals owed to customerIDs' workflows
	// (lifecycleclient.Client.RelayConsent over the store).
	relayConsent func(ctx context.Context, customerIDs []string) error
	logger       *slog.Logger
}

var _ api.Events = (*apiEvents)(nil)

// rejectNotFound turns an unknown id into a rejection of field; other errors pass unchanged.
func rejectNotFound(err error, field, what, id string) error {
	if errors.Is(err, lifecycle.ErrNotFound) {
		return &api.RejectedError{Field: field, Problem: fmt.Sprintf("%q: no such %s", id, what)}
	}
	return err
}

// Order records each line as a purchase (store.RecordPurchase, idempotent by purchase id) and
// signals it to the customer's workflow, as `starter purchase` does. Every SKU and the customer are
// checked first, so an order with an unknown one records nothing. Price and wanted size are not
// stored yet (the store has no column for them).
func (e *apiEvents) Order(ctx context.Context, o api.Order) error {
	if _, err := e.store.Customer(ctx, o.CustomerID); err != nil {
		return rejectNotFound(err, "customer_id", "customer (send a customer event first)", o.CustomerID)
	}
	for i, l := range o.Lines {
		if _, err := e.store.Product(ctx, l.SKU); err != nil {
			return rejectNotFound(err, fmt.Sprintf("lines[%d].sku", i), "product (import it first)", l.SKU)
		}
	}
	for i, l := range o.Lines {
		id := o.PurchaseID(i)
		if _, _, err := e.store.RecordPurchase(ctx, lifecycle.Purchase{ID: id, CustomerID: o.CustomerID, SKU: l.SKU, WantedColor: l.WantedColor, At: o.OrderedAt}); err != nil {
			return fmt.Errorf("record purchase %s: %w", id, err)
		}
		sig := workflows.PurchaseSignal{PurchaseID: id, SKU: l.SKU, WantedColor: l.WantedColor, At: o.OrderedAt}
		if err := e.signal(ctx, o.CustomerID, workflows.SignalPurchase, sig); err != nil {
			return err
		}
	}
	return nil
}

// Stock sets the SKU's stock to the level counted. The store can only add stock
// (store.Restock), so a lower level is refused until the event layer can set it; a restock from 0
// does not start the restock campaign here (`starter restock` does; item 3 of issue #15).
func (e *apiEvents) Stock(ctx context.Context, s api.Stock) error {
	p, err := e.store.Product(ctx, s.SKU)
	if err != nil {
		return rejectNotFound(err, "sku", "product (import it first)", s.SKU)
	}
	switch delta := s.Stock - p.Stock; {
	case delta > 0:
		if _, err := e.store.Restock(ctx, s.SKU, delta); err != nil {
			return fmt.Errorf("restock %s: %w", s.SKU, err)
		}
	case delta < 0:
		return &api.RejectedError{Field: "stock", Problem: fmt.Sprintf("%d: lower than the %d recorded; lowering stock through the API is not supported yet", s.Stock, p.Stock)}
	}
	return nil
}

// Usage sends the reading to the customer's workflow, as `starter usage` does (nothing is stored
// in PostgreSQL).
func (e *apiEvents) Usage(ctx context.Context, u api.Usage) error {
	if _, err := e.store.Customer(ctx, u.CustomerID); err != nil {
		return rejectNotFound(err, "customer_id", "customer (send a customer event first)", u.CustomerID)
	}
	r := lifecycle.UsageReading{Metric: u.Metric, Used: u.Used, Limit: u.Limit, At: u.At, ContractEndsAt: u.ContractEnds}
	return e.signal(ctx, u.CustomerID, workflows.SignalUsage, workflows.UsageSignal{Reading: r})
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
	_, changes, err := e.store.ImportCustomersWithConsentChanges(ctx, &buf)
	var importErr *store.ImportError
	if errors.As(err, &importErr) && len(importErr.Problems) > 0 {
		p := importErr.Problems[0]
		return &api.RejectedError{Field: p.Column, Problem: p.Message}
	}
	if err != nil {
		return err
	}
	if len(changes) > 0 {
		e.relay(ctx, c.CustomerID)
	}
	return nil
}

// Consent records the change and the signal it owes in one transaction (store.SetConsent), then
// delivers the signal.
func (e *apiEvents) Consent(ctx context.Context, c api.Consent) error {
	if err := e.store.SetConsent(ctx, c.CustomerID, c.Granted, c.Source); err != nil {
		return rejectNotFound(err, "customer_id", "customer (send a customer event first)", c.CustomerID)
	}
	e.relay(ctx, c.CustomerID)
	return nil
}

// relay delivers the consent signal owed to customerID. A failure is not the event's: the change
// is committed with its signal owed, and the worker's relay delivers it within 30 s.
func (e *apiEvents) relay(ctx context.Context, customerID string) {
	if err := e.relayConsent(ctx, []string{customerID}); err != nil {
		e.logger.Warn("api: consent saved, its signal is left to the relay", "customer_id", customerID, "error", err.Error())
	}
}
