package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/api"
	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/metrics"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/workflows"
)

const testAPIToken = "5d0e9a4c7b2f81e3a6c94d1f0b7e2a58" // openssl rand -hex 16

type noEvents struct{}

func (noEvents) Order(context.Context, api.Order) error       { return nil }
func (noEvents) Stock(context.Context, api.Stock) error       { return nil }
func (noEvents) Usage(context.Context, api.Usage) error       { return nil }
func (noEvents) Customer(context.Context, api.Customer) error { return nil }
func (noEvents) Consent(context.Context, api.Consent) error   { return nil }
func (noEvents) Deliver(context.Context, []string)            {}

type noLedger struct{}

func (noLedger) ClaimAPIEvent(_ context.Context, _, _, _, fp string, _ time.Duration) (store.APIEvent, error) {
	return store.APIEvent{Claimed: true, Fingerprint: fp}, nil
}
func (noLedger) FinishAPIEvent(context.Context, string, []byte) error { return nil }
func (noLedger) ReleaseAPIEvent(context.Context, string) error        { return nil }

// TestAPIIsOnlyOnHTTPAddrWithAToken builds both listeners' handlers as start() does: with
// API_TOKENS the API is on HTTP_ADDR, behind the token, and never on OPS_ADDR; without, nowhere.
func TestAPIIsOnlyOnHTTPAddrWithAToken(t *testing.T) {
	for _, tokens := range []string{testAPIToken, ""} {
		env := map[string]string{"LINK_SECRET": testLinkSecret, "API_TOKENS": tokens}
		cfg, err := config.LoadWorker(func(k string) string { return env[k] })
		require.NoError(t, err)
		logger := slog.New(slog.DiscardHandler)
		h, err := apiRoute(cfg.API, noEvents{}, noLedger{}, logger)
		require.NoError(t, err)
		m, err := metrics.New()
		require.NoError(t, err)
		t.Cleanup(func() { _ = m.Close() })
		public, operator := handlers(&dependencies{metrics: m, api: h}, nil, nil, config.WebhookConfig{}, cfg.Codec, cfg.HTTP, logger)

		do := func(h http.Handler, method, path, token string) int {
			req := httptest.NewRequest(method, path, strings.NewReader(`{"events":[]}`))
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Code
		}
		for _, p := range []struct{ method, path string }{{"POST", api.EventsPath}, {"GET", api.OpenAPIPath}} {
			if tokens == "" {
				assert.Contains(t, []int{404, 405}, do(public, p.method, p.path, testAPIToken), "without API_TOKENS: %s %s on HTTP_ADDR", p.method, p.path)
			} else {
				assert.Equal(t, 401, do(public, p.method, p.path, ""), "%s %s on HTTP_ADDR without a token", p.method, p.path)
				assert.Equal(t, 200, do(public, p.method, p.path, testAPIToken), "%s %s on HTTP_ADDR with the token", p.method, p.path)
			}
			assert.Contains(t, []int{404, 405}, do(operator, p.method, p.path, testAPIToken), "API_TOKENS=%q: %s %s on OPS_ADDR", tokens != "", p.method, p.path)
		}
	}
}

// signalled is one signal the adapter sent.
type signalled struct {
	customerID, name string
	payload          any
}

// recordingLifecycle records the signals the event layer delivers; it refuses consent signals,
// as an unreachable Temporal would, so they stay owed.
type recordingLifecycle struct{ sent []signalled }

func (l *recordingLifecycle) Signal(_ context.Context, id, name string, p any) error {
	if name == workflows.SignalConsent {
		return errors.New("temporal unreachable") // left to the worker's relay, not the event's failure
	}
	l.sent = append(l.sent, signalled{id, name, p})
	return nil
}

// TestAPIEventsAdapter applies each event type through the adapter over the event layer and the
// store.
func TestAPIEventsAdapter(t *testing.T) {
	st, dbURL := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportProducts(ctx, strings.NewReader("sku,product,name,category,color,size,price,stock,collections\n"+
		"CH-NAVY-M,chino,Chino,trousers,navy,M,79.95,1,\nCH-BLUE-M,chino,Chino,trousers,blue,M,79.95,2,\n"))
	require.NoError(t, err)
	lc := &recordingLifecycle{}
	logger := slog.New(slog.DiscardHandler)
	e := &apiEvents{
		store:  st,
		events: events.New(st, lc, nil),
		stock:  &stockLevels{store: st, now: time.Now, logger: logger}, // no SKU comes back from 0 here: no campaign
		logger: logger,
	}
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

	paid := int64(6995)
	order := api.Order{OrderID: "1001", CustomerID: "c1", OrderedAt: at, Lines: []api.OrderLine{{SKU: "CH-NAVY-M", PriceCents: &paid, WantedSize: "L"}, {SKU: "CH-BLUE-M", WantedColor: "green"}}}
	var rejected *api.RejectedError
	require.ErrorAs(t, e.Order(ctx, order), &rejected, "order of an unknown customer")
	assert.Equal(t, "customer_id", rejected.Field)

	yes := true
	require.NoError(t, e.Customer(ctx, api.Customer{CustomerID: "c1", Name: "Ann", Email: "ann@example.com", Locale: "nl", Timezone: "Europe/Amsterdam", Colors: []string{"navy"}, MarketingConsent: &yes}))
	c, err := st.Customer(ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, "ann@example.com", c.Email)
	assert.True(t, c.MarketingConsent, "customer event with marketing_consent true")

	bad := order
	bad.Lines = append([]api.OrderLine{}, order.Lines...)
	bad.Lines[1].SKU = "NOPE"
	require.ErrorAs(t, e.Order(ctx, bad), &rejected, "order with an unknown SKU")
	assert.Equal(t, "lines[1].sku", rejected.Field)
	assert.Empty(t, lc.sent, "an order with an unknown SKU signals nothing")

	require.NoError(t, e.Order(ctx, order))
	e.Deliver(ctx, []string{"c1"}) // as the handler does once the batch's events are applied
	require.Len(t, lc.sent, 2)
	assert.Equal(t, "c1", lc.sent[1].customerID)
	assert.Equal(t, workflows.SignalPurchase, lc.sent[1].name)
	wishes, err := st.OpenWishes(ctx, "chino", "green", "m", at.Add(-time.Hour))
	require.NoError(t, err)
	assert.Len(t, wishes, 1, "the wanted colour opened a wish")
	db, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer db.Close(ctx)
	var price *int64
	var size string
	require.NoError(t, db.QueryRow(ctx, `SELECT price_cents, wanted_size FROM purchases WHERE id = '1001-1'`).Scan(&price, &size))
	assert.Equal(t, &paid, price, "line 1's price_cents kept with its purchase")
	assert.Equal(t, "l", size, "line 1's wanted_size kept with its purchase, normalised")
	require.NoError(t, e.Order(ctx, order), "the same order again")
	e.Deliver(ctx, []string{"c1"})
	assert.Len(t, lc.sent, 2, "the same order again signals nothing: idempotent by purchase id")

	require.NoError(t, e.Stock(ctx, api.Stock{SKU: "CH-NAVY-M", Stock: 7}))
	p, err := st.Product(ctx, "CH-NAVY-M")
	require.NoError(t, err)
	assert.Equal(t, 7, p.Stock)
	require.NoError(t, e.Stock(ctx, api.Stock{SKU: "CH-NAVY-M", Stock: 3}), "a lower level counted")
	p, err = st.Product(ctx, "CH-NAVY-M")
	require.NoError(t, err)
	assert.Equal(t, 3, p.Stock)
	require.ErrorAs(t, e.Stock(ctx, api.Stock{SKU: "NOPE", Stock: 3}), &rejected)

	// A stock event may bring the product's picture and page; left out they stay, "" clears.
	picture, page, empty := "https://cdn.shop.example/ch-navy-m.jpg", "https://shop.example/p/chino", ""
	require.NoError(t, e.Stock(ctx, api.Stock{SKU: "CH-NAVY-M", Stock: 3, ImageURL: &picture, URL: &page}))
	require.NoError(t, e.Stock(ctx, api.Stock{SKU: "CH-NAVY-M", Stock: 4, URL: &empty}))
	p, err = st.Product(ctx, "CH-NAVY-M")
	require.NoError(t, err)
	assert.Equal(t, picture, p.ImageURL, "image_url left out by the second stock event: kept")
	assert.Empty(t, p.URL, "url cleared by the second stock event")

	require.NoError(t, e.Usage(ctx, api.Usage{CustomerID: "c1", Metric: "data_mb", Used: 10, Limit: 100, At: at}))
	e.Deliver(ctx, []string{"c1"})
	assert.Equal(t, workflows.SignalUsage, lc.sent[len(lc.sent)-1].name)

	require.NoError(t, e.Consent(ctx, api.Consent{CustomerID: "c1", Granted: false, Source: "api"}), "a failed delivery is not the event's failure")
	c, err = st.Customer(ctx, "c1")
	require.NoError(t, err)
	assert.False(t, c.MarketingConsent, "after the consent event withdrawing it")
	owed, _, err := st.OwedSignals(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, owed, 1, "the consent signal stays owed for the worker's relay")
	require.ErrorAs(t, e.Consent(ctx, api.Consent{CustomerID: "ghost", Granted: true, Source: "api"}), &rejected)

	// A customer erased with starter forget is refused for good (422), not failed (503, retried
	// without end).
	_, err = st.Forget(ctx, "c1")
	require.NoError(t, err)
	require.ErrorAs(t, e.Customer(ctx, api.Customer{CustomerID: "c1", Name: "Ann", Email: "ann@example.com", Locale: "nl", Timezone: "Europe/Amsterdam"}), &rejected,
		"a customer event for a forgotten customer")
	assert.Equal(t, "customer_id", rejected.Field)
	assert.Contains(t, rejected.Problem, "starter forget")
}
