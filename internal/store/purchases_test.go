package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/store"
)

// SignalPayload writes the owed signal from what the transaction recorded (the workflow then needs
// no RecordPurchase activity): called once, for a new purchase only, with the preferences the
// purchase was merged into and the result; an error from it records nothing.
func TestPurchaseSignalPayloadFromTheTransaction(t *testing.T) {
	b := outboxFixture(t)
	var calls []store.RecordedPurchase
	owing := func(id string, fail error) store.PurchaseOwing {
		p := purchaseOwing(id, "a", "TR-BLU-32")
		p.Purchase.WantedColor = "grey"
		p.SignalPayload = func(r store.RecordedPurchase) (json.RawMessage, error) {
			calls = append(calls, r)
			if fail != nil {
				return nil, fail
			}
			return json.Marshal(map[string]any{"PurchaseID": id, "Colors": r.Preferences.Colors, "Before": r.PreferencesBefore.Colors})
		}
		return p
	}

	broken := errors.New("cannot encode")
	_, err := b.s.RecordPurchases(b.ctx, []store.PurchaseOwing{owing("p0", broken)})
	require.ErrorIs(t, err, broken)
	requireOwed(t, b.s, 0, "after a payload that could not be written")

	res, err := b.s.RecordPurchases(b.ctx, []store.PurchaseOwing{owing("p1", nil), owing("p2", nil)})
	require.NoError(t, err)
	require.Len(t, calls, 3, "p0 (failed), p1, p2")
	assert.Empty(t, calls[1].PreferencesBefore.Colors, "p1 learned from nothing")
	assert.Equal(t, []string{"blue", "grey"}, calls[1].Preferences.Colors, "bought blue, wanted grey")
	assert.Equal(t, calls[1].Preferences, calls[2].PreferencesBefore, "p2 learned from what p1 left")
	assert.Equal(t, res[1], calls[2], "the payload sees what the caller gets back")

	_, err = b.s.RecordPurchases(b.ctx, []store.PurchaseOwing{owing("p1", nil)})
	require.NoError(t, err)
	require.Len(t, calls, 3, "a purchase recorded before owes nothing and writes no payload")

	var got []store.OwedSignal
	_, err = b.s.RelaySignals(b.ctx, nil, func(_ context.Context, s store.OwedSignal) error { got = append(got, s); return nil })
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.JSONEq(t, `{"PurchaseID":"p1","Colors":["blue","grey"],"Before":[]}`, string(got[0].Payload))
	assert.JSONEq(t, `{"PurchaseID":"p2","Colors":["blue","grey"],"Before":["blue","grey"]}`, string(got[1].Payload))

}
