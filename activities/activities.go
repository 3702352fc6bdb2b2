package activities

import (
	"context"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Store is the part of the customer database the activities need.
type Store interface {
	// Customer returns lifecycle.ErrNotFound (wrapped) for an unknown id.
	Customer(ctx context.Context, id string) (lifecycle.Customer, error)
	Preferences(ctx context.Context, customerID string) (lifecycle.Preferences, error)
	// SetPreferences replaces the customer's colours, sizes and categories.
	SetPreferences(ctx context.Context, customerID string, p lifecycle.Preferences) error
	Product(ctx context.Context, sku string) (lifecycle.Product, error)
	// RecordPurchase stores the purchase once (by ID), learns preferences from it and opens a wish
	// when a different colour was wanted. It returns the bought product and the updated preferences.
	RecordPurchase(ctx context.Context, p lifecycle.Purchase) (lifecycle.Product, lifecycle.Preferences, error)
	// Products returns in-stock products matching q, newest first.
	Products(ctx context.Context, q lifecycle.ProductQuery) ([]lifecycle.Product, error)
	CloseWish(ctx context.Context, customerID, wishID string) error
	// ClaimSend inserts a claimed send-log row for r.Key unless one exists, and returns the row as
	// it stands afterwards: a row already sent must not be sent again.
	ClaimSend(ctx context.Context, r lifecycle.SendRecord) (lifecycle.SendRecord, error)
	MarkSent(ctx context.Context, key, messageID string, at time.Time) error
	MarkFailed(ctx context.Context, key, reason string) error
	// RecordOutcomes stores what became of follow-ups that were not emailed (campaign summaries);
	// an outcome older than the one stored for its key changes nothing.
	RecordOutcomes(ctx context.Context, outcomes []lifecycle.FollowUpOutcome) error
}

// Mailer delivers a rendered email and returns the provider's message id.
// Refusals by the provider come back as *lifecycle.SendError.
type Mailer interface {
	Send(ctx context.Context, e lifecycle.Email) (messageID string, err error)
}

// Links makes the signed, expiring links every email carries (internal/links).
type Links interface {
	// Unsubscribe is the one-click unsubscribe link: GET shows a confirmation page, POST unsubscribes
	// (RFC 8058), and it goes into the List-Unsubscribe header.
	Unsubscribe(customerID string) string
	// Preferences is the page where the customer sees and edits what the shop knows.
	Preferences(customerID string) string
	// Interested is the "yes, I'm interested" link of the offer email with offerKey.
	Interested(customerID, offerKey string) string
	// Checkin is the one-click answer, happy or not, to the check-in email with checkinKey. Like
	// Interested, GET shows a confirmation page and only POST records the answer.
	Checkin(customerID, checkinKey string, happy bool) string
}

// ReplyAddresses give an email that asks a question its signed reply address (worker: REPLY_DOMAIN
// with the link secret), recording what it was made for before the email goes out, so that a
// reply is never refused for a record not yet written. Every call for the same email returns the
// same address.
type ReplyAddresses interface {
	// ReplyTo returns the reply address of the email with sendKey of kind to customerID, or "" for
	// a kind that asks nothing. An unknown customer is an error wrapping lifecycle.ErrNotFound.
	ReplyTo(ctx context.Context, customerID, sendKey string, kind lifecycle.Kind) (string, error)
}

// SendingGate pauses all sending while the mail provider refuses the API key
// (internal/sendinggate): a revoked key is an outage, not a fault of each email.
type SendingGate interface {
	// Hold reports whether a send must wait instead of calling the provider, with the pause and
	// how long the follow-up waits before it tries again. While paused, one send per probe
	// interval is let through to learn whether the key works again.
	Hold(ctx context.Context) (lifecycle.SendingPause, time.Duration, bool)
	// Refused records that the provider refused the API key, and returns the pause and how long
	// the refused follow-up waits.
	Refused(ctx context.Context, refusal *lifecycle.SendError) (lifecycle.SendingPause, time.Duration)
	// Accepted records that the provider accepted an email, which ends a pause.
	Accepted(ctx context.Context)
}

// Activities is registered on the worker; its methods are the activities.
type Activities struct {
	Store  Store
	Mailer Mailer
	Policy lifecycle.Policy
	Links  Links
	Now    func() time.Time
	// Signature signs every email (the shop's name); empty signs with the default in the
	// customer's language, "Your tailor" or "Uw kleermaker".
	Signature string
	// Audience and Reacher serve campaigns (CampaignPage, ReachCustomers); nil in a worker that
	// runs none.
	Audience Audience
	Reacher  Reacher
	// Segments serves the segment recompute (RecomputeSegments, which also needs Reacher); nil
	// in a worker that runs none.
	Segments SegmentStore
	// Emails counts what SendFollowUp did, for the worker's /metrics; nil counts nothing.
	Emails EmailCounter
	// Gate holds sends while the provider refuses the API key; nil holds only the refused
	// follow-up itself, for DefaultSendingPausedRetry.
	Gate SendingGate
	// Handoffs keeps the hand-offs to the shop (NotifyHandoff); ShopEmail ("" for none) and
	// ShopWebhook (nil for none) are how the shop hears of them.
	Handoffs    HandoffStore
	ShopEmail   string
	ShopWebhook ShopWebhook
	// Replies give the question emails (exit, feedback, check-in) a Reply-To the worker reads
	// back (POST /webhooks/sendgrid/inbound); nil: no Reply-To, replies go to the sender.
	Replies ReplyAddresses
}

// Error types of non-retryable failures, visible in the Temporal UI and to the workflow.
const (
	ErrTypeUnknownCustomer = "UnknownCustomer"
	ErrTypeUnknownProduct  = "UnknownProduct"
	ErrTypeEmailRejected   = "EmailRejected"
	ErrTypeInvalidInput    = "InvalidInput"
	// ErrTypeSendKeyConflict: the follow-up's key is in the send log for another customer or kind
	// (lifecycle.ErrSendKeyConflict); retrying cannot help, and "sent" would be a lie.
	ErrTypeSendKeyConflict = "SendKeyConflict"
	// ErrTypeSendingPaused: the provider refuses the API key, so nothing was sent. Not the
	// follow-up's fault: the workflow keeps it and tries again after SendingPaused.RetryIn.
	ErrTypeSendingPaused = "SendingPaused"
)

// SendingPaused is the detail of an ErrTypeSendingPaused error.
type SendingPaused struct {
	RetryIn time.Duration // how long the follow-up waits before it tries again
	Reason  string        // the pause, for the workflow's decision
}

// DefaultSendingPausedRetry is how long a follow-up held without a SendingGate waits, and what
// the workflow waits when a SendingPaused error carries no RetryIn.
const DefaultSendingPausedRetry = time.Minute

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// LoadPolicy returns the worker's contact policy. The workflow runs it as a local activity at the
// start of every run, so a changed LIFECYCLE_CONFIG reaches running customers deterministically.
func (a *Activities) LoadPolicy(ctx context.Context) (lifecycle.Policy, error) {
	return a.Policy, nil
}

// RecordOutcomesInput is a batch of follow-up outcomes decided in one workflow task.
type RecordOutcomesInput struct {
	Outcomes []lifecycle.FollowUpOutcome
}

// RecordOutcomes stores the deferrals, skips and drops the customer's workflow decided for
// campaign follow-ups, so that `starter campaign status` can count them by reason. The workflow
// runs it as a local activity; it is a report, so its failure loses no email.
func (a *Activities) RecordOutcomes(ctx context.Context, in RecordOutcomesInput) error {
	return a.Store.RecordOutcomes(ctx, in.Outcomes)
}
