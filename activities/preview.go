package activities

import (
	"context"
	"fmt"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// PreviewInput is one follow-up of one customer, as the workflow would schedule it now.
type PreviewInput = SendFollowUpInput

// PreviewResult is the email a follow-up would send now. NotSent, when set, says why SendFollowUp
// would not send it: a customer without consent, a suppressed address or one the policy's holdout
// keeps back still gets an Email to look at; with nothing worth sending (no products in their
// sizes) Email is empty. The Reply-To of an email that can be answered (REPLY_DOMAIN) is left out:
// making one records the reply address, and a preview writes nothing.
type PreviewResult struct {
	Email   lifecycle.Email
	NotSent string
}

// Preview renders exactly what SendFollowUp would send for in now, from the same customer,
// preferences, products, templates, links and brand, and changes nothing: no send-log claim, no
// outcome, no metric, no provider call. It is a function rather than a method so that the worker
// does not register it as an activity.
func Preview(ctx context.Context, a *Activities, in PreviewInput) (PreviewResult, error) {
	customer, err := a.Store.Customer(ctx, in.CustomerID)
	if err != nil {
		return PreviewResult{}, fmt.Errorf("preview %s for %s: %w", in.FollowUp.Kind, in.CustomerID, err)
	}
	var res PreviewResult
	if skip, ok := mayReceive(customer, in.FollowUp.Kind); !ok {
		res.NotSent = skip.SkipReason
	}
	email, skip, err := a.compose(ctx, customer, in.FollowUp)
	if err != nil {
		return PreviewResult{}, fmt.Errorf("preview %s for %s: %w", in.FollowUp.Kind, in.CustomerID, err)
	}
	if skip.SkipReason != "" {
		res.NotSent = skip.SkipReason
		return res, nil
	}
	if h, ok := a.Policy.HoldoutFor(in.FollowUp); ok && h.Holds(in.CustomerID) && res.NotSent == "" {
		res.NotSent = h.String()
	}
	res.Email = email
	return res, nil
}
