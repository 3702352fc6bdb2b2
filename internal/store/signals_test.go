package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// outboxFixture is setup's bundle with customers a and b and product TR-BLU-32 imported.
func outboxFixture(t *testing.T) bundle {
	t.Helper()
	b := setup(t)
	b.importCustomers(t, "id,name,email,locale,timezone,colors,sizes,consent\na,A,a@example.com,en,UTC,,,true\nb,B,b@example.com,en,UTC,,,true\n")
	b.importProducts(t, "sku,product,name,category,color,size,price,stock,collections\nTR-BLU-32,chino,Chino,trousers,blue,32,79.95,3,\n")
	return b
}

func purchaseOwing(id, customer, sku string) store.PurchaseOwing {
	return store.PurchaseOwing{
		Purchase: lifecycle.Purchase{ID: id, CustomerID: customer, SKU: sku, At: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)},
		Signal:   store.OwedSignal{EventID: "purchase/" + id, CustomerID: customer, Signal: "purchase", Payload: json.RawMessage(`{"PurchaseID":"` + id + `"}`)},
	}
}

// The purchase and its signal commit together: a batch with a bad line records neither, a failed
// delivery leaves the signal owed, and recording the same purchase again owes nothing new.
func TestPurchasesOweTheirSignalInTheirTransaction(t *testing.T) {
	b := outboxFixture(t)

	_, err := b.s.RecordPurchases(b.ctx, []store.PurchaseOwing{purchaseOwing("p1", "a", "TR-BLU-32"), purchaseOwing("p2", "a", "NO-SUCH-SKU")})
	require.ErrorIs(t, err, lifecycle.ErrNotFound, "batch with an unknown SKU")
	requireOwed(t, b.s, 0, "after a batch that failed on its second line")
	recorded, err := b.s.EventRecorded(b.ctx, "purchase/p1")
	require.NoError(t, err)
	require.False(t, recorded, "purchase/p1 of the failed batch must not be owed")

	res, err := b.s.RecordPurchases(b.ctx, []store.PurchaseOwing{purchaseOwing("p1", "a", "TR-BLU-32")})
	require.NoError(t, err)
	require.True(t, res[0].New)
	requireOwed(t, b.s, 1, "after purchase p1")

	down := errors.New("frontend unavailable")
	n, err := b.s.RelaySignals(b.ctx, nil, func(context.Context, store.OwedSignal) error { return down })
	require.ErrorIs(t, err, down)
	require.Zero(t, n)
	requireOwed(t, b.s, 1, "after a failed delivery of purchase/p1")

	res, err = b.s.RecordPurchases(b.ctx, []store.PurchaseOwing{purchaseOwing("p1", "a", "TR-BLU-32")})
	require.NoError(t, err)
	require.False(t, res[0].New, "p1 recorded again")
	requireOwed(t, b.s, 1, "after recording p1 again (still the one owed)")

	var got []store.OwedSignal
	n, err = b.s.RelaySignals(b.ctx, nil, func(_ context.Context, s store.OwedSignal) error { got = append(got, s); return nil })
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, "purchase/p1", got[0].EventID)
	assert.Equal(t, 2, got[0].Attempts, "the failed attempt and this one")
	assert.JSONEq(t, `{"PurchaseID":"p1"}`, string(got[0].Payload))
	requireOwed(t, b.s, 0, "after delivery")

	// Delivered, then recorded again (an import run twice): nothing new owed.
	res, err = b.s.RecordPurchases(b.ctx, []store.PurchaseOwing{purchaseOwing("p1", "a", "TR-BLU-32")})
	require.NoError(t, err)
	require.False(t, res[0].New)
	fresh, err := b.s.Owe(b.ctx, []store.OwedSignal{purchaseOwing("p1", "a", "TR-BLU-32").Signal})
	require.NoError(t, err)
	require.Equal(t, []bool{false}, fresh, "owing a delivered event id again")
	requireOwed(t, b.s, 0, "after recording a delivered purchase again")
}

// One customer's signals are delivered in the order written; a refused one holds back that
// customer's later ones (and the round), and nothing is delivered twice.
func TestRelayKeepsEachCustomersOrder(t *testing.T) {
	b := outboxFixture(t)
	sig := func(id, customer string) store.OwedSignal {
		return store.OwedSignal{EventID: id, CustomerID: customer, Signal: "usage", Payload: json.RawMessage(`{}`)}
	}
	fresh, err := b.s.Owe(b.ctx, []store.OwedSignal{sig("u/a/1", "a"), sig("u/b/1", "b"), sig("u/a/2", "a"), sig("u/a/3", "a"), sig("u/a/1", "a")})
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, true, true, false}, fresh)

	_, err = b.s.Owe(b.ctx, []store.OwedSignal{sig("u/x/1", "nobody")})
	require.ErrorIs(t, err, lifecycle.ErrNotFound, "owing a signal to an unknown customer")

	refuse := "u/a/2"
	var got []string
	deliver := func(_ context.Context, s store.OwedSignal) error {
		if s.EventID == refuse {
			return errors.New("refused " + s.EventID)
		}
		got = append(got, s.EventID)
		return nil
	}
	_, err = b.s.RelaySignals(b.ctx, []string{"a"}, deliver)
	require.Error(t, err)
	require.Equal(t, []string{"u/a/1"}, got, "a's signals up to the refused one")

	refuse = ""
	n, err := b.s.RelaySignals(b.ctx, nil, deliver)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, []string{"u/a/1", "u/b/1", "u/a/2", "u/a/3"}, got,
		"b (never tried) first, then a's in order, u/a/1 once")
	requireOwed(t, b.s, 0, "after all were delivered")
}

// A relay holding a customer's oldest signal (its lease) keeps every other relay off that
// customer's signals, so a later one cannot overtake it.
func TestLeaseKeepsOtherRelaysOffTheCustomer(t *testing.T) {
	b := outboxFixture(t)
	sig := func(id, customer string) store.OwedSignal {
		return store.OwedSignal{EventID: id, CustomerID: customer, Signal: "usage", Payload: json.RawMessage(`{}`)}
	}
	_, err := b.s.Owe(b.ctx, []store.OwedSignal{sig("u/a/1", "a"), sig("u/a/2", "a"), sig("u/b/1", "b")})
	require.NoError(t, err)

	var second []string
	n, err := b.s.RelaySignals(b.ctx, []string{"a"}, func(ctx context.Context, s store.OwedSignal) error {
		if s.EventID != "u/a/1" {
			return nil
		}
		// While u/a/1 is being delivered, a second relay runs: it must not touch a's signals.
		_, err := b.s.RelaySignals(ctx, nil, func(_ context.Context, s store.OwedSignal) error {
			second = append(second, s.EventID)
			return nil
		})
		return err
	})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, []string{"u/b/1"}, second, "the second relay, while a's first signal is leased")
}
