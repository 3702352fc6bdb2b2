package events_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/workflows"
)

var _ events.Store = (*store.DB)(nil)

type delivery struct {
	CustomerID, Signal string
	Payload            any
}

// fakeLifecycle records deliveries; while down is set every Signal fails.
type fakeLifecycle struct {
	mu   sync.Mutex
	down error
	got  []delivery
}

func (f *fakeLifecycle) Signal(_ context.Context, customerID, name string, payload any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down != nil {
		return f.down
	}
	f.got = append(f.got, delivery{customerID, name, payload})
	return nil
}

func fixture(t *testing.T) (*store.DB, *fakeLifecycle, *events.Service, time.Time) {
	t.Helper()
	st, _ := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportCustomers(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,consent\n"+
		"ann,Ann,ann@example.com,en,UTC,,,true\n"+
		"bob,Bob,bob@example.com,en,UTC,,,true\n"))
	require.NoError(t, err)
	_, err = st.ImportProducts(ctx, strings.NewReader("sku,product,name,category,color,size,price,stock,collections\n"+
		"TR-BLU-32,chino,Chino,trousers,blue,32,79.95,3,\n"))
	require.NoError(t, err)
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	lc := &fakeLifecycle{}
	return st, lc, events.New(st, lc, func() time.Time { return now }), now
}

// Every use case: recorded with its signal while Temporal is down (each result says the delivery
// failed, the event stays owed), then the relay delivers each typed payload once, each customer's
// in the order written; writing the same events again owes nothing.
func TestEveryUseCaseOwesItsSignalUntilDelivered(t *testing.T) {
	st, lc, ev, now := fixture(t)
	ctx := context.Background()
	lc.down = errors.New("frontend unavailable")
	at := now.Add(-time.Hour)
	reading := lifecycle.UsageReading{Metric: "data_mb", Used: 80, Limit: 100, At: at}
	complaint := events.Note{ID: "ticket-1", CustomerID: "ann", Kind: store.NoteComplaint, Text: "late", OccurredAt: at}
	prefs := workflows.PreferencesSignal{Preferences: lifecycle.Preferences{Colors: []string{"red"}}, Paused: true}

	record := func(wantNew bool) {
		t.Helper()
		what := "first write"
		if !wantNew {
			what = "second write"
		}
		p, err := ev.Purchase(ctx, events.Purchase{ID: "o1-1", CustomerID: "ann", SKU: "TR-BLU-32", At: at, WantedColor: "grey"})
		require.NoError(t, err, "purchase, %s", what)
		assert.Equal(t, wantNew, p.New, "purchase, %s", what)
		u, err := ev.Usage(ctx, events.Usage{CustomerID: "bob", Reading: reading})
		require.NoError(t, err, "usage, %s", what)
		assert.Equal(t, wantNew, u.New, "usage, %s", what)
		_, n, err := ev.Note(ctx, complaint)
		require.NoError(t, err, "note, %s", what)
		assert.Equal(t, wantNew, n.New, "note, %s", what)
		s, err := ev.Suppression(ctx, events.Suppression{EventID: "sg-1", Email: "ann@example.com", CustomerID: "ann", Event: "bounce", At: at})
		require.NoError(t, err, "suppression, %s", what)
		assert.Equal(t, wantNew, s.New, "suppression, %s", what)
		if wantNew {
			assert.False(t, p.Delivered, "purchase delivered while Temporal is down")
			assert.ErrorIs(t, p.DeliveryError, lc.down)
			assert.ErrorIs(t, u.DeliveryError, lc.down)
		}
	}
	record(true)
	_, err := ev.Preferences(ctx, events.Preferences{CustomerID: "bob", Signal: prefs})
	require.NoError(t, err)
	c, err := ev.Consent(ctx, events.Consent{CustomerID: "ann", Granted: false, Source: "api"})
	require.NoError(t, err)
	assert.ErrorIs(t, c.DeliveryError, lc.down, "consent delivered while Temporal is down")
	owed, _, err := st.OwedSignals(ctx)
	require.NoError(t, err)
	require.Equal(t, 6, owed, "purchase, usage, complaint, suppression, preferences, consent")

	record(false) // before delivery: nothing new owed
	lc.down = nil
	n, err := ev.Relay(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, 6, n)
	record(false) // after delivery: still nothing new owed

	var ann, bob []delivery
	for _, d := range lc.got {
		if d.CustomerID == "ann" {
			ann = append(ann, d)
		} else {
			bob = append(bob, d)
		}
	}
	require.Len(t, ann, 4, "ann's deliveries: %+v", ann)
	// The purchase signal carries what its transaction recorded: the workflow runs no RecordPurchase.
	bought, ok := ann[0].Payload.(workflows.PurchaseSignal)
	require.True(t, ok, "purchase payload %T", ann[0].Payload)
	require.NotNil(t, bought.Recorded, "the purchase as recorded travels with the signal")
	assert.Equal(t, "TR-BLU-32", bought.Recorded.Product.SKU)
	assert.Equal(t, "Chino", bought.Recorded.Product.Name)
	assert.Equal(t, lifecycle.Preferences{Colors: []string{}, Sizes: []string{}, Categories: []string{}}, bought.Recorded.PreferencesBefore)
	assert.Equal(t, lifecycle.Preferences{Colors: []string{"blue", "grey"}, Sizes: []string{"32"}, Categories: []string{"trousers"}}, bought.Recorded.Preferences)
	bought.Recorded = nil
	assert.Equal(t, delivery{"ann", workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "o1-1", SKU: "TR-BLU-32", WantedColor: "grey", At: at}}, delivery{ann[0].CustomerID, ann[0].Signal, bought})
	assert.Equal(t, delivery{"ann", workflows.SignalComplaint, workflows.ComplaintSignal{Reason: "late", At: at}}, ann[1])
	assert.Equal(t, delivery{"ann", workflows.SignalSuppress, workflows.SuppressSignal{Event: "bounce", At: at}}, ann[2])
	require.Equal(t, workflows.SignalConsent, ann[3].Signal)
	consent := ann[3].Payload.(workflows.ConsentSignal)
	assert.False(t, consent.Granted)
	assert.Equal(t, "api", consent.Source)
	require.Len(t, bob, 2, "bob's deliveries: %+v", bob)
	assert.Equal(t, delivery{"bob", workflows.SignalUsage, workflows.UsageSignal{Reading: reading}}, bob[0])
	assert.Equal(t, delivery{"bob", workflows.SignalPreferences, prefs}, bob[1])
}

// A batch with one bad line records none of it and owes nothing.
func TestPurchasesAreAllOrNothing(t *testing.T) {
	st, lc, ev, now := fixture(t)
	ctx := context.Background()
	_, err := ev.Purchases(ctx, []events.Purchase{
		{ID: "o1-1", CustomerID: "ann", SKU: "TR-BLU-32", At: now},
		{ID: "o1-2", CustomerID: "nobody", SKU: "TR-BLU-32", At: now},
	})
	require.ErrorIs(t, err, lifecycle.ErrNotFound, "a purchase of an unknown customer")
	owed, _, err := st.OwedSignals(ctx)
	require.NoError(t, err)
	assert.Zero(t, owed)
	assert.Empty(t, lc.got)
	recorded, err := st.EventRecorded(ctx, events.PurchaseEventID("o1-1"))
	require.NoError(t, err)
	assert.False(t, recorded, "o1-1 of the failed batch")
}

// The consent signal the store owes (built in SQL) is the one ConsentOwed builds: same event id,
// same payload; the simulation's outbox relies on it.
func TestStoreAndConsentOwedAgree(t *testing.T) {
	st, _, _, _ := fixture(t)
	ctx := context.Background()
	require.NoError(t, st.SetConsent(ctx, "ann", false, "phone"))
	var got store.OwedSignal
	_, err := st.RelaySignals(ctx, nil, func(_ context.Context, s store.OwedSignal) error { got = s; return nil })
	require.NoError(t, err)
	gotPayload, err := events.DecodePayload(got)
	require.NoError(t, err)
	at := gotPayload.(workflows.ConsentSignal).At
	require.False(t, at.IsZero(), "the store's consent payload %s has no time", got.Payload)
	want, err := events.ConsentOwed(lifecycle.ConsentChange{CustomerID: "ann", Granted: false, Source: "phone", At: at})
	require.NoError(t, err)
	assert.Equal(t, want.EventID, got.EventID)
	assert.Equal(t, want.Signal, got.Signal)
	wantPayload, err := events.DecodePayload(want)
	require.NoError(t, err)
	assert.Equal(t, wantPayload, gotPayload)
}

// Relay and RelayEvery: the worker's loop delivers at once and stops with its context.
func TestRelayEveryStartsAtOnce(t *testing.T) {
	_, lc, ev, _ := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	lc.down = errors.New("down")
	_, err := ev.Usage(ctx, events.Usage{CustomerID: "bob", Reading: lifecycle.UsageReading{Metric: "data_mb", Used: 1, Limit: 10}})
	require.NoError(t, err)
	lc.mu.Lock()
	lc.down = nil
	lc.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- ev.RelayEvery(ctx, time.Hour, slogDiscard()) }()
	require.Eventually(t, func() bool {
		lc.mu.Lock()
		defer lc.mu.Unlock()
		return len(lc.got) == 1
	}, 10*time.Second, 10*time.Millisecond, "the owed reading delivered at the start, not after the hour")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("RelayEvery did not stop when its context ended")
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestRelayEveryPrunesDeliveredSignals: the relay loop forgets signals delivered more than
// DeliveredSignalRetention ago, keeps younger ones and never deletes one still owed; a reading
// repeated after its row is pruned is owed again (harmless: TestDuplicateEventsSendNothingTwice in workflows).
func TestRelayEveryPrunesDeliveredSignals(t *testing.T) {
	st, url := storetest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := st.ImportCustomers(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes\nbob,Bob,bob@example.com,en,UTC,,\n"))
	require.NoError(t, err)
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	lc := &fakeLifecycle{}
	ev := events.New(st, lc, func() time.Time { return now })
	reading := func(day int) events.Usage {
		return events.Usage{CustomerID: "bob", Reading: lifecycle.UsageReading{Metric: "data_mb", Used: float64(day), Limit: 10,
			At: time.Date(2026, 5, day, 0, 0, 0, 0, time.UTC)}}
	}
	old, young, owed := reading(1), reading(2), reading(3)
	for _, u := range []events.Usage{old, young} {
		res, err := ev.Usage(ctx, u)
		require.NoError(t, err)
		require.True(t, res.Delivered, "reading of day %v delivered", u.Reading.Used)
	}
	lc.mu.Lock()
	lc.down = errors.New("down")
	lc.mu.Unlock()
	_, err = ev.Usage(ctx, owed)
	require.NoError(t, err)

	db, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer db.Close(context.Background())
	id := func(u events.Usage) string { return events.UsageEventID(u.CustomerID, u.Reading.Metric, u.Reading.At) }
	for u, deliveredAgo := range map[string]time.Duration{
		id(old):   events.DeliveredSignalRetention + time.Hour,
		id(young): events.DeliveredSignalRetention - time.Hour,
	} {
		_, err := db.Exec(ctx, `UPDATE signal_outbox SET delivered_at = $2 WHERE event_id = $1`, u, now.Add(-deliveredAgo))
		require.NoError(t, err, "backdate %s", u)
	}
	_, err = db.Exec(ctx, `UPDATE signal_outbox SET created_at = $2 WHERE event_id = $1`, id(owed), now.AddDate(0, -1, 0))
	require.NoError(t, err)

	remaining := func() []string {
		rows, err := db.Query(ctx, `SELECT event_id FROM signal_outbox ORDER BY seq`)
		require.NoError(t, err)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return ids
	}
	done := make(chan error, 1)
	go func() { done <- ev.RelayEvery(ctx, time.Hour, slogDiscard()) }()
	require.Eventually(t, func() bool { return len(remaining()) == 2 }, 10*time.Second, 10*time.Millisecond,
		"the signal delivered %s ago pruned in the first round", events.DeliveredSignalRetention+time.Hour)
	assert.Equal(t, []string{id(young), id(owed)}, remaining(), "the younger delivered signal and the owed one are kept")
	cancel()
	require.NoError(t, <-done)

	res, err := ev.Usage(context.Background(), old)
	require.NoError(t, err)
	assert.True(t, res.New, "a reading repeated after its signal was pruned is owed again")
}

// A customers import delivers only what the customers whose consent it changed are owed: the API
// and the Shopify webhook import one customer per event, and their request must not take on the
// signals still owed to everyone else (the worker's relay delivers those).
func TestImportCustomersDeliversOnlyItsOwn(t *testing.T) {
	st, lc, ev, _ := fixture(t)
	ctx := context.Background()
	require.NoError(t, st.SetConsent(ctx, "ann", false, "phone")) // owed to ann, not delivered

	_, changes, delivered, delivErr, err := ev.ImportCustomers(ctx, strings.NewReader(
		"id,name,email,locale,timezone,colors,sizes,consent\nbob,Bob,bob@example.com,en,UTC,,,false\n"))
	require.NoError(t, err)
	require.NoError(t, delivErr)
	require.Equal(t, []store.ConsentChange{{CustomerID: "bob", Granted: false}}, changes)
	require.Equal(t, 1, delivered, "bob's consent signal only")
	require.Len(t, lc.got, 1)
	require.Equal(t, "bob", lc.got[0].CustomerID)
	owed, err := st.OwedCustomers(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"ann"}, owed, "ann's signal is left to the worker's relay")

	// An import that changes no consent delivers nothing at all.
	_, _, delivered, _, err = ev.ImportCustomers(ctx, strings.NewReader(
		"id,name,email,locale,timezone,colors,sizes,consent\nbob,Robert,bob@example.com,en,UTC,,,false\n"))
	require.NoError(t, err)
	require.Zero(t, delivered)
	require.Len(t, lc.got, 1)
}
