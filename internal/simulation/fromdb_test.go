package simulation_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/simulation"
)

func TestParseScenarioFromDB(t *testing.T) {
	db := &simulation.FromDB{
		Customer: lifecycle.Customer{ID: "ines", Name: "Ines Vos", Email: "ines@example.com", Locale: "nl",
			Timezone: "Europe/Amsterdam", MarketingConsent: true},
		Preferences: lifecycle.Preferences{Sizes: []string{"48"}},
		Products: []lifecycle.Product{ // oldest first
			{SKU: "OLD", Product: "old", Category: "suits", Stock: 1},
			{SKU: "GONE", Product: "gone", Category: "suits", Stock: 0},
			{SKU: "NEW", Product: "new", Category: "suits", Stock: 2},
		},
		Database: "db.example:5432/shop",
	}
	raw := []byte("customer: {id: other, email: other@example.com}\nevents:\n  - {day: 0, at: \"12:00\", purchase: {sku: NEW}}\n")
	sc, err := simulation.ParseScenarioFrom(raw, "s.yaml", db)
	require.NoError(t, err)
	require.Equal(t, db.Customer, sc.Customer, "the database wins over the customer block")
	require.Equal(t, []string{"48"}, sc.Preferences.Sizes)
	require.Equal(t, "the database at db.example:5432/shop, read-only (marketing consent yes; no colors; sizes 48; no categories); the scenario's customer block (line 1) is ignored", sc.CustomerFrom)
	require.Equal(t, []lifecycle.Product{db.Products[0], db.Products[2]}, sc.Products, "the products in stock, oldest first")
	require.Equal(t, "the 2 product(s) in stock in the database at db.example:5432/shop", sc.CatalogueFrom)
	require.Equal(t, "2026-01-05T11:00:00Z", sc.Events[0].At.Format("2006-01-02T15:04:05Z07:00"), "at is Amsterdam time")

	_, err = simulation.ParseScenario(raw[len("customer: {id: other, email: other@example.com}\n"):], "s.yaml")
	require.ErrorContains(t, err, "customer is missing")

	_, err = simulation.ReadFromDB(context.Background(), fakeDB{}, "ghost", "db.example:5432/shop", false)
	require.ErrorIs(t, err, simulation.ErrNoCustomer)
	require.ErrorContains(t, err, `no customer "ghost" in the database at db.example:5432/shop`)
}

type fakeDB struct{}

func (fakeDB) Customer(context.Context, string) (lifecycle.Customer, error) {
	return lifecycle.Customer{}, lifecycle.ErrNotFound
}
func (fakeDB) Preferences(context.Context, string) (lifecycle.Preferences, error) {
	return lifecycle.Preferences{}, errors.New("unused")
}
func (fakeDB) AllProducts(context.Context) ([]lifecycle.Product, error) {
	return nil, errors.New("unused")
}
