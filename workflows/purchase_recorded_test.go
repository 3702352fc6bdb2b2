package workflows_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// countActivities counts the activities the harness's workflow starts, by name.
func countActivities(h *harness) func(name string) int {
	var mu sync.Mutex
	started := map[string]int{}
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		mu.Lock()
		defer mu.Unlock()
		started[info.ActivityType.Name]++
	})
	return func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return started[name]
	}
}

// recordedSignal is the purchase signal the event layer owes: the purchase as recorded, with the
// stored preferences before and after it.
func recordedSignal(id string, p lifecycle.Product, before, after lifecycle.Preferences) workflows.PurchaseSignal {
	return workflows.PurchaseSignal{PurchaseID: id, SKU: p.SKU, At: storyStart,
		Recorded: &workflows.PurchaseRecorded{Product: p, PreferencesBefore: before, Preferences: after}}
}

var blueTrousers = lifecycle.Product{SKU: "TR-BLUE-50", Product: "classic-trousers", Name: "Classic trousers", Category: "trousers", Color: "blue", Size: "50", PriceCents: 8900}

// A purchase signal that carries what was recorded runs no RecordPurchase activity: the workflow
// takes the product and the preferences from it, the first time even though the customer's stored
// preferences (size 50, imported) were never read into the workflow.
func TestRecordedPurchaseRunsNoActivity(t *testing.T) {
	h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
	started := countActivities(h)
	before := lifecycle.Preferences{Sizes: []string{"50"}}
	after := lifecycle.Preferences{Colors: []string{"blue"}, Sizes: []string{"50"}, Categories: []string{"trousers"}}
	h.signal(0, workflows.SignalPurchase, recordedSignal("p1", blueTrousers, before, after))
	h.requireCanceled(h.runUntil(day, workflows.CustomerLifecycleInput{CustomerID: "david", Version: workflows.CurrentVersion}))

	require.Zero(t, started("RecordPurchase"), "the purchase was recorded with the signal")
	require.Equal(t, after, h.status.Preferences)
	require.Equal(t, workflows.StagePurchased, h.status.Stage)
	require.Len(t, h.status.Purchases, 1)
	require.Equal(t, "Classic trousers", h.status.Purchases[0].Name)
	require.True(t, slices.ContainsFunc(h.status.Pending, func(f workflows.PendingStatus) bool { return f.Kind == lifecycle.KindSeason }),
		"the season fallback is scheduled as after the activity: %+v", h.status.Pending)
}

// A preference edit saved after the purchase was recorded but handled before it (the customer
// removed the learned "blue") makes the carried preferences stale: the workflow runs RecordPurchase
// and reads what is stored, so "blue" does not come back. The same for a workflow started before
// the change (no version in its input), which asks the GetVersion gate at its first recorded purchase.
func TestRecordedPurchaseAfterAnEditRunsTheActivity(t *testing.T) {
	for _, version := range []int{0, workflows.CurrentVersion} {
		st := newStore(t)
		h := newHarness(t, st, lifecycle.DefaultPolicy())
		started := countActivities(h)
		withBlue := lifecycle.Preferences{Colors: []string{"blue"}, Sizes: []string{"50"}, Categories: []string{"trousers"}}
		h.signal(0, workflows.SignalPurchase, recordedSignal("p1", blueTrousers, lifecycle.Preferences{Sizes: []string{"50"}}, withBlue))
		// The customer removes "blue"; a second blue purchase was recorded before the edit was saved.
		edited := lifecycle.Preferences{Sizes: []string{"50"}, Categories: []string{"trousers"}}
		h.signal(day, workflows.SignalPreferences, workflows.PreferencesSignal{Preferences: edited})
		chinos := lifecycle.Product{SKU: "CH-GREY-50", Product: "chinos", Name: "Chinos", Category: "trousers", Color: "grey", Size: "50", PriceCents: 6900}
		stale := withBlue.Merge(lifecycle.Preferences{Colors: []string{"grey"}})
		h.signal(2*day, workflows.SignalPurchase, recordedSignal("p2", chinos, withBlue, stale))
		h.requireCanceled(h.runUntil(3*day, workflows.CustomerLifecycleInput{CustomerID: "david", Version: version}))

		require.Equal(t, 1, started("RecordPurchase"), "version %d: only the purchase after the edit", version)
		require.NotContains(t, h.status.Preferences.Colors, "blue", "version %d: the removed colour stays removed", version)
		require.Contains(t, h.status.Preferences.Colors, "grey", "version %d: the second purchase still teaches", version)
		stored, err := st.Preferences(context.Background(), "david")
		require.NoError(t, err)
		require.Equal(t, stored.Colors, h.status.Preferences.Colors, "version %d: the workflow holds what is stored", version)
	}
}

// Once the customer stopped learning, a carried purchase that taught something was recorded before
// the stop: the workflow reads what is stored instead.
func TestRecordedPurchaseAfterStopLearningRunsTheActivity(t *testing.T) {
	h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
	started := countActivities(h)
	prefs := lifecycle.Preferences{Sizes: []string{"50"}}
	h.signal(0, workflows.SignalPreferences, workflows.PreferencesSignal{Preferences: prefs, StopLearning: true})
	learned := prefs.Merge(lifecycle.Preferences{Colors: []string{"blue"}, Categories: []string{"trousers"}})
	h.signal(day, workflows.SignalPurchase, recordedSignal("p1", blueTrousers, prefs, learned))
	// Recorded after the stop (and after p1, which the activity stored as learned): nothing taught.
	h.signal(2*day, workflows.SignalPurchase, recordedSignal("p2", blueTrousers, learned, learned))
	h.requireCanceled(h.runUntil(3*day, workflows.CustomerLifecycleInput{CustomerID: "david", Version: workflows.CurrentVersion}))

	require.Equal(t, 1, started("RecordPurchase"), "only the purchase that still taught something")
	require.Len(t, h.status.Purchases, 2)
}
