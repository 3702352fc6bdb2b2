package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// HandoffStore keeps the hand-offs to the shop (internal/store).
type HandoffStore interface {
	// OpenHandoff inserts h unless its id exists and returns the row as it stands.
	OpenHandoff(ctx context.Context, h lifecycle.Handoff) (lifecycle.Handoff, error)
	// Handoff returns the row, or an error wrapping lifecycle.ErrNotFound.
	Handoff(ctx context.Context, id string) (lifecycle.Handoff, error)
	// NoteHandoffReminded records that reminder n went out.
	NoteHandoffReminded(ctx context.Context, id string, n int) (lifecycle.Handoff, error)
}

// ShopWebhook posts a signed JSON body to the shop's own systems (internal/shopwebhook). An error
// with a Permanent() method that reports true will not succeed on a retry.
type ShopWebhook interface {
	Post(ctx context.Context, deliveryID string, body []byte) error
}

// KindShopNotice is the send-log kind of an email to the shop about a hand-off. Its rows have no
// customer id: the shop, not the customer, receives it, and no purchase is credited to it.
const KindShopNotice lifecycle.Kind = "handoff"

// ErrTypeShopWebhookRejected: the shop's webhook refused the POST for good (a 4xx other than 408
// and 429); the hand-off stays in PostgreSQL and `starter tasks`.
const ErrTypeShopWebhookRejected = "ShopWebhookRejected"

// NotifyHandoffInput is one notice to the shop: Reminder 0 opens the hand-off, 1 and 2 remind.
type NotifyHandoffInput struct {
	Handoff  lifecycle.Handoff
	Reminder int
	// RemindAfter is the policy's horizon, told to the shop ("reminder in 2d").
	RemindAfter time.Duration
}

// NotifyHandoffResult says whether the hand-off was found done, so that no reminder went out.
type NotifyHandoffResult struct {
	Done bool
}

// HandoffEvent is the JSON body posted to SHOP_WEBHOOK_URL. It is built from the input only, so
// every retry posts the same bytes under the same signature.
type HandoffEvent struct {
	Event      string    `json:"event"` // handoff.opened or handoff.reminder
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	Kind       string    `json:"kind"`
	What       string    `json:"what"`
	CreatedAt  time.Time `json:"created_at"`
	Reminder   int       `json:"reminder,omitempty"`
}

// NotifyHandoff records the hand-off (reminder 0) and tells the shop: an email to the shop's
// address, exactly once per notice (claimed in the send log under Handoff.NotifyKey, as
// SendFollowUp claims its key), and a signed POST to the shop's webhook, which Temporal retries
// until it is accepted. A reminder of a hand-off the shop already marked done sends nothing.
func (a *Activities) NotifyHandoff(ctx context.Context, in NotifyHandoffInput) (NotifyHandoffResult, error) {
	if a.Handoffs == nil {
		return NotifyHandoffResult{}, temporal.NewNonRetryableApplicationError("no hand-off store configured", ErrTypeInvalidInput, nil)
	}
	h := in.Handoff
	var err error
	if in.Reminder == 0 {
		h, err = a.Handoffs.OpenHandoff(ctx, h)
	} else {
		h, err = a.Handoffs.Handoff(ctx, h.ID)
	}
	if err != nil {
		return NotifyHandoffResult{}, classifyLookup(err, ErrTypeUnknownCustomer)
	}
	if in.Reminder > 0 && !h.DoneAt.IsZero() {
		return NotifyHandoffResult{Done: true}, nil
	}
	if err := a.emailShop(ctx, h, in); err != nil {
		return NotifyHandoffResult{}, err
	}
	if err := a.postShop(ctx, h, in.Reminder); err != nil {
		return NotifyHandoffResult{}, err
	}
	if in.Reminder > 0 {
		if _, err := a.Handoffs.NoteHandoffReminded(ctx, h.ID, in.Reminder); err != nil {
			return NotifyHandoffResult{}, err
		}
	}
	return NotifyHandoffResult{}, nil
}

func (a *Activities) emailShop(ctx context.Context, h lifecycle.Handoff, in NotifyHandoffInput) error {
	if a.ShopEmail == "" {
		return nil
	}
	key := h.NotifyKey(in.Reminder)
	email := shopNotice(h, in.Reminder, in.RemindAfter, a.ShopEmail)
	email.Key = key
	claim, err := a.Store.ClaimSend(ctx, lifecycle.SendRecord{Key: key, Kind: KindShopNotice, Subject: email.Subject})
	if errors.Is(err, lifecycle.ErrSendKeyConflict) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeSendKeyConflict, err)
	}
	if err != nil {
		return fmt.Errorf("claim shop notice %s: %w", key, err)
	}
	if claim.Status != lifecycle.SendClaimed {
		return nil // sent before, or refused for good before
	}
	messageID, err := a.Mailer.Send(ctx, email)
	if err != nil {
		var refused *lifecycle.SendError
		if errors.As(err, &refused) && refused.Permanent {
			if markErr := a.Store.MarkFailed(ctx, key, refused.Message); markErr != nil {
				return fmt.Errorf("mark %s failed after %v: %w", key, err, markErr)
			}
			return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeEmailRejected, err)
		}
		return fmt.Errorf("email the shop about %s: %w", h.ID, err)
	}
	if err := a.Store.MarkSent(ctx, key, messageID, a.now().UTC()); err != nil {
		return fmt.Errorf("mark %s sent: %w", key, err)
	}
	return nil
}

func (a *Activities) postShop(ctx context.Context, h lifecycle.Handoff, reminder int) error {
	if a.ShopWebhook == nil {
		return nil
	}
	ev := HandoffEvent{Event: "handoff.opened", ID: h.ID, CustomerID: h.CustomerID, Kind: string(h.Kind), What: h.What,
		CreatedAt: h.CreatedAt.UTC(), Reminder: reminder}
	if reminder > 0 {
		ev.Event = "handoff.reminder"
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, err)
	}
	err = a.ShopWebhook.Post(ctx, h.NotifyKey(reminder), body)
	var permanent interface{ Permanent() bool }
	if errors.As(err, &permanent) && permanent.Permanent() {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeShopWebhookRejected, err)
	}
	return err
}

// shopNotice is the email to the shop about h: plain, in English, naming the customer and what to do.
func shopNotice(h lifecycle.Handoff, reminder int, remindAfter time.Duration, to string) lifecycle.Email {
	what := map[lifecycle.HandoffKind]string{
		lifecycle.HandoffOfferAccepted: "said yes to an offer",
		lifecycle.HandoffUnhappy:       "is not happy with a purchase",
		lifecycle.HandoffContactAsked:  "asks to be contacted",
	}[h.Kind]
	if what == "" {
		what = "needs the shop (" + string(h.Kind) + ")"
	}
	subject := fmt.Sprintf("Hand-off: customer %s %s", h.CustomerID, what)
	if reminder > 0 {
		subject = fmt.Sprintf("Reminder %d: %s", reminder, subject)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Customer %s %s: %s\n\n", h.CustomerID, what, h.What)
	fmt.Fprintf(&b, "Opened %s. ", h.CreatedAt.UTC().Format(time.RFC3339))
	if reminder > 0 {
		fmt.Fprintf(&b, "It is still open; this is reminder %d of %d.", reminder, lifecycle.MaxHandoffReminders)
	} else if remindAfter > 0 {
		fmt.Fprintf(&b, "The customer was told the shop will be in touch; a reminder follows if it is still open after %s.", remindAfter)
	}
	fmt.Fprintf(&b, "\n\nWhen it is done: starter tasks done %s\n", h.ID)
	text := b.String()
	return lifecycle.Email{Kind: KindShopNotice, ToEmail: to, Subject: subject, Text: text,
		HTML: "<pre>" + html.EscapeString(text) + "</pre>"}
}
