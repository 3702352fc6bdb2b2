package store_test

import (
	"context"
	"strings"
	"testing"

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
