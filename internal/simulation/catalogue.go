package simulation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// Shop is the database a simulation runs against: what the activities need, plus what the
// starter's restock, unsubscribe and consent commands and the SendGrid webhook do before they
// signal. *store.DB is one; Catalogue
// is the in-memory one the simulate command uses.
type Shop interface {
	activities.Store
	Restock(ctx context.Context, sku string, quantity int) (lifecycle.Product, error)
	SetConsent(ctx context.Context, customerID string, consent bool, source string) error
	OpenWishes(ctx context.Context, product, color, size string, createdAfter time.Time) ([]store.OpenWish, error)
	// Suppress stops marketing to the address (compared case-insensitively), as the SendGrid
	// Event Webhook does for a bounce, dropped, spamreport or unsubscribe.
	Suppress(ctx context.Context, email, reason string, at time.Time) error
}

var (
	_ Shop = (*store.DB)(nil)
	_ Shop = (*Catalogue)(nil)
)

// defaultProductLimit is how many products an email shows when the query does not say; the same
// as internal/store.
const defaultProductLimit = 6

// Catalogue is an in-memory Shop with internal/store's semantics: normalized colours, sizes and
// categories, preferences merged from purchases, wishes opened for wanted colours, products newest
// first (a product listed later in the scenario is newer), and a send log that lets each key out
// once. It is safe for concurrent use.
type Catalogue struct {
	now func() time.Time

	mu        sync.Mutex
	customers map[string]lifecycle.Customer
	prefs     map[string]lifecycle.Preferences
	products  []lifecycle.Product // oldest first
	purchases map[string]lifecycle.Purchase
	wishes    []catalogueWish
	sends     map[string]lifecycle.SendRecord
	// notLearning are the customers who stopped the shop's learning (store.SetLearningOwing).
	notLearning map[string]bool
}

type catalogueWish struct {
	lifecycle.Wish
	customerID string
	closed     bool
}

// NewCatalogue returns a catalogue holding the scenario's customer and products; now stands in
// for the database's clock (the simulated time).
func NewCatalogue(sc *Scenario, now func() time.Time) *Catalogue {
	c := &Catalogue{
		now:       now,
		customers: map[string]lifecycle.Customer{sc.Customer.ID: sc.Customer},
		prefs:     map[string]lifecycle.Preferences{sc.Customer.ID: sc.Preferences.Merge(lifecycle.Preferences{})},
		purchases: map[string]lifecycle.Purchase{},
		sends:     map[string]lifecycle.SendRecord{},
	}
	for _, p := range sc.Products {
		p.Collections = slices.Clone(p.Collections)
		c.products = append(c.products, p)
	}
	return c
}

func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, lifecycle.ErrNotFound)
}

// Customer returns the customer with id, or an error wrapping lifecycle.ErrNotFound.
func (c *Catalogue) Customer(_ context.Context, id string) (lifecycle.Customer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cu, ok := c.customers[id]
	if !ok {
		return lifecycle.Customer{}, notFound("customer", id)
	}
	return cu, nil
}

// Preferences returns what the customer stated or taught the shop by buying.
func (c *Catalogue) Preferences(_ context.Context, customerID string) (lifecycle.Preferences, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.customers[customerID]; !ok {
		return lifecycle.Preferences{}, fmt.Errorf("load preferences of %s: %w", customerID, notFound("customer", customerID))
	}
	return c.prefs[customerID].Merge(lifecycle.Preferences{}), nil
}

// SetPreferences replaces the customer's preferences, as the preference page does.
func (c *Catalogue) SetPreferences(_ context.Context, customerID string, p lifecycle.Preferences) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.customers[customerID]; !ok {
		return notFound("customer", customerID)
	}
	c.prefs[customerID] = lifecycle.Preferences{}.Merge(p)
	return nil
}

// SetLearningStopped records whether the customer stopped the shop's learning: while stopped, a
// purchase teaches no preferences, as in the store.
func (c *Catalogue) SetLearningStopped(customerID string, stopped bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.customers[customerID]; !ok {
		return notFound("customer", customerID)
	}
	if c.notLearning == nil {
		c.notLearning = map[string]bool{}
	}
	c.notLearning[customerID] = stopped
	return nil
}

func (c *Catalogue) product(sku string) (int, bool) {
	i := slices.IndexFunc(c.products, func(p lifecycle.Product) bool { return p.SKU == sku })
	return i, i >= 0
}

// Product returns the product with sku, or an error wrapping lifecycle.ErrNotFound.
func (c *Catalogue) Product(_ context.Context, sku string) (lifecycle.Product, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.product(sku)
	if !ok {
		return lifecycle.Product{}, notFound("product", sku)
	}
	return clone(c.products[i]), nil
}

func clone(p lifecycle.Product) lifecycle.Product {
	p.Collections = slices.Clone(p.Collections)
	return p
}

// RecordPurchase stores the purchase once, learns preferences from it and opens a wish when a
// different colour was wanted; see store.DB.RecordPurchase.
func (c *Catalogue) RecordPurchase(_ context.Context, p lifecycle.Purchase) (lifecycle.Product, lifecycle.Preferences, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.product(p.SKU)
	if !ok {
		return lifecycle.Product{}, lifecycle.Preferences{}, fmt.Errorf("record purchase %s: %w", p.ID, notFound("product", p.SKU))
	}
	product := clone(c.products[i])
	if _, ok := c.customers[p.CustomerID]; !ok {
		return lifecycle.Product{}, lifecycle.Preferences{}, fmt.Errorf("record purchase %s: %w", p.ID, notFound("customer", p.CustomerID))
	}
	current := c.prefs[p.CustomerID]
	if earlier, dup := c.purchases[p.ID]; dup {
		if earlier.CustomerID != p.CustomerID || earlier.SKU != p.SKU {
			return lifecycle.Product{}, lifecycle.Preferences{}, fmt.Errorf("record purchase %s: purchase id %q is already used for customer %s buying %s",
				p.ID, p.ID, earlier.CustomerID, earlier.SKU)
		}
		return product, current.Merge(lifecycle.Preferences{}), nil
	}
	if p.At.IsZero() {
		p.At = c.now()
	}
	wanted := lifecycle.Normalize(p.WantedColor)
	p.WantedColor = wanted
	c.purchases[p.ID] = p
	prefs := current
	if !c.notLearning[p.CustomerID] {
		prefs = current.Merge(lifecycle.Preferences{
			Colors:     []string{product.Color, wanted},
			Sizes:      []string{product.Size},
			Categories: []string{product.Category},
		})
	}
	c.prefs[p.CustomerID] = prefs
	if wanted != "" && wanted != lifecycle.Normalize(product.Color) &&
		!slices.ContainsFunc(c.wishes, func(w catalogueWish) bool { return w.ID == p.ID }) {
		c.wishes = append(c.wishes, catalogueWish{customerID: p.CustomerID, Wish: lifecycle.Wish{
			ID: p.ID, Product: product.Product, Name: product.Name, Color: wanted,
			Size: lifecycle.Normalize(product.Size), CreatedAt: p.At,
		}})
	}
	return product, prefs.Merge(lifecycle.Preferences{}), nil
}

// Products returns in-stock products matching q, newest first; empty fields of q do not filter,
// Sizes and Colors match any of their elements, and NotBoughtBy leaves out the SKUs that customer
// bought outside the Repeat categories.
func (c *Catalogue) Products(_ context.Context, q lifecycle.ProductQuery) ([]lifecycle.Product, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	category := lifecycle.Normalize(q.Category)
	collection := strings.TrimSpace(q.Collection)
	sizes := normalizeList(q.Sizes)
	colors := normalizeList(q.Colors)
	repeat := normalizeList(q.Repeat)
	bought := map[string]bool{} // SKUs q.NotBoughtBy bought
	if q.NotBoughtBy != "" {
		for _, pu := range c.purchases {
			if pu.CustomerID == q.NotBoughtBy {
				bought[pu.SKU] = true
			}
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultProductLimit
	}
	out := []lifecycle.Product{}
	for i := len(c.products) - 1; i >= 0 && len(out) < limit; i-- {
		p := c.products[i]
		switch {
		case p.Stock <= 0,
			category != "" && p.Category != category,
			collection != "" && !slices.Contains(p.Collections, collection),
			len(sizes) > 0 && !slices.Contains(sizes, p.Size),
			len(colors) > 0 && !slices.Contains(colors, p.Color),
			bought[p.SKU] && !slices.Contains(repeat, p.Category):
			continue
		}
		out = append(out, clone(p))
	}
	return out, nil
}

func normalizeList(list []string) []string {
	return lifecycle.Preferences{}.Merge(lifecycle.Preferences{Colors: list}).Colors
}

// CloseWish marks the customer's wish as fulfilled; closing a closed wish is a no-op.
func (c *Catalogue) CloseWish(_ context.Context, customerID, wishID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.IndexFunc(c.wishes, func(w catalogueWish) bool { return w.ID == wishID && w.customerID == customerID })
	if i < 0 {
		return fmt.Errorf("wish %q of customer %q: %w", wishID, customerID, lifecycle.ErrNotFound)
	}
	c.wishes[i].closed = true
	return nil
}

// ClaimSend reserves r.Key unless it is already in the send log and returns the row as it stands.
func (c *Catalogue) ClaimSend(_ context.Context, r lifecycle.SendRecord) (lifecycle.SendRecord, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if got, ok := c.sends[r.Key]; ok {
		return got, nil
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = c.now()
	}
	r.Status, r.MessageID, r.Error, r.SentAt = lifecycle.SendClaimed, "", "", time.Time{}
	c.sends[r.Key] = r
	return r, nil
}

// MarkSent records that the provider accepted the email under key.
func (c *Catalogue) MarkSent(_ context.Context, key, messageID string, at time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.sends[key]
	if !ok {
		return notFound("send", key)
	}
	r.Status, r.MessageID, r.SentAt, r.Error = lifecycle.SendSent, messageID, at, ""
	c.sends[key] = r
	return nil
}

// MarkFailed records a refusal for good; a send already marked sent stays sent.
func (c *Catalogue) MarkFailed(_ context.Context, key, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.sends[key]
	if !ok {
		return notFound("send", key)
	}
	if r.Status != lifecycle.SendSent {
		r.Status, r.Error = lifecycle.SendFailed, reason
		c.sends[key] = r
	}
	return nil
}

// RecordOutcomes keeps nothing: a simulation reports its decisions itself, and has no campaigns to
// summarise.
func (c *Catalogue) RecordOutcomes(context.Context, []lifecycle.FollowUpOutcome) error { return nil }

// Restock adds quantity (> 0) to the product's stock and returns the product as it is now.
func (c *Catalogue) Restock(_ context.Context, sku string, quantity int) (lifecycle.Product, error) {
	if quantity <= 0 {
		return lifecycle.Product{}, fmt.Errorf("restock %s: quantity must be positive, got %d", sku, quantity)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.product(sku)
	if !ok {
		return lifecycle.Product{}, notFound("product", sku)
	}
	c.products[i].Stock += quantity
	return clone(c.products[i]), nil
}

// SetConsent records whether the customer may receive marketing email.
func (c *Catalogue) SetConsent(_ context.Context, customerID string, consent bool, _ string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cu, ok := c.customers[customerID]
	if !ok {
		return notFound("customer", customerID)
	}
	cu.MarketingConsent = consent
	c.customers[customerID] = cu
	return nil
}

// Suppress marks every customer with the address (compared case-insensitively) as suppressed, so
// Customer reports Suppressed like the store's join on its suppressions; again is a no-op.
func (c *Catalogue) Suppress(_ context.Context, email, _ string, _ time.Time) error {
	addr := store.NormalizeEmail(email)
	if addr == "" {
		return errors.New("suppress: empty email address")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, cu := range c.customers {
		if store.NormalizeEmail(cu.Email) == addr {
			cu.Suppressed = true
			c.customers[id] = cu
		}
	}
	return nil
}

// OpenWishes returns the open wishes for the style in color and size made after createdAfter, of
// customers with marketing consent, ordered by customer id.
func (c *Catalogue) OpenWishes(_ context.Context, product, color, size string, createdAfter time.Time) ([]store.OpenWish, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []store.OpenWish
	for _, w := range c.wishes {
		if w.closed || w.Product != product || w.Color != lifecycle.Normalize(color) || w.Size != lifecycle.Normalize(size) ||
			!w.CreatedAt.After(createdAfter) || !c.customers[w.customerID].MarketingConsent {
			continue
		}
		out = append(out, store.OpenWish{ID: w.ID, CustomerID: w.customerID, CreatedAt: w.CreatedAt})
	}
	slices.SortStableFunc(out, func(a, b store.OpenWish) int {
		if a.CustomerID != b.CustomerID {
			return strings.Compare(a.CustomerID, b.CustomerID)
		}
		if d := a.CreatedAt.Compare(b.CreatedAt); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// SendLog returns the send-log rows ordered by creation then key.
func (c *Catalogue) SendLog() []lifecycle.SendRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]lifecycle.SendRecord, 0, len(c.sends))
	for _, r := range c.sends {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b lifecycle.SendRecord) int {
		if d := a.CreatedAt.Compare(b.CreatedAt); d != 0 {
			return d
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}
