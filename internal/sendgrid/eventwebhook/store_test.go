package eventwebhook_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/sendgrid/eventwebhook"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// The handler against real Postgres: a bounce delivered twice, with new sg_event_ids, is stored
// once, suppresses the customer and signals the workflow once; opens and clicks land per email.
func TestWithPostgres(t *testing.T) {
	b := setup(t)
	st, _ := storetest.New(t)
	_, err := st.ImportCustomers(t.Context(), strings.NewReader("id,name,email,locale,timezone,colors,sizes\nc1,Ann,ann@example.com,nl,Europe/Amsterdam,,\n"))
	require.NoError(t, err)
	key, err := eventwebhook.ParsePublicKey(b.signer.publicKey(t))
	require.NoError(t, err)
	b.handler = eventwebhook.New(
		eventwebhook.Config{PublicKey: key, Now: func() time.Time { return now }},
		eventwebhook.Deps{Events: st, Suppressions: events.New(st, b.lifecycle, nil)},
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

// nulInjector passes everything to the real store but puts a NUL byte into each event it records:
// an event that passed parseEvent and still holds what PostgreSQL refuses (the safety net).
type nulInjector struct{ *store.DB }

func (n nulInjector) RecordEmailEvent(ctx context.Context, e store.EmailEvent) (bool, error) {
	e.SGMessageID += "\x00"
	return n.DB.RecordEmailEvent(ctx, e)
}

// Poison events and unknown customers against real Postgres: a NUL byte answers 200 and lands in
// rejected_email_events (before: 500, and SendGrid retried for days), the database's own refusal
// does too, a suppression for an unknown customer is stored without a signal, and a database that
// is down still answers 500.
func TestWithPostgresPoisonAndUnknownCustomer(t *testing.T) {
	b := setup(t)
	st, url := storetest.New(t)
	_, err := st.ImportCustomers(t.Context(), strings.NewReader("id,name,email,locale,timezone,colors,sizes\nc1,Ann,ann@example.com,nl,Europe/Amsterdam,,\n"))
	require.NoError(t, err)
	db, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close(context.Background()) })
	key, err := eventwebhook.ParsePublicKey(b.signer.publicKey(t))
	require.NoError(t, err)
	cfg := eventwebhook.Config{PublicKey: key, Now: func() time.Time { return now }}
	b.handler = eventwebhook.New(cfg, eventwebhook.Deps{Events: st, Suppressions: events.New(st, b.lifecycle, nil)})

	type row struct{ Reason, Code, Detail string }
	rejected := func(t *testing.T) []row {
		t.Helper()
		rows, err := db.Query(t.Context(), `SELECT reason, error_code, detail FROM rejected_email_events ORDER BY reason, detail`)
		require.NoError(t, err)
		out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
		require.NoError(t, err)
		return out
	}

	t.Run("NUL in email", func(t *testing.T) {
		rec := b.post(t, batch(t, ev("bounce", "email", "ann\x00@example.com"), ev("delivered")))
		require.Equal(t, http.StatusOK, rec.Code, "bounce with a NUL in its email: %s", rec.Body)
		require.Equal(t, []row{{"invalid_text", "", "email holds a NUL byte"}}, rejected(t))
		got, err := st.EmailEvents(t.Context(), "customer/c1/restock/Chino")
		require.NoError(t, err)
		require.Len(t, got, 1, "the delivered event of the same batch is stored")
		require.Empty(t, b.lifecycle.signals())
	})

	t.Run("database refuses the content", func(t *testing.T) {
		h := eventwebhook.New(cfg, eventwebhook.Deps{Events: nulInjector{st}, Suppressions: events.New(st, b.lifecycle, nil)})
		rec := b.postTo(t, h, batch(t, ev("open", "sg_message_id", "poison")))
		require.Equal(t, http.StatusOK, rec.Code, "an event PostgreSQL refuses: %s", rec.Body)
		got := rejected(t)
		require.Len(t, got, 2)
		require.Equal(t, "database", got[0].Reason)
		require.Equal(t, "22021", got[0].Code, "SQLSTATE of a NUL byte in text")
	})

	t.Run("unknown customer", func(t *testing.T) {
		rec := b.post(t, batch(t, ev("spamreport", "customer_id", "ghost", "email", "Ghost@example.com", "idempotency_key", "customer/ghost/sale/x")))
		require.Equal(t, http.StatusOK, rec.Code, "spamreport for unknown customer ghost: %s", rec.Body)
		require.Empty(t, b.lifecycle.signals(), "no workflow signalled (SignalWithStart would create one) for ghost")
		suppressed, err := st.IsSuppressed(t.Context(), "ghost@example.com")
		require.NoError(t, err)
		require.True(t, suppressed, "the address is suppressed")
		got, err := st.EmailEvents(t.Context(), "customer/ghost/sale/x")
		require.NoError(t, err)
		require.Len(t, got, 1, "the event is stored")

		rec = b.post(t, batch(t, ev("spamreport")))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body)
		require.Len(t, b.lifecycle.signals(), 1, "known customer c1 is signalled")
	})

	t.Run("database down", func(t *testing.T) {
		down, _ := storetest.New(t)
		down.Close()
		h := eventwebhook.New(cfg, eventwebhook.Deps{Events: down, Suppressions: events.New(down, b.lifecycle, nil)})
		rec := b.postTo(t, h, batch(t, ev("open", "sg_message_id", "while-down")))
		require.Equal(t, http.StatusInternalServerError, rec.Code, "store closed: SendGrid must retry: %s", rec.Body)
	})
}
