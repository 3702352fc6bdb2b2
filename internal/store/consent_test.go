package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

func TestImportReportsConsentChanges(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	_, changes, err := st.ImportCustomersWithConsentChanges(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,consent\n"+
		"a,A,a@example.com,en,Europe/London,,,true\n"+
		"b,B,b@example.com,en,Europe/London,,,false\n"+
		"c,C,c@example.com,en,Europe/London,,,true\n"))
	require.NoError(t, err)
	require.Empty(t, changes, "new customers have no workflow to tell")

	_, changes, err = st.ImportCustomersWithConsentChanges(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,consent\n"+
		"a,A,a@example.com,en,Europe/London,,,false\n"+ // withdrawn
		"b,B,b@example.com,en,Europe/London,,,true\n"+ // granted
		"c,C,c@example.com,en,Europe/London,,,true\n"+ // unchanged
		"d,D,d@example.com,en,Europe/London,,,false\n")) // new
	require.NoError(t, err)
	require.Equal(t, []store.ConsentChange{{CustomerID: "a", Granted: false}, {CustomerID: "b", Granted: true}}, changes)
}

func TestSetPreferencesReplaces(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportCustomers(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,categories\n"+
		"a,A,a@example.com,en,Europe/London,blue;red,50,trousers\n"))
	require.NoError(t, err)
	require.NoError(t, st.SetPreferences(ctx, "a", lifecycle.Preferences{Colors: []string{" Grey "}, Sizes: []string{"52"}}))
	prefs, err := st.Preferences(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, []string{"grey"}, prefs.Colors)
	require.Equal(t, []string{"52"}, prefs.Sizes)
	require.Empty(t, prefs.Categories)
	require.ErrorIs(t, st.SetPreferences(ctx, "nobody", lifecycle.Preferences{}), lifecycle.ErrNotFound)
}

// A consent change owes its workflow a signal from the transaction that makes it until the signal
// is delivered: a failed delivery keeps it owed (re-importing the file, which has no change left,
// used to lose it), a newer change made during a delivery stays owed, and only the latest state
// is ever owed.
func TestConsentSignalOwedUntilDelivered(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	const header = "id,name,email,locale,timezone,colors,sizes,consent\n"
	_, err := st.ImportCustomers(ctx, strings.NewReader(header+
		"a,A,a@example.com,en,Europe/London,,,true\n"+
		"b,B,b@example.com,en,Europe/London,,,true\n"))
	require.NoError(t, err)
	requireOwed(t, st, 0, "new customers have no workflow to tell")

	withdrawA := header + "a,A,a@example.com,en,Europe/London,,,false\nb,B,b@example.com,en,Europe/London,,,true\n"
	_, changes, err := st.ImportCustomersWithConsentChanges(ctx, strings.NewReader(withdrawA))
	require.NoError(t, err)
	require.Equal(t, []store.ConsentChange{{CustomerID: "a", Granted: false}}, changes)
	requireOwed(t, st, 1, "import withdrawing a's consent")

	// The workflow service is down: nothing delivered, the signal stays owed.
	down := errors.New("frontend unavailable")
	n, err := st.RelayConsentSignals(ctx, nil, func(context.Context, lifecycle.ConsentChange) error { return down })
	require.ErrorIs(t, err, down)
	require.Zero(t, n)
	requireOwed(t, st, 1, "after a failed delivery")

	// Importing the same file again finds no change, and must not forget what is owed.
	_, changes, err = st.ImportCustomersWithConsentChanges(ctx, strings.NewReader(withdrawA))
	require.NoError(t, err)
	require.Empty(t, changes)
	requireOwed(t, st, 1, "after re-importing the same file")

	// While a's withdrawal is being delivered, a grants consent again: the grant stays owed.
	var got []lifecycle.ConsentChange
	n, err = st.RelayConsentSignals(ctx, nil, func(ctx context.Context, ch lifecycle.ConsentChange) error {
		got = append(got, ch)
		return st.SetConsent(ctx, "a", true, "shop-counter")
	})
	require.NoError(t, err)
	require.Equal(t, 1, n, "the withdrawal was delivered")
	require.Len(t, got, 1)
	assert.Equal(t, lifecycle.ConsentChange{CustomerID: "a", Granted: false, Source: "import", At: got[0].At}, got[0])
	assert.False(t, got[0].At.IsZero(), "the change carries when it was made")
	requireOwed(t, st, 1, "a grant written during the delivery of a withdrawal")

	got = nil
	n, err = st.RelayConsentSignals(ctx, nil, func(_ context.Context, ch lifecycle.ConsentChange) error {
		got = append(got, ch)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Len(t, got, 1)
	assert.Equal(t, "a", got[0].CustomerID)
	assert.True(t, got[0].Granted, "only the latest state is owed")
	assert.Equal(t, "shop-counter", got[0].Source)
	requireOwed(t, st, 0, "after the latest change was delivered")

	// Only the customers asked for; SetConsent owes a signal even when nothing changed.
	require.NoError(t, st.SetConsent(ctx, "a", true, "shop-counter"))
	require.NoError(t, st.SetConsent(ctx, "b", false, "phone"))
	got = nil
	n, err = st.RelayConsentSignals(ctx, []string{"b"}, func(_ context.Context, ch lifecycle.ConsentChange) error {
		got = append(got, ch)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Equal(t, "b", got[0].CustomerID)
	requireOwed(t, st, 1, "a's signal, not asked for")
	require.ErrorIs(t, st.SetConsent(ctx, "nobody", false, "phone"), lifecycle.ErrNotFound)
	requireOwed(t, st, 1, "an unknown customer owes nothing")
}

func requireOwed(t *testing.T, st *store.DB, want int, when string) {
	t.Helper()
	n, _, err := st.PendingConsentSignals(context.Background())
	require.NoError(t, err)
	require.Equal(t, want, n, "consent signals owed %s", when)
}
