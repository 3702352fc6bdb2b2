package sendgridwebhook_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/sendgridwebhook"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// The handler against real Postgres: a bounce delivered twice, with new sg_event_ids, is stored
// once, suppresses the customer and signals the workflow once; opens and clicks land per email.
func TestWithPostgres(t *testing.T) {
	b := setup(t)
	st, _ := storetest.New(t)
	_, err := st.ImportCustomers(t.Context(), strings.NewReader("id,name,email,locale,timezone,colors,sizes\nc1,Ann,ann@example.com,nl,Europe/Amsterdam,,\n"))
	require.NoError(t, err)
	key, err := sendgridwebhook.ParsePublicKey(b.signer.publicKey(t))
	require.NoError(t, err)
	b.handler = sendgridwebhook.New(
		sendgridwebhook.Config{PublicKey: key, Now: func() time.Time { return now }},
		sendgridwebhook.Deps{Events: st, Lifecycle: b.lifecycle},
	)

	for attempt, id := range []string{"first", "retry"} {
		events := []map[string]any{ev("delivered"), ev("open"), ev("click", "url", "https://shop.example.com/p"), ev("bounce")}
		for _, e := range events {
			e["sg_event_id"] = id + "-" + e["event"].(string)
		}
		rec := b.post(t, batch(t, events...))
		require.Equal(t, http.StatusOK, rec.Code, "attempt %d: %s", attempt, rec.Body)
	}

	got, err := st.EmailEvents(t.Context(), "customer/c1/restock/Chino")
	require.NoError(t, err)
	var names []string
	for _, e := range got {
		names = append(names, e.Event)
	}
	require.ElementsMatch(t, []string{"delivered", "open", "click", "bounce"}, names, "each event once")

	c, err := st.Customer(t.Context(), "c1")
	require.NoError(t, err)
	require.True(t, c.Suppressed, "customer suppressed after the bounce")
	require.Len(t, b.lifecycle.signals(), 1, "one suppress signal")
}
