package simulation

import (
	"context"
	"errors"
	"fmt"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// FromDB is a customer read from the shop's database (starter simulate --from-db ID). It replaces
// the scenario's customer block; when the scenario has no catalogue block, the products in stock
// become the catalogue. The simulation itself still runs against an in-memory Catalogue seeded
// with what was read: the database is only read, once, before the simulation starts.
type FromDB struct {
	Customer    lifecycle.Customer
	Preferences lifecycle.Preferences
	// Products is every product, oldest first (store.AllProducts), read only when the scenario
	// has no catalogue block; nil otherwise.
	Products []lifecycle.Product
	// Database names the database for the output, without its password (host:port/name).
	Database string
}

// DBReader is what ReadFromDB reads; *store.DB is one. Every method only reads.
type DBReader interface {
	Customer(ctx context.Context, id string) (lifecycle.Customer, error)
	Preferences(ctx context.Context, customerID string) (lifecycle.Preferences, error)
	AllProducts(ctx context.Context) ([]lifecycle.Product, error)
}

// ErrNoCustomer is returned by ReadFromDB when the database has no customer with the id.
var ErrNoCustomer = errors.New("no such customer")

// ReadFromDB reads customer id, their stored preferences and, when products is true, every
// product from db, which it names database in messages and in the output. It writes nothing.
func ReadFromDB(ctx context.Context, db DBReader, id, database string, products bool) (*FromDB, error) {
	c, err := db.Customer(ctx, id)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return nil, fmt.Errorf("no customer %q in the database at %s: check the id (starter status --customer ID) or import it first: %w", id, database, ErrNoCustomer)
	}
	if err != nil {
		return nil, fmt.Errorf("read customer %q from the database at %s: %w", id, database, err)
	}
	prefs, err := db.Preferences(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read the preferences of customer %q from the database at %s: %w", id, database, err)
	}
	f := &FromDB{Customer: c, Preferences: prefs, Database: database}
	if products {
		if f.Products, err = db.AllProducts(ctx); err != nil {
			return nil, fmt.Errorf("read the products from the database at %s: %w", database, err)
		}
	}
	return f, nil
}
