package activities

import (
	"context"
	"errors"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Contact is what a workflow run needs to know about how to reach the customer.
type Contact struct {
	Timezone string // IANA; "" when unknown
}

// LoadContact reads the customer's time zone for quiet hours. A workflow runs it as a local
// activity once per run. An unknown customer yields a non-retryable error.
func (a *Activities) LoadContact(ctx context.Context, customerID string) (Contact, error) {
	c, err := a.Store.Customer(ctx, customerID)
	if err != nil {
		return Contact{}, classifyLookup(err, ErrTypeUnknownCustomer)
	}
	return Contact{Timezone: c.Timezone}, nil
}

// SavePreferencesInput is the customer's own edit of their preferences.
type SavePreferencesInput struct {
	CustomerID  string
	Preferences lifecycle.Preferences
}

// SavePreferences replaces the stored colours, sizes and categories with the customer's edit.
// Idempotent: saving the same lists again changes nothing.
func (a *Activities) SavePreferences(ctx context.Context, in SavePreferencesInput) error {
	err := a.Store.SetPreferences(ctx, in.CustomerID, in.Preferences)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return classifyLookup(err, ErrTypeUnknownCustomer)
	}
	return err
}
