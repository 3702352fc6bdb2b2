package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// SendFollowUpInput is one follow-up of one customer.
type SendFollowUpInput struct {
	CustomerID string
	FollowUp   lifecycle.FollowUp
}

// SendFollowUpResult says whether the email went out, and if not, why.
type SendFollowUpResult struct {
	Sent       bool
	Subject    string
	MessageID  string
	SentAt     time.Time
	SkipReason string // set when Sent is false: the sentence, for people
	// SkipCode is the skip's reason code, for metrics and campaign summaries. Results recorded
	// before it existed have none (see workflows.Decision.ReasonCode).
	SkipCode lifecycle.ReasonCode `json:",omitempty"`
	// HeldOut: the customer is in the follow-up's holdout. Everything up to the send was decided
	// as for an email (Subject is the subject it would have had) and the outcome held_out is
	// recorded; nothing went to the provider. SkipReason says which holdout.
	HeldOut bool `json:",omitempty"`
}

// SendFollowUp fetches the customer's preferences, picks the matching products, renders the email
// and sends it, exactly once per follow-up key: the key is claimed in the send log before the
// provider is called, and a key already sent returns the earlier result without sending again.
//
// While the provider refuses the API key (SendingGate), the follow-up is held: a non-retryable
// ErrTypeSendingPaused error after which the workflow keeps it and tries again. A refusal leaves
// the claim in place, so the attempt that finds the key working sends once.
//
// The window that remains is the provider accepting while we never learn or record it: a worker
// crash before MarkSent, a reply lost to the HTTP timeout, or PostgreSQL failing on MarkSent. The
// retry finds the claim and sends again, so delivery is at-least-once within that window
// (measured in docs/RELIABILITY.md).
func (a *Activities) SendFollowUp(ctx context.Context, in SendFollowUpInput) (res SendFollowUpResult, err error) {
	f := in.FollowUp
	defer func() {
		if err == nil && !res.Sent && res.SkipCode == "" {
			res.SkipCode = SkipOther
		}
		if err == nil && !res.Sent && !res.HeldOut && f.Kind.Campaign() {
			// A campaign's summary counts skips by reason; the retry of a failed write skips again.
			err = a.Store.RecordOutcomes(ctx, []lifecycle.FollowUpOutcome{{
				Key: f.Key, CustomerID: in.CustomerID, Kind: f.Kind, Outcome: "skipped", Reason: res.SkipCode, At: a.now().UTC(),
			}})
		}
		a.countEmail(f.Kind, res, err)
	}()
	if a.Gate != nil {
		// While the provider refuses the API key, a held follow-up costs no query and no claim:
		// a long outage retries many of them. The one let through probes the key.
		if pause, wait, held := a.Gate.Hold(ctx); held {
			return SendFollowUpResult{}, sendingPaused(pause, wait)
		}
	}
	customer, err := a.Store.Customer(ctx, in.CustomerID)
	if err != nil {
		return SendFollowUpResult{}, classifyLookup(err, ErrTypeUnknownCustomer)
	}
	switch {
	case customer.Suppressed:
		return SendFollowUpResult{SkipReason: "address suppressed by the mail provider", SkipCode: SkipSuppressed}, nil
	case !f.Kind.Transactional() && !customer.MarketingConsent:
		return SendFollowUpResult{SkipReason: "no marketing consent", SkipCode: SkipNoConsent}, nil
	}
	prefs, err := a.Store.Preferences(ctx, in.CustomerID)
	if err != nil {
		return SendFollowUpResult{}, fmt.Errorf("load preferences of %s: %w", in.CustomerID, err)
	}
	offers, skip, err := a.pickOffers(ctx, in.CustomerID, f, prefs)
	if err != nil || skip != "" {
		return SendFollowUpResult{SkipReason: skip, SkipCode: SkipNoProducts}, err
	}
	email, err := render(customer, prefs, f, offers, a.Links, a.Policy, a.Signature)
	if err != nil {
		return SendFollowUpResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, err)
	}
	if h, ok := a.Policy.HoldoutFor(f); ok && h.Holds(in.CustomerID) {
		return a.holdOut(ctx, in.CustomerID, f, h, email.Subject)
	}
	if a.Replies != nil {
		// Recorded before the claim and the send, on every attempt (an insert that changes
		// nothing the second time): a reply can never arrive for an address not yet recorded.
		if email.ReplyTo, err = a.Replies.ReplyTo(ctx, in.CustomerID, f.Key, f.Kind); err != nil {
			return SendFollowUpResult{}, classifyLookup(err, ErrTypeUnknownCustomer)
		}
	}

	claim, err := a.Store.ClaimSend(ctx, lifecycle.SendRecord{
		Key: f.Key, CustomerID: in.CustomerID, Kind: f.Kind, Subject: email.Subject, Behaviour: f.Behaviour,
	})
	if errors.Is(err, lifecycle.ErrSendKeyConflict) {
		return SendFollowUpResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeSendKeyConflict, err)
	}
	if err != nil {
		return SendFollowUpResult{}, fmt.Errorf("claim send %s: %w", f.Key, err)
	}
	switch claim.Status {
	case lifecycle.SendSent:
		return SendFollowUpResult{Sent: true, Subject: claim.Subject, MessageID: claim.MessageID, SentAt: claim.SentAt}, nil
	case lifecycle.SendFailed:
		return SendFollowUpResult{SkipReason: "refused earlier by the mail provider: " + claim.Error, SkipCode: SkipOther}, nil
	}

	messageID, err := a.Mailer.Send(ctx, email)
	if err != nil {
		return SendFollowUpResult{}, a.classifySendError(ctx, f.Key, err)
	}
	if a.Gate != nil {
		a.Gate.Accepted(ctx)
	}
	sentAt := a.now().UTC()
	if err := a.Store.MarkSent(ctx, f.Key, messageID, sentAt); err != nil {
		return SendFollowUpResult{}, fmt.Errorf("mark %s sent: %w", f.Key, err)
	}
	if f.Kind == lifecycle.KindRestock && f.WishID != "" {
		if err := a.Store.CloseWish(ctx, in.CustomerID, f.WishID); err != nil {
			return SendFollowUpResult{}, fmt.Errorf("close wish %s: %w", f.WishID, err)
		}
	}
	return SendFollowUpResult{Sent: true, Subject: email.Subject, MessageID: messageID, SentAt: sentAt}, nil
}

// holdOut records f as held out instead of sending it: everything before was decided as for an
// email. The outcome (key f.Key, in followup_outcomes) is final, so a retry records nothing new and
// keeps the first decision's time, from which the holdout's purchases are counted. A restock's
// wish is closed as its email would have closed it: the control must be treated like the emailed.
func (a *Activities) holdOut(ctx context.Context, customerID string, f lifecycle.FollowUp, h lifecycle.Holdout, subject string) (SendFollowUpResult, error) {
	if err := a.Store.RecordOutcomes(ctx, []lifecycle.FollowUpOutcome{{
		Key: f.Key, CustomerID: customerID, Kind: f.Kind, Outcome: lifecycle.OutcomeHeldOut, Reason: lifecycle.ReasonHeldOut,
		At: a.now().UTC(), Behaviour: f.Behaviour,
	}}); err != nil {
		return SendFollowUpResult{}, fmt.Errorf("record %s held out: %w", f.Key, err)
	}
	if f.Kind == lifecycle.KindRestock && f.WishID != "" {
		if err := a.Store.CloseWish(ctx, customerID, f.WishID); err != nil {
			return SendFollowUpResult{}, fmt.Errorf("close wish %s: %w", f.WishID, err)
		}
	}
	return SendFollowUpResult{HeldOut: true, Subject: subject, SkipReason: h.String(), SkipCode: lifecycle.ReasonHeldOut}, nil
}

// pickOffers chooses the products to show. A non-empty skip reason means there is nothing worth
// sending. A sale or a selection never offers a SKU the customer bought, unless its category is
// bought again (the policy's vocabulary: repeat).
func (a *Activities) pickOffers(ctx context.Context, customerID string, f lifecycle.FollowUp, prefs lifecycle.Preferences) ([]lifecycle.Offer, string, error) {
	switch f.Kind {
	case lifecycle.KindRestock:
		if f.Product == nil {
			return nil, "", temporal.NewNonRetryableApplicationError("restock follow-up without a product", ErrTypeInvalidInput, nil)
		}
		p, err := a.Store.Product(ctx, f.Product.SKU)
		if err != nil {
			return nil, "", classifyLookup(err, ErrTypeUnknownProduct)
		}
		if p.Stock <= 0 {
			return nil, fmt.Sprintf("%s is out of stock again", p.SKU), nil
		}
		return []lifecycle.Offer{{Product: p, OfferCents: p.PriceCents}}, "", nil

	case lifecycle.KindConfirmation:
		return nil, "", nil // the confirmation repeats the accepted offer's subject only

	case lifecycle.KindSale:
		// Preferences hold the categories stated at import and those of every purchase.
		if !slices.Contains(prefs.Categories, lifecycle.Normalize(f.Category)) {
			return nil, fmt.Sprintf("sale on %s: not a category the customer bought or likes", f.Category), nil
		}
		products, err := a.Store.Products(ctx, lifecycle.ProductQuery{Category: f.Category, Sizes: prefs.Sizes, Colors: prefs.Colors,
			NotBoughtBy: customerID, Repeat: a.Policy.Vocabulary.Repeat})
		if err != nil {
			return nil, "", fmt.Errorf("find sale products in %s: %w", f.Category, err)
		}
		if len(products) == 0 {
			return nil, fmt.Sprintf("no %s in stock in the customer's sizes and colours", f.Category), nil
		}
		return withDiscount(products, f.DiscountPct), "", nil

	case lifecycle.KindSeason:
		return a.newestInSizes(ctx, customerID, f.Kind, f.Collection, prefs)

	case lifecycle.KindInvitation, lifecycle.KindWinback:
		// What is new, in the customer's sizes, at full price: an ambassador's early access needs
		// no discount, and a win-back should not teach a leaver to wait for one.
		return a.newestInSizes(ctx, customerID, f.Kind, "", prefs)

	case lifecycle.KindOffer:
		// The bundle is the offer; without one there is nothing to say.
		if f.BundleOffer == nil {
			return nil, "", temporal.NewNonRetryableApplicationError("offer follow-up without a bundle offer", ErrTypeInvalidInput, nil)
		}
		return nil, "", nil

	case lifecycle.KindCare, lifecycle.KindCheckin, lifecycle.KindFeedback, lifecycle.KindExit, lifecycle.KindService:
		return nil, "", nil // tips, a question or a service message: no products
	}
	return nil, "", temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown follow-up kind %q", f.Kind), ErrTypeInvalidInput, nil)
}

// newestInSizes offers the newest in-stock products of collection ("" for any) in the customer's
// sizes and colours, or in their sizes only when nothing comes in their colours; never a SKU they
// bought, unless its category is bought again.
func (a *Activities) newestInSizes(ctx context.Context, customerID string, kind lifecycle.Kind, collection string, prefs lifecycle.Preferences) ([]lifecycle.Offer, string, error) {
	q := lifecycle.ProductQuery{Collection: collection, Sizes: prefs.Sizes, Colors: prefs.Colors,
		NotBoughtBy: customerID, Repeat: a.Policy.Vocabulary.Repeat}
	products, err := a.Store.Products(ctx, q)
	if err == nil && len(products) == 0 {
		q.Colors = nil // nothing in their colours: their size only
		products, err = a.Store.Products(ctx, q)
	}
	if err != nil {
		return nil, "", fmt.Errorf("find %s products in %q: %w", kind, collection, err)
	}
	if len(products) == 0 {
		return nil, "nothing in stock in the customer's sizes", nil
	}
	return withDiscount(products, 0), "", nil
}

func withDiscount(products []lifecycle.Product, pct int) []lifecycle.Offer {
	offers := make([]lifecycle.Offer, len(products))
	for i, p := range products {
		offers[i] = lifecycle.Offer{Product: p, OfferCents: lifecycle.Discounted(p.PriceCents, pct)}
	}
	return offers
}

// classifySendError turns a refused API key into a pause of all sending (the follow-up waits, its
// claim stays), a provider refusal of the email into a non-retryable error (recorded as failed in
// the send log), a rate limit into a retry after the provider's reset time, and anything else
// into a plain error that Temporal retries.
func (a *Activities) classifySendError(ctx context.Context, key string, err error) error {
	var refused *lifecycle.SendError
	if !errors.As(err, &refused) {
		return err
	}
	if refused.AuthRefused {
		pause, wait := lifecycle.SendingPause{Since: a.now(), Status: refused.Status, Message: refused.Message}, DefaultSendingPausedRetry
		if a.Gate != nil {
			pause, wait = a.Gate.Refused(ctx, refused)
		}
		return sendingPaused(pause, wait)
	}
	if a.Gate != nil && refused.Status >= 400 && refused.Status < 500 {
		// Any other 4xx (400, 413, 429) means the provider authenticated the request: the key
		// works, so a pause ends here rather than one probe interval later.
		a.Gate.Accepted(ctx)
	}
	if refused.Permanent {
		if markErr := a.Store.MarkFailed(ctx, key, refused.Message); markErr != nil {
			return fmt.Errorf("mark %s failed after %v: %w", key, err, markErr)
		}
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeEmailRejected, err)
	}
	if refused.RetryAfter > 0 {
		return temporal.NewApplicationErrorWithOptions(err.Error(), "RateLimited", temporal.ApplicationErrorOptions{
			NextRetryDelay: refused.RetryAfter,
			Cause:          err,
		})
	}
	return err
}

// sendingPaused is the error of a follow-up held by a pause of all sending: non-retryable, so
// that the workflow, not the activity's retry policy and its 24 h limit, decides when it tries
// again (workflows: sendFollowUp).
func sendingPaused(pause lifecycle.SendingPause, wait time.Duration) error {
	reason := pause.String()
	return temporal.NewNonRetryableApplicationError(reason, ErrTypeSendingPaused, nil, SendingPaused{RetryIn: wait, Reason: reason})
}
