package shopify_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/shopify"
	"github.com/tailorhq/tailor/internal/store"
)

var secret = []byte("shpss_0123456789abcdef0123456789abcdef")

// fakeEvents records what the webhook hands the event layer.
type fakeEvents struct {
	mu        sync.Mutex
	known     map[string]bool // SKUs the shop's Tailor knows
	customers []shopify.Customer
	purchases []shopify.Purchase
	stock     []shopify.StockChange
	pictures  map[string]string // SKU -> picture
	fail      error             // returned by every call while set
	block     chan struct{}     // when set, Purchase waits for it to close
}

func newFakeEvents(skus ...string) *fakeEvents {
	f := &fakeEvents{known: map[string]bool{}}
	for _, s := range skus {
		f.known[s] = true
	}
	return f
}

func (f *fakeEvents) UpsertCustomer(_ context.Context, c shopify.Customer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if strings.HasSuffix(c.Email, "@refused.example") {
		return fmt.Errorf("customer %s: %w: email domain blocked", c.ID, shopify.ErrRefused)
	}
	if strings.HasSuffix(c.Email, "@forgotten.example") {
		return fmt.Errorf("the file holds %s, erased with `starter forget`: %w", c.ID, lifecycle.ErrForgotten)
	}
	f.customers = append(f.customers, c)
	return nil
}

func (f *fakeEvents) Purchase(_ context.Context, p shopify.Purchase) error {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refuse(p.SKU); err != nil {
		return err
	}
	f.purchases = append(f.purchases, p)
	return nil
}

func (f *fakeEvents) StockChange(_ context.Context, s shopify.StockChange) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refuse(s.SKU); err != nil {
		return err
	}
	f.stock = append(f.stock, s)
	return nil
}

func (f *fakeEvents) ProductPicture(_ context.Context, sku, imageURL string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refuse(sku); err != nil {
		return err
	}
	if f.pictures == nil {
		f.pictures = map[string]string{}
	}
	f.pictures[sku] = imageURL
	return nil
}

// refuse is the error of an event about sku, as the event layer gives it: f.fail, or not found
// for an unknown SKU. f.mu is held.
func (f *fakeEvents) refuse(sku string) error {
	if f.fail != nil {
		return f.fail
	}
	if !f.known[sku] {
		return fmt.Errorf("product %q: %w", sku, lifecycle.ErrNotFound)
	}
	return nil
}

// fakeDeliveries is Deliveries in memory.
type fakeDeliveries struct {
	mu       sync.Mutex
	handled  map[string]store.ShopifyDelivery
	items    map[int64]string
	failNext error
}

func newFakeDeliveries() *fakeDeliveries {
	return &fakeDeliveries{handled: map[string]store.ShopifyDelivery{}, items: map[int64]string{}}
}

func (f *fakeDeliveries) ShopifyDeliveryHandled(_ context.Context, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.handled[id]
	return ok, nil
}

func (f *fakeDeliveries) RecordShopifyDelivery(_ context.Context, d store.ShopifyDelivery) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failNext; err != nil {
		f.failNext = nil
		return false, err
	}
	if _, ok := f.handled[d.WebhookID]; ok {
		return false, nil
	}
	f.handled[d.WebhookID] = d
	return true, nil
}

func (f *fakeDeliveries) RememberShopifyInventoryItems(_ context.Context, m map[int64]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, v := range m {
		f.items[k] = v
	}
	return nil
}

func (f *fakeDeliveries) ShopifyInventoryItemSKU(_ context.Context, id int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sku, ok := f.items[id]
	if !ok {
		return "", fmt.Errorf("item %d: %w", id, lifecycle.ErrNotFound)
	}
	return sku, nil
}

var received = time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)

func newHandler(t *testing.T, ev *fakeEvents, del *fakeDeliveries, cfg shopify.Config) http.Handler {
	t.Helper()
	cfg.Secret = secret
	cfg.Now = func() time.Time { return received }
	return shopify.New(cfg, shopify.Deps{Events: ev, Deliveries: del})
}

func sign(body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

// deliver POSTs body as Shopify would: signed, with topic and webhook id.
func deliver(h http.Handler, topic, webhookID string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(shopify.HMACHeader, sign(body))
	req.Header.Set(shopify.TopicHeader, topic)
	req.Header.Set(shopify.WebhookIDHeader, webhookID)
	req.Header.Set(shopify.ShopHeader, "tailor-test.myshopify.com")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// A line's purchase carries what the customer paid for it: its price times its quantity, less the
// discounts allocated to it; a line without a readable price carries none (the product's price is
// credited instead).
func TestOrderLinePricePaid(t *testing.T) {
	cents := func(c int64) *int64 { return &c }
	for _, tc := range []struct {
		name string
		line string
		want *int64
	}{
		{"one at full price", `"price": "89.00", "quantity": 1`, cents(8900)},
		{"two, one discount", `"price": "49.95", "quantity": 2, "discount_allocations": [{"amount": "10.00"}]`, cents(8990)},
		{"two discounts", `"price": "20", "quantity": 1, "discount_allocations": [{"amount": "5.5"}, {"amount": "4.50"}]`, cents(1000)},
		{"discounted below zero", `"price": "5.00", "quantity": 1, "discount_allocations": [{"amount": "7.00"}]`, cents(0)},
		{"quantity missing", `"price": "12.34"`, cents(1234)},
		{"no price", `"quantity": 1`, nil},
		{"unreadable price", `"price": "12,34", "quantity": 1`, nil},
		{"unreadable discount", `"price": "12.34", "quantity": 1, "discount_allocations": [{"amount": "-1"}]`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, del := newFakeEvents("TR-BLUE-50"), newFakeDeliveries()
			h := newHandler(t, ev, del, shopify.Config{})
			body := []byte(`{"id": 1001, "email": "ann@example.com", "created_at": "2026-11-30T14:15:00Z",
				"customer": {"id": 7, "email": "ann@example.com", "first_name": "Ann"},
				"line_items": [{"id": 5, "sku": "TR-BLUE-50", "title": "Classic trousers", ` + tc.line + `}]}`)
			rec := deliver(h, shopify.TopicOrderCreated, "price-"+tc.name, body)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Len(t, ev.purchases, 1, "line %s", tc.line)
			require.Equal(t, tc.want, ev.purchases[0].PriceCents, "line %s", tc.line)
		})
	}
}

// An order becomes the customer (created from the Shopify customer, consent from the order) and
// a purchase per line with a known SKU; the others are skipped and recorded. Its retry changes
// nothing.
func TestOrderCreated(t *testing.T) {
	ev, del := newFakeEvents("TR-BLUE-50"), newFakeDeliveries()
	h := newHandler(t, ev, del, shopify.Config{})
	body := testdata(t, "orders_create.json")

	rec := deliver(h, shopify.TopicOrderCreated, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", body)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, []shopify.Customer{{ID: "shopify-115310627314723954", Name: "Jon Snow", Email: "jon@example.com",
		Locale: "nl", Consent: shopify.ConsentGranted, Source: "shopify"}}, ev.customers)
	at := time.Date(2026, 11, 30, 14, 15, 0, 0, time.UTC)
	paid := int64(8900)
	require.Equal(t, []shopify.Purchase{{ID: "shopify-820982911946154508-866550311766439020", CustomerID: "shopify-115310627314723954",
		SKU: "TR-BLUE-50", At: at, PriceCents: &paid}}, ev.purchases)
	d := del.handled["b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"]
	require.Equal(t, shopify.TopicOrderCreated, d.Topic)
	require.Equal(t, "tailor-test.myshopify.com", d.ShopDomain)
	require.Len(t, d.Skipped, 2, "the unknown SKU and the line without one: %q", d.Skipped)
	require.Contains(t, d.Skipped[0], `unknown SKU "SU-GREY-50"`)
	require.Contains(t, d.Skipped[1], "(Gift card): no SKU")

	// Shopify retries with the same webhook id: nothing happens again.
	rec = deliver(h, shopify.TopicOrderCreated, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", body)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, ev.customers, 1, "a retried delivery upserts nothing")
	require.Len(t, ev.purchases, 1, "a retried delivery records nothing")
}

// The order's consent fields, newest first: customer.email_marketing_consent.state, then the
// older buyer_accepts_marketing.
func TestOrderConsent(t *testing.T) {
	tests := []struct {
		name    string
		state   string // "" leaves email_marketing_consent out
		accepts string // buyer_accepts_marketing: "true", "false" or "" (absent)
		want    shopify.Consent
	}{
		{"subscribed", "subscribed", "", shopify.ConsentGranted},
		{"unsubscribed wins over an old accepts", "unsubscribed", "true", shopify.ConsentWithdrawn},
		{"not subscribed states nothing", "not_subscribed", "true", shopify.ConsentUnstated},
		{"pending states nothing", "pending", "", shopify.ConsentUnstated},
		{"only the older field, ticked", "", "true", shopify.ConsentGranted},
		{"only the older field, not ticked", "", "false", shopify.ConsentUnstated},
		{"neither", "", "", shopify.ConsentUnstated},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := newFakeEvents("TR-BLUE-50")
			h := newHandler(t, ev, newFakeDeliveries(), shopify.Config{})
			consent := ""
			if tt.state != "" {
				consent = fmt.Sprintf(`,"email_marketing_consent":{"state":%q,"opt_in_level":"single_opt_in"}`, tt.state)
			}
			accepts := ""
			if tt.accepts != "" {
				accepts = `"buyer_accepts_marketing":` + tt.accepts + `,`
			}
			body := []byte(`{"id":1,` + accepts + `"email":"a@example.com","customer":{"id":7,"email":"a@example.com","first_name":"A"` + consent +
				`},"line_items":[{"id":2,"sku":"TR-BLUE-50"}]}`)
			rec := deliver(h, shopify.TopicOrderCreated, fmt.Sprint("consent-", i), body)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Len(t, ev.customers, 1)
			require.Equal(t, tt.want, ev.customers[0].Consent, "state %q, buyer_accepts_marketing %q", tt.state, tt.accepts)
			require.Equal(t, "", ev.customers[0].Locale, "no customer_locale: the event layer picks the default")
		})
	}
}

// What Tailor cannot take from a signed order is skipped and recorded, answered 200: Shopify
// would retry the same bytes for hours.
func TestOrderSkipped(t *testing.T) {
	tests := []struct {
		name, body, skipped string
		unnamed             []string // what the record must not quote
	}{
		{"guest checkout", `{"id":5,"email":"g@example.com","line_items":[{"id":1,"sku":"TR-BLUE-50"}]}`, "order 5: no customer", nil},
		{"no email anywhere", `{"id":6,"customer":{"id":9},"line_items":[]}`, "order 6: customer shopify-9: email", nil},
		{"not JSON", `{"id":`, "payload is not the documented JSON", nil},
		{"a customer the event layer refuses", `{"id":9,"customer":{"id":9,"email":"a@refused.example"},"line_items":[{"id":1,"sku":"TR-BLUE-50"}]}`, "order 9: customer shopify-9 refused", nil},
		{"a SKU with a slash", `{"id":8,"customer":{"id":9,"email":"a@example.com"},"line_items":[{"id":1,"sku":"a/restock/b"}]}`, `order 8 line 1: sku "a/restock/b"`, nil},
		{"a customer erased with starter forget", `{"id":10,"customer":{"id":11,"email":"zoe@forgotten.example"},"line_items":[{"id":1,"sku":"TR-BLUE-50"}]}`,
			"order 10: its customer was erased with starter forget", []string{"shopify-11", "zoe@forgotten.example"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, del := newFakeEvents("TR-BLUE-50"), newFakeDeliveries()
			h := newHandler(t, ev, del, shopify.Config{})
			id := fmt.Sprint("skip-", i)
			rec := deliver(h, shopify.TopicOrderCreated, id, []byte(tt.body))
			require.Equal(t, http.StatusOK, rec.Code, "%s: %s", tt.body, rec.Body.String())
			require.Empty(t, ev.purchases, tt.body)
			require.Len(t, del.handled[id].Skipped, 1, tt.body)
			require.Contains(t, del.handled[id].Skipped[0], tt.skipped, tt.body)
			for _, u := range tt.unnamed {
				require.NotContains(t, del.handled[id].Skipped[0], u, tt.body)
			}
		})
	}
}

// An effect that fails for a reason that may pass is answered 500 and not recorded, so Shopify's
// retry does it; a record that fails after the effects also gets a retry.
func TestFailureIsRetried(t *testing.T) {
	ev, del := newFakeEvents("TR-BLUE-50"), newFakeDeliveries()
	h := newHandler(t, ev, del, shopify.Config{})
	body := testdata(t, "orders_create.json")

	ev.fail = errors.New("database is restarting")
	rec := deliver(h, shopify.TopicOrderCreated, "w-1", body)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Empty(t, del.handled, "a failed delivery is not recorded")

	ev.fail = nil
	del.failNext = errors.New("connection reset")
	rec = deliver(h, shopify.TopicOrderCreated, "w-1", body)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Len(t, ev.purchases, 1)

	rec = deliver(h, shopify.TopicOrderCreated, "w-1", body)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, del.handled, "w-1")
	require.Len(t, ev.purchases, 2, "the retry hands the purchase again; the event layer records it once (by its id)")
	require.Equal(t, ev.purchases[0], ev.purchases[1])
}

// products/update sets the stock of known variants and remembers their inventory items, so an
// inventory_levels/update (which names only the item) reaches the SKU.
func TestStockChanges(t *testing.T) {
	ev, del := newFakeEvents("TR-BLUE-50", "TR-GREY-50"), newFakeDeliveries()
	h := newHandler(t, ev, del, shopify.Config{})

	rec := deliver(h, shopify.TopicInventoryUpdated, "inv-early", testdata(t, "inventory_levels_update.json"))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Empty(t, ev.stock, "an inventory item no product named yet")
	require.Contains(t, del.handled["inv-early"].Skipped[0], "inventory item 39072856: SKU not known yet")

	rec = deliver(h, shopify.TopicProductUpdated, "prod-1", testdata(t, "products_update.json"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	at := received
	require.Equal(t, []shopify.StockChange{{SKU: "TR-BLUE-50", Stock: 5, At: at}, {SKU: "TR-GREY-50", Stock: 3, At: at}}, ev.stock)
	require.Equal(t, []string{`stock of unknown SKU "TR-BLACK-50" (import it with starter import products)`}, del.handled["prod-1"].Skipped)
	require.Equal(t, map[int64]string{49148385: "TR-BLUE-50", 39072856: "TR-GREY-50", 457924702: "TR-BLACK-50"}, del.items)
	require.Equal(t, map[string]string{
		"TR-BLUE-50": "https://cdn.shopify.com/s/files/1/classic-trousers.jpg",      // the product's main picture
		"TR-GREY-50": "https://cdn.shopify.com/s/files/1/classic-trousers-grey.jpg", // its own, by image_id
	}, ev.pictures, "the variants' pictures from products/update")

	rec = deliver(h, shopify.TopicInventoryUpdated, "inv-1", testdata(t, "inventory_levels_update.json"))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, shopify.StockChange{SKU: "TR-GREY-50", Stock: 4, At: time.Date(2026, 12, 1, 15, 5, 0, 0, time.UTC)}, ev.stock[2])
}

// Other topics are answered 200 and ignored: nothing recorded, nothing handed on.
func TestOtherTopicIgnored(t *testing.T) {
	ev, del := newFakeEvents(), newFakeDeliveries()
	h := newHandler(t, ev, del, shopify.Config{})
	rec := deliver(h, "customers/redact", "x-1", []byte(`{"shop_id":1}`))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), "ignored")
	require.Empty(t, del.handled)
}

// unreadable fails the test if the handler reads the body: headers are decided first.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("the body was read although the headers already decided the answer")
	return 0, io.EOF
}

func TestRefusedDeliveries(t *testing.T) {
	body := []byte(`{"id":1}`)
	tests := []struct {
		name    string
		method  string
		headers map[string]string // on top of a signed, complete delivery; "" deletes
		body    io.Reader
		want    int
	}{
		{"GET", http.MethodGet, nil, nil, http.StatusMethodNotAllowed},
		{"no signature", "", map[string]string{shopify.HMACHeader: ""}, unreadable{t}, http.StatusUnauthorized},
		{"signature not base64", "", map[string]string{shopify.HMACHeader: "not base64!"}, unreadable{t}, http.StatusUnauthorized},
		{"signature too short", "", map[string]string{shopify.HMACHeader: base64.StdEncoding.EncodeToString([]byte("short"))}, unreadable{t}, http.StatusUnauthorized},
		{"no topic", "", map[string]string{shopify.TopicHeader: ""}, unreadable{t}, http.StatusBadRequest},
		{"no webhook id", "", map[string]string{shopify.WebhookIDHeader: ""}, unreadable{t}, http.StatusBadRequest},
		{"webhook id with a control character", "", map[string]string{shopify.WebhookIDHeader: "a\x1bb"}, unreadable{t}, http.StatusBadRequest},
		{"signed with another secret", "", map[string]string{shopify.HMACHeader: base64.StdEncoding.EncodeToString(hmac.New(sha256.New, []byte("other")).Sum(nil))}, nil, http.StatusUnauthorized},
		{"body changed after signing", "", nil, strings.NewReader(`{"id":2}`), http.StatusUnauthorized},
		{"body too large", "", nil, bytes.NewReader(make([]byte, shopify.MaxBodyBytes+1)), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, del := newFakeEvents("TR-BLUE-50"), newFakeDeliveries()
			h := newHandler(t, ev, del, shopify.Config{})
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			var r io.Reader = bytes.NewReader(body)
			if tt.body != nil {
				r = tt.body
			}
			req := httptest.NewRequest(method, "/webhooks/shopify", r)
			req.Header.Set(shopify.HMACHeader, sign(body))
			req.Header.Set(shopify.TopicHeader, shopify.TopicOrderCreated)
			req.Header.Set(shopify.WebhookIDHeader, "id-1")
			for k, v := range tt.headers {
				if v == "" {
					req.Header.Del(k)
				} else {
					req.Header.Set(k, v)
				}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tt.want, rec.Code, "%s: %s", tt.name, rec.Body.String())
			require.Empty(t, del.handled, tt.name)
			require.Empty(t, ev.customers, tt.name)
		})
	}
}

// With every processing slot taken, a signed delivery is answered 503 with Retry-After at once.
func TestConcurrencyBound(t *testing.T) {
	ev, del := newFakeEvents("TR-BLUE-50"), newFakeDeliveries()
	ev.block = make(chan struct{})
	h := newHandler(t, ev, del, shopify.Config{MaxConcurrent: 1})
	body := testdata(t, "orders_create.json")

	first := make(chan int)
	go func() { first <- deliver(h, shopify.TopicOrderCreated, "slow", body).Code }()
	require.Eventually(t, func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		return len(ev.customers) == 1 // the first is inside, waiting in Purchase
	}, 5*time.Second, 10*time.Millisecond)

	rec := deliver(h, shopify.TopicOrderCreated, "second", body)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, "5", rec.Header().Get("Retry-After"))
	close(ev.block)
	require.Equal(t, http.StatusOK, <-first)
}

// With every reading slot held by a body still arriving, the next delivery gets 503 at once,
// before its signature can be checked.
func TestReadingBound(t *testing.T) {
	ev, del := newFakeEvents("TR-BLUE-50"), newFakeDeliveries()
	h := newHandler(t, ev, del, shopify.Config{MaxReading: 1})
	body := testdata(t, "orders_create.json")
	pr, pw := io.Pipe()
	slow := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", pr)
	slow.Header.Set(shopify.HMACHeader, sign(body))
	slow.Header.Set(shopify.TopicHeader, shopify.TopicOrderCreated)
	slow.Header.Set(shopify.WebhookIDHeader, "slow")
	done := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, slow)
		done <- rec.Code
	}()
	_, err := pw.Write(body[:10]) // returns once the handler is reading: it holds the slot
	require.NoError(t, err)

	rec := deliver(h, shopify.TopicOrderCreated, "next", body)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, "5", rec.Header().Get("Retry-After"))

	_, err = pw.Write(body[10:])
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	require.Equal(t, http.StatusOK, <-done)
}
