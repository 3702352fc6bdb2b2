package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

func TestImportReportsConsentChanges(t *testing.T) {
	b := setup(t)
	_, changes, err := b.s.ImportCustomersWithConsentChanges(b.ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,consent\n"+
		"a,A,a@example.com,en,Europe/London,,,true\n"+
		"b,B,b@example.com,en,Europe/London,,,false\n"+
		"c,C,c@example.com,en,Europe/London,,,true\n"))
	require.NoError(t, err)
	require.Empty(t, changes, "new customers have no workflow to tell")

	_, changes, err = b.s.ImportCustomersWithConsentChanges(b.ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,consent\n"+
		"a,A,a@example.com,en,Europe/London,,,false\n"+ // withdrawn
		"b,B,b@example.com,en,Europe/London,,,true\n"+ // granted
		"c,C,c@example.com,en,Europe/London,,,true\n"+ // unchanged
		"d,D,d@example.com,en,Europe/London,,,false\n")) // new
	require.NoError(t, err)
	require.Equal(t, []store.ConsentChange{{CustomerID: "a", Granted: false}, {CustomerID: "b", Granted: true}}, changes)
}

func TestSetPreferencesReplaces(t *testing.T) {
	b := setup(t)
	_, err := b.s.ImportCustomers(b.ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,categories\n"+
		"a,A,a@example.com,en,Europe/London,blue;red,50,trousers\n"))
	require.NoError(t, err)
	require.NoError(t, b.s.SetPreferences(b.ctx, "a", lifecycle.Preferences{Colors: []string{" Grey "}, Sizes: []string{"52"}}))
	prefs, err := b.s.Preferences(b.ctx, "a")
	require.NoError(t, err)
	require.Equal(t, []string{"grey"}, prefs.Colors)
	require.Equal(t, []string{"52"}, prefs.Sizes)
	require.Empty(t, prefs.Categories)
	require.ErrorIs(t, b.s.SetPreferences(b.ctx, "nobody", lifecycle.Preferences{}), lifecycle.ErrNotFound)
}

// A consent change owes its workflow a signal from the transaction that makes it until the signal
// is delivered: a failed delivery keeps it owed (re-importing the file, which has no change left,
// used to lose it), a newer change made during a delivery stays owed and is delivered after it, in
// the order made.
func TestConsentSignalOwedUntilDelivered(t *testing.T) {
	b := setup(t)
	const header = "id,name,email,locale,timezone,colors,sizes,consent\n"
	_, err := b.s.ImportCustomers(b.ctx, strings.NewReader(header+
		"a,A,a@example.com,en,Europe/London,,,true\n"+
		"b,B,b@example.com,en,Europe/London,,,true\n"))
	require.NoError(t, err)
	requireOwed(t, b.s, 0, "new customers have no workflow to tell")

	withdrawA := header + "a,A,a@example.com,en,Europe/London,,,false\nb,B,b@example.com,en,Europe/London,,,true\n"
	_, changes, err := b.s.ImportCustomersWithConsentChanges(b.ctx, strings.NewReader(withdrawA))
	require.NoError(t, err)
	require.Equal(t, []store.ConsentChange{{CustomerID: "a", Granted: false}}, changes)
	requireOwed(t, b.s, 1, "import withdrawing a's consent")

	// The workflow service is down: nothing delivered, the signal stays owed.
	down := errors.New("frontend unavailable")
	n, err := b.s.RelaySignals(b.ctx, nil, func(context.Context, store.OwedSignal) error { return down })
	require.ErrorIs(t, err, down)
	require.Zero(t, n)
	requireOwed(t, b.s, 1, "after a failed delivery")

	// Importing the same file again finds no change, and must not forget what is owed.
	_, changes, err = b.s.ImportCustomersWithConsentChanges(b.ctx, strings.NewReader(withdrawA))
	require.NoError(t, err)
	require.Empty(t, changes)
	requireOwed(t, b.s, 1, "after re-importing the same file")

	// While a's withdrawal is being delivered, a grants consent again: the grant stays owed and is
	// delivered next, after the withdrawal.
	var got []consentPayload
	n, err = b.s.RelaySignals(b.ctx, nil, func(ctx context.Context, sig store.OwedSignal) error {
		got = append(got, consentOf(t, sig))
		if len(got) == 1 {
			return b.s.SetConsent(ctx, "a", true, "shop-counter")
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 2, n, "the withdrawal, then the grant written during its delivery")
	require.Len(t, got, 2)
	assert.Equal(t, consentPayload{Granted: false, Source: "import", At: got[0].At}, got[0])
	assert.False(t, got[0].At.IsZero(), "the change carries when it was made")
	assert.Equal(t, consentPayload{Granted: true, Source: "shop-counter", At: got[1].At}, got[1])
	requireOwed(t, b.s, 0, "after both changes were delivered")

	// Only the customers asked for; SetConsent owes a signal even when nothing changed.
	require.NoError(t, b.s.SetConsent(b.ctx, "a", true, "shop-counter"))
	require.NoError(t, b.s.SetConsent(b.ctx, "b", false, "phone"))
	var to []string
	n, err = b.s.RelaySignals(b.ctx, []string{"b"}, func(_ context.Context, sig store.OwedSignal) error {
		to = append(to, sig.CustomerID)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Equal(t, []string{"b"}, to)
	requireOwed(t, b.s, 1, "a's signal, not asked for")
	require.ErrorIs(t, b.s.SetConsent(b.ctx, "nobody", false, "phone"), lifecycle.ErrNotFound)
	requireOwed(t, b.s, 1, "an unknown customer owes nothing")
}

// consentPayload is the JSON of workflows.ConsentSignal, which the store does not import.
type consentPayload struct {
	Granted bool
	Source  string
	At      time.Time
}

func consentOf(t *testing.T, sig store.OwedSignal) consentPayload {
	t.Helper()
	require.Equal(t, store.ConsentSignalName, sig.Signal, "event %s", sig.EventID)
	var p consentPayload
	require.NoError(t, json.Unmarshal(sig.Payload, &p), "payload of %s: %s", sig.EventID, sig.Payload)
	return p
}

func requireOwed(t *testing.T, st *store.DB, want int, when string) {
	t.Helper()
	n, _, err := st.OwedSignals(context.Background())
	require.NoError(t, err)
	require.Equal(t, want, n, "signals owed %s", when)
}
