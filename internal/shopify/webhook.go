// Package shopify is Shopify's webhook endpoint, POST /webhooks/shopify: orders become purchases,
// product and inventory updates stock changes, through the event layer (Events) every entry point
// calls.
//
// Contract:
//   - A delivery is taken only when X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw
//     body with the shop's webhook secret (compared in constant time). Missing or malformed
//     headers are refused before the body is read; bodies are bounded in size, read time and
//     number in flight (internal/webhookgate), and so are the signed deliveries processed at once.
//   - A delivery is handled once per X-Shopify-Webhook-Id: its effects first, then its record;
//     a retry of a recorded delivery changes nothing, a retry of one whose effects failed (500)
//     does them again, and each effect is idempotent (purchases by order line, stock set to a
//     count, customers upserted).
//   - What a delivery holds that Tailor cannot take (a line without a known SKU, an order
//     without a customer, a payload that does not parse) is skipped and kept in the delivery's
//     record, not failed: Shopify would retry the same bytes for hours and then drop the
//     subscription.
//   - Topics other than orders/create, products/create, products/update and
//     inventory_levels/update are answered 200 and ignored.
package shopify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/webhookgate"
)

// The headers Shopify sets on every delivery
// (https://shopify.dev/docs/apps/build/webhooks/delivery-structure#headers).
const (
	HMACHeader      = "X-Shopify-Hmac-Sha256"
	TopicHeader     = "X-Shopify-Topic"
	WebhookIDHeader = "X-Shopify-Webhook-Id"
	ShopHeader      = "X-Shopify-Shop-Domain"
)

// Topics Tailor takes.
const (
	TopicOrderCreated     = "orders/create"
	TopicProductCreated   = "products/create"
	TopicProductUpdated   = "products/update"
	TopicInventoryUpdated = "inventory_levels/update"
)

// Bounds of the endpoint, as the SendGrid webhook's: Shopify waits 5 seconds for an answer and
// sends one event per delivery, so bodies are small and slow ones are not Shopify.
const (
	DefaultMaxConcurrent = webhookgate.DefaultMaxConcurrent
	DefaultMaxReading    = webhookgate.DefaultMaxReading
	BodyReadTimeout      = 5 * time.Second
	// MaxBodyBytes bounds one delivery: an order with hundreds of lines stays far below it.
	MaxBodyBytes = 2 << 20
)

// Consent is what an order says of its customer's marketing consent.
type Consent int

const (
	ConsentUnstated  Consent = iota // nothing: a new customer has none, a known one keeps theirs
	ConsentGranted                  // subscribed
	ConsentWithdrawn                // unsubscribed
)

func (c Consent) String() string {
	return [...]string{"unstated", "granted", "withdrawn"}[c]
}

// Customer is the buyer of an order, to be created or updated.
type Customer struct {
	ID      string // shopify-<Shopify customer id>
	Name    string
	Email   string
	Locale  string // en or nl; "" when the order names none Tailor writes in (a new customer gets en)
	Consent Consent
	Source  string // the consent source, "shopify"
}

// Purchase is one order line.
type Purchase struct {
	ID         string // shopify-<order id>-<line item id>
	CustomerID string
	SKU        string
	At         time.Time
	PriceCents *int64 // what the line cost the customer (lineItem.paidCents); nil: not in the payload
}

// StockChange sets a SKU's stock to a count the shop's system reports.
type StockChange struct {
	SKU   string
	Stock int
	At    time.Time
}

// ErrRefused is wrapped by an Events error for data the event layer refuses as it is: the
// webhook skips and records it instead of asking Shopify to retry the same bytes.
var ErrRefused = errors.New("refused")

// Events is the event layer the webhook hands what it read to. Each call is idempotent.
type Events interface {
	// UpsertCustomer creates the customer, or updates name, email and locale; consent per Consent.
	// Data it refuses is an error wrapping ErrRefused; a customer erased with `starter forget`, an
	// error wrapping lifecycle.ErrForgotten.
	UpsertCustomer(ctx context.Context, c Customer) error
	// Purchase records the purchase and tells the customer's workflow. An unknown SKU is an error
	// wrapping lifecycle.ErrNotFound.
	Purchase(ctx context.Context, p Purchase) error
	// StockChange sets the stock; one that brings the SKU back in stock starts its restock
	// campaign. An unknown SKU is an error wrapping lifecycle.ErrNotFound.
	StockChange(ctx context.Context, s StockChange) error
	// ProductPicture sets the SKU's picture (an absolute http(s) URL) for the emails' product
	// cards. An unknown SKU is an error wrapping lifecycle.ErrNotFound.
	ProductPicture(ctx context.Context, sku, imageURL string) error
}

// Deliveries keeps the handled deliveries and Shopify's inventory items; *store.DB implements it.
type Deliveries interface {
	ShopifyDeliveryHandled(ctx context.Context, webhookID string) (bool, error)
	RecordShopifyDelivery(ctx context.Context, d store.ShopifyDelivery) (bool, error)
	RememberShopifyInventoryItems(ctx context.Context, skuByItem map[int64]string) error
	// ShopifyInventoryItemSKU returns an error wrapping lifecycle.ErrNotFound for an item no
	// products/update named.
	ShopifyInventoryItemSKU(ctx context.Context, inventoryItemID int64) (string, error)
}

// Config is how the endpoint checks a delivery.
type Config struct {
	Secret []byte // required: the shop's webhook signing secret (SHOPIFY_WEBHOOK_SECRET)
	// MaxReading, MaxConcurrent: 0 means DefaultMaxReading, DefaultMaxConcurrent.
	MaxReading    int
	MaxConcurrent int
	Now           func() time.Time // nil means time.Now
}

// Deps are the endpoint's collaborators.
type Deps struct {
	Events     Events
	Deliveries Deliveries
	Logger     *slog.Logger // nil discards
}

type handler struct {
	cfg  Config
	deps Deps
	gate *webhookgate.Gate
}

// New returns the handler to mount at POST /webhooks/shopify. It panics without a secret, Events
// or Deliveries: a worker without them must not mount it.
func New(cfg Config, deps Deps) http.Handler {
	if len(cfg.Secret) == 0 || deps.Events == nil || deps.Deliveries == nil {
		panic("shopify.New: Secret, Events and Deliveries are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	gate := webhookgate.New("shopify webhook", webhookgate.Limits{
		MaxReading: cfg.MaxReading, MaxConcurrent: cfg.MaxConcurrent, MaxBodyBytes: MaxBodyBytes, ReadTimeout: BodyReadTimeout,
	}, deps.Logger)
	return &handler{cfg: cfg, deps: deps, gate: gate}
}

// maxWebhookIDLen bounds X-Shopify-Webhook-Id (a UUID in practice).
const maxWebhookIDLen = 128

// ServeHTTP answers 200 once the delivery's effects are done and it is recorded (or it was
// before, or its topic is ignored), 401 for a missing, malformed or wrong signature (missing or
// malformed decided before the body is read), 400 for a delivery without topic or webhook id, 500
// when an effect failed for a reason that may pass (Shopify retries), 503 with Retry-After when
// too many deliveries are being read or processed, 408, 413, 405 as the SendGrid webhook.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.deps.Logger
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "Shopify webhooks must be POSTed", http.StatusMethodNotAllowed)
		return
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.Header.Get(HMACHeader)))
	if err != nil || len(sig) != sha256.Size {
		log.Warn("shopify webhook: rejected delivery without a well-formed "+HMACHeader, "remote", r.RemoteAddr)
		http.Error(w, "invalid or missing Shopify signature", http.StatusUnauthorized)
		return
	}
	topic := strings.TrimSpace(r.Header.Get(TopicHeader))
	webhookID := strings.TrimSpace(r.Header.Get(WebhookIDHeader))
	if err := errors.Join(lifecycle.CheckLine(TopicHeader, topic, lifecycle.MaxLabelLen),
		lifecycle.CheckLine(WebhookIDHeader, webhookID, maxWebhookIDLen)); err != nil || topic == "" || webhookID == "" {
		log.Warn("shopify webhook: rejected delivery without topic or webhook id", "remote", r.RemoteAddr)
		http.Error(w, "missing or malformed "+TopicHeader+" or "+WebhookIDHeader, http.StatusBadRequest)
		return
	}
	verify := func(body []byte) error {
		mac := hmac.New(sha256.New, h.cfg.Secret)
		mac.Write(body)
		if !hmac.Equal(mac.Sum(nil), sig) {
			return errors.New("wrong " + HMACHeader)
		}
		return nil
	}
	body, release, ok := h.gate.ReadSigned(w, r, verify, "invalid or missing Shopify signature")
	if !ok {
		return
	}
	defer release()

	ctx := r.Context()
	log = log.With("topic", topic, "webhook_id", webhookID)
	handle, known := h.topics()[topic]
	if !known {
		log.Debug("shopify webhook: topic ignored")
		fmt.Fprintf(w, "topic %s ignored\n", topic)
		return
	}
	done, err := h.deps.Deliveries.ShopifyDeliveryHandled(ctx, webhookID)
	if err != nil {
		log.Error("shopify webhook: delivery not processed, Shopify will retry", "error", err)
		http.Error(w, "could not process the delivery; retry", http.StatusInternalServerError)
		return
	}
	if done {
		fmt.Fprintln(w, "delivery handled before")
		return
	}
	skipped, err := handle(ctx, body, h.cfg.Now())
	if err != nil {
		log.Error("shopify webhook: delivery not processed, Shopify will retry", "error", err)
		http.Error(w, "could not process the delivery; retry", http.StatusInternalServerError)
		return
	}
	if _, err := h.deps.Deliveries.RecordShopifyDelivery(ctx, store.ShopifyDelivery{
		WebhookID: webhookID, Topic: topic, ShopDomain: r.Header.Get(ShopHeader), Skipped: skipped, ReceivedAt: h.cfg.Now(),
	}); err != nil {
		// The effects are done and idempotent: the retry does them again harmlessly and records.
		log.Error("shopify webhook: delivery done but not recorded, Shopify will retry", "error", err)
		http.Error(w, "could not record the delivery; retry", http.StatusInternalServerError)
		return
	}
	if len(skipped) > 0 {
		log.Warn("shopify webhook: parts of the delivery skipped, kept in shopify_webhook_deliveries", "skipped", skipped)
	}
	fmt.Fprintf(w, "handled, %d skipped\n", len(skipped))
}

// topicHandler does a delivery's effects and returns what it skipped; an error is one that may pass.
type topicHandler func(ctx context.Context, body []byte, receivedAt time.Time) (skipped []string, err error)

func (h *handler) topics() map[string]topicHandler {
	return map[string]topicHandler{
		TopicOrderCreated:     h.orderCreated,
		TopicProductCreated:   h.productUpdated,
		TopicProductUpdated:   h.productUpdated,
		TopicInventoryUpdated: h.inventoryUpdated,
	}
}

// orderCreated creates or updates the customer, then records a purchase per line with a known SKU.
func (h *handler) orderCreated(ctx context.Context, body []byte, receivedAt time.Time) ([]string, error) {
	var o order
	if err := decode(body, &o); err != nil {
		return []string{err.Error()}, nil
	}
	if o.Customer == nil || o.Customer.ID == 0 {
		return []string{fmt.Sprintf("order %d: no customer (a guest checkout without one); nothing recorded", o.ID)}, nil
	}
	c := Customer{
		ID:      CustomerID(o.Customer.ID),
		Name:    strings.TrimSpace(o.Customer.FirstName + " " + o.Customer.LastName),
		Email:   strings.TrimSpace(o.Customer.Email),
		Locale:  locale(o.CustomerLocale),
		Consent: o.consent(),
		Source:  "shopify",
	}
	if c.Email == "" {
		c.Email = strings.TrimSpace(o.Email)
	}
	if err := errors.Join(lifecycle.ValidateEmail("email", c.Email), lifecycle.CheckLine("name", c.Name, lifecycle.MaxNameLen)); err != nil {
		return []string{fmt.Sprintf("order %d: customer %s: %v; nothing recorded", o.ID, c.ID, err)}, nil
	}
	if err := h.deps.Events.UpsertCustomer(ctx, c); err != nil {
		if errors.Is(err, lifecycle.ErrForgotten) {
			// The shop still has the customer; Tailor erased them and takes the id no more. The
			// record names neither the id nor the address: it would outlive the erasure. Before,
			// this answered 500, and Shopify retried the order for hours.
			return []string{fmt.Sprintf("order %d: its customer was erased with starter forget; nothing recorded", o.ID)}, nil
		}
		if _, refused := store.RefusedContent(err); refused || errors.Is(err, ErrRefused) {
			return []string{fmt.Sprintf("order %d: customer %s refused: %v; nothing recorded", o.ID, c.ID, err)}, nil
		}
		return nil, fmt.Errorf("order %d: upsert customer %s: %w", o.ID, c.ID, err)
	}
	at := o.CreatedAt
	if at.IsZero() {
		at = receivedAt
	}
	var skipped []string
	for _, li := range o.LineItems {
		sku := strings.TrimSpace(li.SKU)
		if sku == "" {
			skipped = append(skipped, fmt.Sprintf("order %d line %d (%s): no SKU", o.ID, li.ID, li.Title))
			continue
		}
		if err := lifecycle.ValidateID("sku", sku); err != nil {
			skipped = append(skipped, fmt.Sprintf("order %d line %d: %v", o.ID, li.ID, err))
			continue
		}
		p := Purchase{ID: PurchaseID(o.ID, li.ID), CustomerID: c.ID, SKU: sku, At: at.UTC()}
		if cents, ok := li.paidCents(); ok {
			p.PriceCents = &cents
		}
		err := h.deps.Events.Purchase(ctx, p)
		switch {
		case errors.Is(err, lifecycle.ErrNotFound):
			skipped = append(skipped, fmt.Sprintf("order %d line %d: unknown SKU %q (import it with starter import products)", o.ID, li.ID, sku))
		case err != nil:
			return nil, fmt.Errorf("order %d line %d: purchase of %s: %w", o.ID, li.ID, sku, err)
		}
	}
	return skipped, nil
}

// productUpdated remembers each variant's inventory item and sets the stock of the variants Tailor
// knows to their inventory_quantity.
func (h *handler) productUpdated(ctx context.Context, body []byte, receivedAt time.Time) ([]string, error) {
	var p product
	if err := decode(body, &p); err != nil {
		return []string{err.Error()}, nil
	}
	items := map[int64]string{}
	var skipped []string
	var changes []StockChange
	for _, v := range p.Variants {
		sku := strings.TrimSpace(v.SKU)
		if sku == "" || lifecycle.ValidateID("sku", sku) != nil {
			skipped = append(skipped, fmt.Sprintf("product %d variant %d: no usable SKU %q", p.ID, v.ID, v.SKU))
			continue
		}
		if v.InventoryItemID != 0 {
			items[v.InventoryItemID] = sku
		}
		// The picture before the stock: a restock email the stock starts shows it. A picture Tailor
		// cannot use is left out, and the stock set all the same.
		if pic := p.picture(v); pic != "" {
			if err := lifecycle.CheckWebURL("picture", pic); err != nil {
				skipped = append(skipped, fmt.Sprintf("product %d variant %s: picture not used: %v", p.ID, sku, err))
			} else {
				err := h.deps.Events.ProductPicture(ctx, sku, pic)
				switch {
				case errors.Is(err, lifecycle.ErrNotFound): // the stock below says so
				case err != nil:
					return nil, fmt.Errorf("product %d variant %s: picture: %w", p.ID, sku, err)
				}
			}
		}
		if v.InventoryQuantity == nil {
			skipped = append(skipped, fmt.Sprintf("product %d variant %s: no inventory_quantity (inventory not tracked)", p.ID, sku))
			continue
		}
		changes = append(changes, StockChange{SKU: sku, Stock: *v.InventoryQuantity, At: receivedAt.UTC()})
	}
	if err := h.deps.Deliveries.RememberShopifyInventoryItems(ctx, items); err != nil {
		return nil, fmt.Errorf("product %d: %w", p.ID, err)
	}
	return h.changeStock(ctx, changes, skipped)
}

// inventoryUpdated sets the stock of the inventory item's SKU to what is available. A shop with
// several locations reports each; the last one reported is taken (see the README).
func (h *handler) inventoryUpdated(ctx context.Context, body []byte, receivedAt time.Time) ([]string, error) {
	var l inventoryLevel
	if err := decode(body, &l); err != nil {
		return []string{err.Error()}, nil
	}
	if l.Available == nil {
		return []string{fmt.Sprintf("inventory item %d at location %d: available is null (not tracked)", l.InventoryItemID, l.LocationID)}, nil
	}
	sku, err := h.deps.Deliveries.ShopifyInventoryItemSKU(ctx, l.InventoryItemID)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return []string{fmt.Sprintf("inventory item %d: SKU not known yet (a products/update names it)", l.InventoryItemID)}, nil
	}
	if err != nil {
		return nil, err
	}
	at := l.UpdatedAt
	if at.IsZero() {
		at = receivedAt
	}
	return h.changeStock(ctx, []StockChange{{SKU: sku, Stock: *l.Available, At: at.UTC()}}, nil)
}

func (h *handler) changeStock(ctx context.Context, changes []StockChange, skipped []string) ([]string, error) {
	for _, c := range changes {
		err := h.deps.Events.StockChange(ctx, c)
		switch {
		case errors.Is(err, lifecycle.ErrNotFound):
			skipped = append(skipped, fmt.Sprintf("stock of unknown SKU %q (import it with starter import products)", c.SKU))
		case err != nil:
			return nil, fmt.Errorf("stock of %s to %d: %w", c.SKU, c.Stock, err)
		}
	}
	return skipped, nil
}
