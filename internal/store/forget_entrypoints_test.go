package store_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/api"
	"github.com/tailorhq/tailor/internal/shopify"
)

// acceptingEvents is an event layer that takes every API event: what the API keeps of an event
// (api_events) is the same whatever the event layer did with it.
type acceptingEvents struct{}

func (acceptingEvents) Order(context.Context, api.Order) error       { return nil }
func (acceptingEvents) Stock(context.Context, api.Stock) error       { return nil }
func (acceptingEvents) Usage(context.Context, api.Usage) error       { return nil }
func (acceptingEvents) Customer(context.Context, api.Customer) error { return nil }
func (acceptingEvents) Consent(context.Context, api.Consent) error   { return nil }
func (acceptingEvents) Deliver(context.Context, []string)            {}

// refusingShopifyEvents fails the test when called: the Shopify order below is skipped before the
// event layer is reached.
type refusingShopifyEvents struct{ t *testing.T }

func (e refusingShopifyEvents) UpsertCustomer(context.Context, shopify.Customer) error {
	e.t.Error("the order's customer reached the event layer")
	return nil
}
func (e refusingShopifyEvents) Purchase(context.Context, shopify.Purchase) error {
	e.t.Error("the order's purchase reached the event layer")
	return nil
}
func (e refusingShopifyEvents) StockChange(context.Context, shopify.StockChange) error { return nil }
func (e refusingShopifyEvents) ProductPicture(context.Context, string, string) error   { return nil }

const entryPointToken = "forget-test-token"

// seedThroughEntryPoints writes what the HTTP entry points keep of a customer, through the real
// handlers and *store.DB: a Shopify order whose customer is refused (an address Tailor does not
// take, as "Name <address>"), recorded with its skipped part naming the address; and an API batch
// with a consent event whose id names the customer and a customer event whose id does not (only its
// fingerprint, a hash of the event, holds the id and the address). It returns the API event ids.
func seedThroughEntryPoints(t *testing.T, b bundle, id, name, email string, shopifyID int64) []string {
	t.Helper()
	secret := []byte("forget-test-shopify-secret-0123456789")
	sh := shopify.New(shopify.Config{Secret: secret}, shopify.Deps{Events: refusingShopifyEvents{t}, Deliveries: b.s})
	order := fmt.Sprintf(`{"id": %d, "email": %q, "customer": {"id": %d, "email": %q, "first_name": %q},
		"line_items": [{"id": 1, "sku": "TR-BLU-32", "title": "Trousers"}]}`, shopifyID, email, shopifyID, name+" <"+email+">", name)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(order))
	req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader([]byte(order)))
	req.Header.Set(shopify.HMACHeader, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	req.Header.Set(shopify.TopicHeader, shopify.TopicOrderCreated)
	req.Header.Set(shopify.WebhookIDHeader, fmt.Sprintf("delivery-%d", shopifyID))
	rec := httptest.NewRecorder()
	sh.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, "shopify order of %s: %s", id, rec.Body.String())
	require.Contains(t, rec.Body.String(), "1 skipped", "the order of %s is skipped: its customer's address is refused", id)

	eventIDs := []string{"consent-" + id + "-1", fmt.Sprintf("crm-%d", shopifyID)}
	h, err := api.New(api.Config{Tokens: [][]byte{[]byte(entryPointToken)}}, api.Deps{Events: acceptingEvents{}, Ledger: b.s})
	require.NoError(t, err)
	batch := fmt.Sprintf(`{"events": [
		{"id": %q, "type": "consent", "customer_id": %q, "granted": false},
		{"id": %q, "type": "customer", "customer_id": %q, "name": %q, "email": %q, "locale": "en", "timezone": "Europe/London"}]}`,
		eventIDs[0], id, eventIDs[1], id, name, email)
	req = httptest.NewRequest(http.MethodPost, api.EventsPath, bytes.NewReader([]byte(batch)))
	req.Header.Set("Authorization", "Bearer "+entryPointToken)
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, "API batch of %s: %s", id, rec.Body.String())

	// A row of an event applied before migration 0024, which names no customer: only its event id
	// (repeated in its result) does.
	_, err = b.db.Exec(b.ctx, `INSERT INTO api_events (event_id, type, fingerprint, result, applied_at)
		VALUES ('usage-' || $1 || '-old', 'usage', md5($1), jsonb_build_object('id', 'usage-' || $1 || '-old', 'type', 'usage', 'status', 'applied'), now())`, id)
	require.NoError(t, err)
	return append(eventIDs, "usage-"+id+"-old")
}

// apiEventsLeft counts the rows of api_events with these event ids.
func apiEventsLeft(t *testing.T, b bundle, eventIDs []string) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.QueryRow(b.ctx, `SELECT count(*) FROM api_events WHERE event_id = ANY($1)`, eventIDs).Scan(&n))
	return n
}

// shopifySkipped returns the skipped list of the recorded Shopify delivery.
func shopifySkipped(t *testing.T, b bundle, webhookID string) []string {
	t.Helper()
	deliveries, err := b.s.ShopifyDeliveries(b.ctx)
	require.NoError(t, err)
	for _, d := range deliveries {
		if d.WebhookID == webhookID {
			return d.Skipped
		}
	}
	t.Fatalf("no shopify delivery %s recorded", webhookID)
	return nil
}
