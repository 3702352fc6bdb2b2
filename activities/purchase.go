package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// RecordPurchaseInput is one purchase to store.
type RecordPurchaseInput struct {
	Purchase lifecycle.Purchase
}

// RecordPurchaseResult is the bought product and what the shop now knows the customer likes.
type RecordPurchaseResult struct {
	Product     lifecycle.Product
	Preferences lifecycle.Preferences
}

// RecordPurchase stores a purchase, learns preferences and opens a wish for a wanted colour.
// Idempotent on the purchase ID.
func (a *Activities) RecordPurchase(ctx context.Context, in RecordPurchaseInput) (RecordPurchaseResult, error) {
	p := in.Purchase
	if _, err := a.Store.Customer(ctx, p.CustomerID); err != nil {
		return RecordPurchaseResult{}, classifyLookup(err, ErrTypeUnknownCustomer)
	}
	product, prefs, err := a.Store.RecordPurchase(ctx, p)
	if err != nil {
		return RecordPurchaseResult{}, classifyLookup(err, ErrTypeUnknownProduct)
	}
	return RecordPurchaseResult{Product: product, Preferences: prefs}, nil
}

// classifyLookup makes a missing record a non-retryable error of errType; anything else (a
// database outage) is returned as is, so Temporal retries it.
func classifyLookup(err error, errType string) error {
	if errors.Is(err, lifecycle.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), errType, err)
	}
	return fmt.Errorf("%s lookup: %w", errType, err)
}
