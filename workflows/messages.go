package workflows

import (
	"time"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// TaskQueue is the task queue of the customers' lifecycle workflows: the worker polls it and the
// starter targets it.
const TaskQueue = "tailor"

// FanOutTaskQueue is the task queue of the workflows that reach many customers: campaigns and the
// segment recompute. The worker polls it too. They have a queue of their own because each page they
// reach starts hundreds of customer workflow tasks: on the customers' queue, the fan-out's next
// workflow task would wait behind all of them, so a campaign would reach customers only as fast as
// their workflows run (docs/BENCHMARKS.md, "The fan-out on its own task queue", has the figures).
const FanOutTaskQueue = "tailor-fanout"

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
	// SearchAttrSegment is the customer's value segment, set once the first segment arrives.
	SearchAttrSegment = "Segment"
)

// SearchAttrCampaignState is the Keyword search attribute with a campaign's CampaignState;
// `starter setup` registers it. MemoCampaignProgress is the memo field with its CampaignProgress as
// of the last page, visible in the Temporal UI without a worker.
const (
	SearchAttrCampaignState = "CampaignState"
	MemoCampaignProgress    = "progress"
)

// SearchAttributes are every custom search attribute Tailor's workflows write, all Keyword:
// `starter setup` registers them and the test dev server starts with them.
var SearchAttributes = []string{SearchAttrCustomerID, SearchAttrLifecycleStage, SearchAttrCampaignState, SearchAttrSegment}

// Queries of the fan-out workflows.
const (
	// QueryCampaignProgress returns a CampaignProgress snapshot.
	QueryCampaignProgress = "progress"
	// QuerySegmentProgress returns a SegmentRecomputeProgress snapshot.
	QuerySegmentProgress = "progress"
)

// CustomerLifecycleInput starts (or continues as new) a customer's workflow.
type CustomerLifecycleInput struct {
	CustomerID string
	// State is set only when the workflow continues as new.
	State *State `json:",omitempty"`
	// ContinueAsNewAfter forces continue-as-new after this many handled events in one run, in
	// addition to the server's suggestion. 0 means 500.
	ContinueAsNewAfter int `json:",omitempty"`
	// Version is the workflow code version the workflow was started under: every change up to it
	// is in effect from the first event, without a GetVersion marker (docs/VERSIONING.md). Starters
	// set CurrentVersion; 0 is a workflow started before input versions existed. Its JSON name
	// stays "Revision", the field's name when the histories already written were recorded.
	Version int `json:"Revision,omitempty"`
}

// CurrentVersion is the version new customers' workflows start under. Version 1 holds the
// "contact-policy" change, so a new workflow skips that GetVersion and the visibility write of
// its TemporalChangeVersion search attribute. Version 2 records the deferrals, skips and drops of
// campaign follow-ups in PostgreSQL (a local activity before the workflow waits). Version 3 holds
// the "purchase-recorded" change: a purchase signal that carries what was recorded runs no
// RecordPurchase activity.
const CurrentVersion = 3

// PurchaseSignal: the customer bought SKU, perhaps wishing for another colour.
type PurchaseSignal struct {
	PurchaseID  string    // unique per purchase; a repeated ID is ignored
	SKU         string    //
	WantedColor string    // optional
	At          time.Time // optional; the workflow's time when zero
	// Recorded is what the event layer wrote in the transaction that recorded the purchase and
	// owes this signal. nil from a client that signals directly, or in a signal owed before it
	// existed: then the workflow's RecordPurchase activity records the purchase (idempotent) and
	// reads them ("purchase-recorded" change, docs/VERSIONING.md).
	Recorded *PurchaseRecorded `json:",omitempty"`
}

// PurchaseRecorded is a purchase as recorded in PostgreSQL: the product bought and the customer's
// stored preferences before and after what the purchase taught.
type PurchaseRecorded struct {
	Product           lifecycle.Product
	PreferencesBefore lifecycle.Preferences
	Preferences       lifecycle.Preferences
}

// RestockSignal: SKU is back in stock. Only customers with a matching open wish are sent one.
type RestockSignal struct {
	Product lifecycle.Product
	At      time.Time // optional
	// Holdout is the campaign's holdout (--holdout); nil: the policy's for restocks.
	Holdout *lifecycle.Holdout `json:",omitempty"`
}

// SaleSignal: a sale on Category, DiscountPct percent off, ending at Until (zero: no end).
type SaleSignal struct {
	SaleID      string // stable per sale, e.g. sale/trousers/20261201; part of the idempotency key
	Category    string
	DiscountPct int
	Until       time.Time
	// Holdout is the campaign's holdout (--holdout); nil: the policy's for sales.
	Holdout *lifecycle.Holdout `json:",omitempty"`
}

// SeasonSignal: a seasonal collection is out; it replaces the customer's season fallback.
type SeasonSignal struct {
	Collection string
	// Holdout is the campaign's holdout (--holdout); nil: the policy's for seasons.
	Holdout *lifecycle.Holdout `json:",omitempty"`
}

// UnsubscribeSignal: the customer withdrew marketing consent; every pending follow-up stops.
type UnsubscribeSignal struct {
	Reason string
}

// Contact-policy messages: the customer's voice reaching the workflow.
const (
	// SignalConsent grants or withdraws marketing consent (import, preference page, support desk).
	SignalConsent = "consent"
	// SignalPreferences replaces what the shop knows, as the customer edited it on the preference page.
	SignalPreferences = "preferences"
	// SignalSuppress stops marketing to an address the provider reported as bouncing, dropped,
	// marked as spam or unsubscribed (SendGrid Event Webhook).
	SignalSuppress = "suppress"
	// UpdateInterested records "yes, I'm interested" in an offer; the caller gets an InterestedResult.
	UpdateInterested = "interested"
)

// ConsentSignal: marketing consent granted or withdrawn, with where it came from.
type ConsentSignal struct {
	Granted bool
	Source  string    // e.g. import, preference-page, starter
	At      time.Time // optional
}

// PreferencesSignal: the customer's own edit of what the shop knows and wants.
type PreferencesSignal struct {
	Preferences lifecycle.Preferences
	// Kinds are the follow-up kinds the customer still wants; empty means all.
	Kinds []lifecycle.Kind
	// Paused stops all marketing mail until the customer resumes it.
	Paused bool
	// StopLearning: the shop learns nothing more from what the customer does (purchases, email
	// engagement); only what they state is used. The event layer stores it with the signal.
	StopLearning bool `json:",omitempty"`
}

// SuppressSignal: the mail provider reported the address as undeliverable or unwanted.
type SuppressSignal struct {
	Event string // bounce, dropped, spamreport, unsubscribe
	At    time.Time
}

// InterestedRequest: the customer clicked "yes, I'm interested" under the email with OfferKey.
type InterestedRequest struct {
	OfferKey string // the send key of the offer email
}

// InterestedResult answers the interest page.
type InterestedResult struct {
	Accepted bool
	// AlreadyAccepted is true when the same offer was accepted before; nothing new happens.
	AlreadyAccepted bool
	Message         string
}

// Usage phase, moment of truth and segments.
const (
	// SignalUsage carries a meter reading; at the threshold the workflow decides on an offer.
	SignalUsage = "usage"
	// SignalComplaint records a complaint: a churn indicator.
	SignalComplaint = "complaint"
	// SignalSegment tells the workflow its value segment; the RecomputeSegments activity sends it,
	// so its name and payload are declared there (activities cannot import workflows).
	SignalSegment = activities.SegmentSignalName
	// UpdateCheckin records the one-click answer to "is it what you hoped for?"; the caller gets a
	// CheckinResult.
	UpdateCheckin = "checkin"
)

// UsageSignal: a meter reading of a metered product, e.g. MB of a data bundle.
type UsageSignal struct {
	Reading lifecycle.UsageReading
}

// ComplaintSignal: the customer complained (service desk, survey, social media).
type ComplaintSignal struct {
	Reason string
	At     time.Time // optional
}

// SegmentSignal: the customer's value segment and why, as of At.
type SegmentSignal = activities.SegmentSignal

// CheckinAnswer: the customer answered the check-in email with CheckinKey.
type CheckinAnswer struct {
	CheckinKey string // the send key of the check-in email
	Happy      bool
}

// CheckinResult answers the check-in page.
type CheckinResult struct {
	// AlreadyAnswered is true when this check-in was answered before; the first answer stands.
	AlreadyAnswered bool
	Message         string
}

// Messages of hand-offs and recalls.
const (
	// SignalHandoffDone: the shop marked a hand-off done (`starter tasks done ID`); no more reminders.
	SignalHandoffDone = "handoff-done"
	// SignalRecall: the shop recalled a campaign (`starter campaign cancel ID --recall`); its
	// follow-up still pending is dropped.
	SignalRecall = "recall"
)

// HandoffDoneSignal names the hand-off the shop closed.
type HandoffDoneSignal struct {
	HandoffID string
	At        time.Time
}

// RecallSignal names the follow-up key of a recalled campaign for this customer
// (lifecycle.SendKey(customer, kind, sale id or collection)).
type RecallSignal struct {
	Key      string
	Campaign string // the campaign's workflow ID, for the decision
}

// SignalReply: the customer answered a question email (exit, feedback, check-in) by email; the
// event layer recorded it as a note first (internal/events, Reply).
const SignalReply = "reply"

// ReplySignal is a verified reply to the email with Key.
type ReplySignal struct {
	NoteID string         // the note it was recorded as; a repeated NoteID is ignored
	Key    string         // the send key of the email answered
	Kind   lifecycle.Kind // exit, feedback or checkin
	Text   string         // the reply without the quoted email, cut to MaxReplyText bytes
	// ContactPhrase is the phrase that asks the shop to get in touch ("call me", "bel me"), ""
	// when the reply does not ask: then no hand-off is opened.
	ContactPhrase string `json:",omitempty"`
	At            time.Time
}

// MaxReplyText bounds the reply text a workflow keeps; the note in PostgreSQL holds more.
const MaxReplyText = 500
