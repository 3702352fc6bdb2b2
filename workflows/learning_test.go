package workflows_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// The workflow hears the customer stop (and resume) learning in the preferences signal: its
// status says so and its decisions record the change once.
func TestPreferencesStopLearning(t *testing.T) {
	h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
	h.purchase(0, "p1", "TR-BLUE-50", "")
	all := []lifecycle.Kind{lifecycle.KindRestock, lifecycle.KindSale, lifecycle.KindSeason}
	h.signal(1*day, workflows.SignalPreferences, workflows.PreferencesSignal{Kinds: all, StopLearning: true})
	h.signal(2*day, workflows.SignalPreferences, workflows.PreferencesSignal{Kinds: all, StopLearning: true})
	h.requireCanceled(h.runUntil(3*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.True(t, h.status.LearningStopped, "status after the customer stopped learning")
	var stopped int
	for _, d := range h.status.Decisions {
		if strings.Contains(d.Reason, "learning from what the customer does stopped") {
			stopped++
		}
	}
	require.Equal(t, 1, stopped, "the change is recorded once, not on every save: %+v", h.status.Decisions)
}
