package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// Stopping learning on the preference page is stored with the signal that tells the workflow, so
// a purchase right after it teaches nothing even while Temporal is down; the workflow gets the
// choice in the signal once it is delivered.
func TestPreferencesStopLearningBeforeTheWorkflowHears(t *testing.T) {
	st, lc, ev, now := fixture(t)
	ctx := context.Background()
	lc.down = errors.New("frontend unavailable")
	stop := workflows.PreferencesSignal{Preferences: lifecycle.Preferences{Colors: []string{"red"}}, Kinds: []lifecycle.Kind{lifecycle.KindSale}, StopLearning: true}
	res, err := ev.Preferences(ctx, events.Preferences{CustomerID: "ann", Signal: stop})
	require.NoError(t, err)
	assert.True(t, res.New)
	assert.ErrorIs(t, res.DeliveryError, lc.down, "the signal stays owed")

	stoppedAt, err := st.LearningStopped(ctx, "ann")
	require.NoError(t, err)
	assert.False(t, stoppedAt.IsZero(), "learning stopped in the store before the workflow heard it")
	before, err := st.Preferences(ctx, "ann")
	require.NoError(t, err)
	p, err := ev.Purchase(ctx, events.Purchase{ID: "o1-1", CustomerID: "ann", SKU: "TR-BLU-32", At: now})
	require.NoError(t, err)
	assert.Equal(t, before, p.Preferences, "a purchase after stopping teaches nothing")

	lc.down = nil
	_, err = ev.Relay(ctx, nil)
	require.NoError(t, err)
	require.NotEmpty(t, lc.got)
	first := lc.got[0]
	assert.Equal(t, workflows.SignalPreferences, first.Signal)
	var got workflows.PreferencesSignal
	raw, err := json.Marshal(first.Payload)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &got))
	assert.True(t, got.StopLearning, "the workflow hears that learning stopped: %s", raw)
	bought, ok := lc.got[1].Payload.(workflows.PurchaseSignal)
	require.True(t, ok, "the purchase follows the edit: %+v", lc.got)
	require.NotNil(t, bought.Recorded)
	assert.Equal(t, bought.Recorded.PreferencesBefore, bought.Recorded.Preferences, "the purchase's signal says it taught nothing")

	// Saving the page again with the box unticked lets the shop learn again.
	_, err = ev.Preferences(ctx, events.Preferences{CustomerID: "ann", Signal: workflows.PreferencesSignal{Kinds: []lifecycle.Kind{lifecycle.KindSale}}})
	require.NoError(t, err)
	stoppedAt, err = st.LearningStopped(ctx, "ann")
	require.NoError(t, err)
	assert.True(t, stoppedAt.IsZero(), "learning again")

	_, err = ev.Preferences(ctx, events.Preferences{CustomerID: "nobody", Signal: stop})
	assert.ErrorIs(t, err, lifecycle.ErrNotFound)
}
