package workflows

import (
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// TaskQueue is the task queue the worker polls and the starter targets.
const TaskQueue = "tailor"

// CustomerWorkflowID is the one place the ID `customer/<id>` of a customer's workflow is made.
func CustomerWorkflowID(customerID string) string { return "customer/" + customerID }

// Signal names: each is an event in a customer's life, sent with SignalWithStart so that an event
// never races the start of the workflow it is for.
const (
	SignalPurchase    = "purchase"
	SignalRestock     = "restock"
	SignalSale        = "sale"
	SignalSeason      = "season"
	SignalUnsubscribe = "unsubscribe"
)

// QueryStatus returns a Status snapshot.
const QueryStatus = "status"

// Search attributes every lifecycle workflow carries; `starter setup` registers them.
const (
	SearchAttrCustomerID     = "CustomerId"
	SearchAttrLifecycleStage = "LifecycleStage"
)

// CustomerLifecycleInput starts (or continues as new) a customer's workflow.
type CustomerLifecycleInput struct {
	CustomerID string
	// State is set only when the workflow continues as new.
	State *State `json:",omitempty"`
	// ContinueAsNewAfter forces continue-as-new after this many handled events in one run, in
	// addition to the server's suggestion. 0 means 500.
	ContinueAsNewAfter int `json:",omitempty"`
}

// PurchaseSignal: the customer bought SKU, perhaps wishing for another colour.
type PurchaseSignal struct {
	PurchaseID  string    // unique per purchase; a repeated ID is ignored
	SKU         string    //
	WantedColor string    // optional
	At          time.Time // optional; the workflow's time when zero
}

// RestockSignal: SKU is back in stock. Only customers with a matching open wish are sent one.
type RestockSignal struct {
	Product lifecycle.Product
	At      time.Time // optional
}

// SaleSignal: a sale on Category, DiscountPct percent off, ending at Until (zero: no end).
type SaleSignal struct {
	SaleID      string // stable per sale, e.g. sale/trousers/20261201; part of the idempotency key
	Category    string
	DiscountPct int
	Until       time.Time
}

// SeasonSignal: a seasonal collection is out; it replaces the customer's season fallback.
type SeasonSignal struct {
	Collection string
}

// UnsubscribeSignal: the customer withdrew marketing consent; every pending follow-up stops.
type UnsubscribeSignal struct {
	Reason string
}
