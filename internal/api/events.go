package api

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Events applies one event of each type: the event layer, as far as the API needs it. An
// implementation writes to PostgreSQL and owes the customer's workflow its signal. It returns an
// error wrapping ErrRejected when the event cannot apply as it stands (an unknown customer or SKU):
// retrying it unchanged does not help. Any other error may pass, and the event is retried.
//
// An event method may leave its signal owed for Deliver, which the handler calls once a batch's
// events are applied, with the customers of the batch's applied events, before it answers.
type Events interface {
	Order(ctx context.Context, o Order) error
	Stock(ctx context.Context, s Stock) error
	Usage(ctx context.Context, u Usage) error
	Customer(ctx context.Context, c Customer) error
	Consent(ctx context.Context, c Consent) error
	// Deliver tells the workflows of customerIDs what they are owed, several customers at once and
	// each customer's signals in the order its events were applied. A signal it cannot deliver
	// stays owed for the worker's relay: that is not the events' failure, so Deliver returns none.
	Deliver(ctx context.Context, customerIDs []string)
}

// ErrRejected is wrapped by an Events method refusing an event that is valid in form but cannot
// apply, e.g. an order of a customer Tailor does not know.
var ErrRejected = errors.New("event rejected")

// RejectedError is an ErrRejected that names the field at fault (relative to the event, like
// "customer_id" or "lines[0].sku"), so the answer can point at it.
type RejectedError struct {
	Field   string
	Problem string
}

func (e *RejectedError) Error() string { return e.Field + ": " + e.Problem }
func (e *RejectedError) Unwrap() error { return ErrRejected }

// Event types: the values of an event's "type".
const (
	TypeOrder    = "order"
	TypeStock    = "stock"
	TypeUsage    = "usage"
	TypeCustomer = "customer"
	TypeConsent  = "consent"
)

// Order is a customer's order: each line is one purchase, with the purchase id
// "<order_id>-<line number from 1>".
type Order struct {
	EventID    string      `json:"-"`
	OrderID    string      `json:"order_id"`
	CustomerID string      `json:"customer_id"`
	OrderedAt  time.Time   `json:"ordered_at"`
	Lines      []OrderLine `json:"lines"`
}

// OrderLine is one product of an order.
type OrderLine struct {
	SKU string `json:"sku"`
	// PriceCents is what the customer paid for the line, in cents; nil when not given.
	PriceCents *int64 `json:"price_cents,omitempty"`
	// WantedColor and WantedSize, when the customer wanted what was not available, open a wish.
	WantedColor string `json:"wanted_color,omitempty"`
	WantedSize  string `json:"wanted_size,omitempty"`
}

// PurchaseID is the id of the purchase line i (from 0) of the order records.
func (o Order) PurchaseID(i int) string { return o.OrderID + "-" + strconv.Itoa(i+1) }

// Stock is a SKU's stock level as the stock system counts it now (not a change), and optionally
// its picture and page (nil: left out, kept as stored; "": cleared).
type Stock struct {
	EventID  string    `json:"-"`
	SKU      string    `json:"sku"`
	Stock    int       `json:"stock"`
	At       time.Time `json:"at"`
	ImageURL *string   `json:"image_url,omitempty"`
	URL      *string   `json:"url,omitempty"`
}

// Usage is one meter reading of a metered product (a data bundle).
type Usage struct {
	EventID    string    `json:"-"`
	CustomerID string    `json:"customer_id"`
	Metric     string    `json:"metric"`
	Used       float64   `json:"used"`
	Limit      float64   `json:"limit"`
	At         time.Time `json:"at"`
	// ContractEnds is the day the customer's contract ends, zero when unknown.
	ContractEnds time.Time `json:"contract_ends"`
}

// Customer creates a customer or updates one; colours, sizes and categories are merged into what
// is known.
type Customer struct {
	EventID    string   `json:"-"`
	CustomerID string   `json:"customer_id"`
	Name       string   `json:"name"`
	Email      string   `json:"email"`
	Locale     string   `json:"locale"`
	Timezone   string   `json:"timezone"`
	Colors     []string `json:"colors"`
	Sizes      []string `json:"sizes"`
	Categories []string `json:"categories"`
	// MarketingConsent, when given, is recorded with source "api"; when nil a new customer gets
	// the import default and an existing one keeps theirs.
	MarketingConsent *bool `json:"marketing_consent"`
}

// Consent is a customer giving or withdrawing marketing consent.
type Consent struct {
	EventID    string    `json:"-"`
	CustomerID string    `json:"customer_id"`
	Granted    bool      `json:"granted"`
	Source     string    `json:"source"`
	At         time.Time `json:"at"`
}
