package events_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// gatedLifecycle holds every delivery until open is closed, and counts them.
type gatedLifecycle struct {
	open    chan struct{}
	mu      sync.Mutex
	started int
	got     map[string]int
}

func (g *gatedLifecycle) Signal(ctx context.Context, customerID, _ string, _ any) error {
	g.mu.Lock()
	g.started++
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.got[customerID]++
	return nil
}

func (g *gatedLifecycle) startedCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.started
}

// importFixture is a store with n customers c0000.. and one product, and the purchases of one
// order each, an hour ago.
func importFixture(t *testing.T, n int) (*store.DB, []events.Purchase, time.Time) {
	t.Helper()
	st, _ := storetest.New(t)
	return importFixtureIn(t, st, n)
}

func importFixtureIn(t *testing.T, st *store.DB, n int) (*store.DB, []events.Purchase, time.Time) {
	t.Helper()
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("id,name,email,locale,timezone,colors,sizes,consent\n")
	ps := make([]events.Purchase, n)
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for i := range n {
		id := fmt.Sprintf("c%04d", i)
		fmt.Fprintf(&csv, "%s,C,%s@example.com,en,UTC,,,true\n", id, id)
		ps[i] = events.Purchase{ID: "o" + id + ":TR-BLU-32", CustomerID: id, SKU: "TR-BLU-32", At: now.Add(-time.Hour)}
	}
	_, err := st.ImportCustomers(ctx, strings.NewReader(csv.String()))
	require.NoError(t, err)
	_, err = st.ImportProducts(ctx, strings.NewReader("sku,product,name,category,color,size,price,stock,collections\n"+
		"TR-BLU-32,chino,Chino,trousers,blue,32,79.95,3,\n"))
	require.NoError(t, err)
	return st, ps, now
}

// An import records chunk by chunk and delivers while it records: with Temporal holding every
// delivery, the deliveries of the first chunks are under way before the file is recorded, and the
// recording stops at the bound of customers not yet told (it does not run ahead of the
// workflows). Once Temporal answers, every customer is told once.
func TestImportDeliversWhileItRecords(t *testing.T) {
	const customers = 2000 // eight chunks, twice the bound
	st, ps, now := importFixture(t, customers)
	lc := &gatedLifecycle{open: make(chan struct{}), got: map[string]int{}}
	ev := events.New(st, lc, func() time.Time { return now })

	var mu sync.Mutex
	var last events.ImportProgress
	type outcome struct {
		rs  []events.PurchaseResult
		res events.ImportResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		rs, res, err := ev.ImportPurchases(context.Background(), ps, events.ImportOptions{Concurrency: 4, Progress: func(p events.ImportProgress) {
			mu.Lock()
			last = p
			mu.Unlock()
		}})
		done <- outcome{rs, res, err}
	}()
	progress := func() events.ImportProgress {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
	if !assert.Eventually(t, func() bool { return progress().Recorded >= 1000 && lc.startedCount() > 0 }, 30*time.Second, 10*time.Millisecond) {
		t.Fatalf("the first chunks were not recorded with their deliveries started: %+v, %d deliveries started", progress(), lc.startedCount())
	}
	time.Sleep(500 * time.Millisecond) // the recording would go on here if it ran ahead
	p := progress()
	assert.Less(t, p.Recorded, customers, "the recording waits for the workflows to be told: %+v", p)
	assert.LessOrEqual(t, p.Recorded, 1000+events.ImportChunk, "at most the bound and one chunk ahead: %+v", p)
	assert.Zero(t, p.Told, "nothing told while Temporal holds every delivery")

	close(lc.open)
	var o outcome
	select {
	case o = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the import did not finish: %+v", progress())
	}
	require.NoError(t, o.err)
	require.NoError(t, o.res.DeliveryError)
	assert.Equal(t, events.ImportResult{Recorded: customers, Delivered: customers}, o.res)
	require.Len(t, o.rs, customers)
	for _, r := range o.rs {
		require.True(t, r.New, "%s", r.EventID)
	}
	assert.Len(t, lc.got, customers)
	for id, n := range lc.got {
		require.Equal(t, 1, n, "customer %s told once", id)
	}
	assert.Equal(t, events.ImportProgress{Recorded: customers, Rows: customers, Told: customers, Owed: customers}, progress())
	owed, _, err := st.OwedSignals(context.Background())
	require.NoError(t, err)
	assert.Zero(t, owed)
}

// A chunk that fails to record stops the import: the chunks before it stay recorded and their
// customers are told, nothing of the failed chunk or after it is, and importing again records the
// rest without telling anyone twice.
func TestImportStoppedByAChunkKeepsTheChunksBefore(t *testing.T) {
	const customers = 3 * events.ImportChunk
	st, ps, now := importFixture(t, customers)
	lc := &fakeLifecycle{}
	ev := events.New(st, lc, func() time.Time { return now })
	ctx := context.Background()
	// Row 300 (in the second chunk) names a product nobody has: the store refuses its chunk.
	bad := ps[300]
	ps[300].SKU = "NO-SUCH-SKU"
	rs, res, err := ev.ImportPurchases(ctx, ps, events.ImportOptions{Concurrency: 4})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NO-SUCH-SKU")
	assert.Equal(t, events.ImportChunk, res.Recorded, "the first chunk only")
	assert.Len(t, rs, events.ImportChunk)
	assert.Equal(t, events.ImportChunk, res.Delivered, "the first chunk's customers told")
	lc.mu.Lock()
	assert.Len(t, lc.got, events.ImportChunk)
	lc.mu.Unlock()
	owed, _, err := st.OwedSignals(ctx)
	require.NoError(t, err)
	assert.Zero(t, owed, "nothing of the failed chunk owed")

	ps[300] = bad
	rs, res, err = ev.ImportPurchases(ctx, ps, events.ImportOptions{Concurrency: 4})
	require.NoError(t, err)
	assert.Equal(t, customers, res.Recorded)
	assert.Equal(t, customers-events.ImportChunk, res.Delivered, "the rest, once")
	fresh := 0
	for _, r := range rs {
		if r.New {
			fresh++
		}
	}
	assert.Equal(t, customers-events.ImportChunk, fresh)
	lc.mu.Lock()
	assert.Len(t, lc.got, customers)
	lc.mu.Unlock()
}

// Another relay (the worker's) holding some of the import's customers does not stall the import:
// those customers are never settled by the import's relay, so the bound of customers ahead would
// hold the recording back for good; the relay, with nothing left it can do, says so and the
// recording goes on. The held customers are the other relay's to tell.
func TestImportGoesOnWhileAnotherRelayHoldsItsCustomers(t *testing.T) {
	defer events.SetImportAhead(10)()
	const customers = 2*events.ImportChunk + 100
	st, ps, now := importFixture(t, customers)
	lc := &fakeLifecycle{}
	ev := events.New(st, lc, func() time.Time { return now })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The rival relay claims whatever is owed, as the worker's does, and holds it until released.
	release := make(chan struct{})
	var mu sync.Mutex
	held := map[string]bool{}
	rivalDone := make(chan struct{})
	go func() {
		defer close(rivalDone)
		for ctx.Err() == nil {
			_, _ = st.RelayOwed(ctx, nil, store.RelayOptions{InFlight: 64, PastRefusals: true}, func(dctx context.Context, s store.OwedSignal) error {
				mu.Lock()
				held[s.CustomerID] = true
				mu.Unlock()
				select {
				case <-release:
					return nil
				case <-dctx.Done():
					return dctx.Err()
				}
			})
			time.Sleep(time.Millisecond)
		}
	}()

	var last events.ImportProgress
	type outcome struct {
		res events.ImportResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		_, res, err := ev.ImportPurchases(ctx, ps, events.ImportOptions{Concurrency: 4, Progress: func(p events.ImportProgress) { last = p }})
		done <- outcome{res, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(8 * time.Second): // before the rival's deliveries time out (10 s) and give its customers back
		t.Fatal("the import stalled behind the customers another relay holds")
	}
	require.NoError(t, o.err)
	mu.Lock()
	rivalHeld := len(held)
	mu.Unlock()
	require.Positive(t, rivalHeld, "the rival relay claimed nothing: the test did not hold anything back")
	assert.Equal(t, customers, o.res.Recorded)
	owed, _, err := st.OwedSignals(context.Background())
	require.NoError(t, err)
	assert.Equal(t, customers-o.res.Delivered, owed, "the import told all but those the rival holds")
	assert.GreaterOrEqual(t, owed, rivalHeld)
	assert.Equal(t, events.ImportProgress{Recorded: customers, Rows: customers, Told: customers, Owed: customers}, last,
		"the held customers count as told: the other relay tells them")

	close(release)
	require.Eventually(t, func() bool {
		n, _, err := st.OwedSignals(context.Background())
		return err == nil && n == 0
	}, 20*time.Second, 50*time.Millisecond, "the rival delivers what it holds")
	cancel()
	<-rivalDone
	lc.mu.Lock()
	assert.Len(t, lc.got, o.res.Delivered, "the import's own deliveries, once each")
	lc.mu.Unlock()
}

// relayFailingStore is the store with a relay that fails (its context ends) once it settled its
// first customer: a database gone in the middle of an import's deliveries.
type relayFailingStore struct {
	*store.DB
}

func (f relayFailingStore) RelayOwed(ctx context.Context, ids []string, opts store.RelayOptions, deliver func(context.Context, store.OwedSignal) error) (int, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	settled := opts.Settled
	opts.Settled = func(id string, n int, err error) {
		if settled != nil {
			settled(id, n, err)
		}
		cancel()
	}
	return f.DB.RelayOwed(rctx, ids, opts, deliver)
}

// A relay that stops in the middle stops the recording too (nothing would deliver, or bound, what
// it went on to owe), and the import says so instead of waiting for it for good.
func TestImportStopsRecordingWhenItsRelayStops(t *testing.T) {
	defer events.SetImportAhead(10)()
	const customers = 3 * events.ImportChunk
	st, ps, now := importFixture(t, customers)
	ev := events.New(relayFailingStore{st}, &fakeLifecycle{}, func() time.Time { return now })
	type outcome struct {
		res events.ImportResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		_, res, err := ev.ImportPurchases(context.Background(), ps, events.ImportOptions{Concurrency: 4})
		done <- outcome{res, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the import waits for good for a relay that stopped")
	}
	require.Error(t, o.err)
	assert.Contains(t, o.err.Error(), "stopped telling the workflows, so it stopped recording")
	assert.Less(t, o.res.Recorded, customers, "recording stopped with the relay")
	assert.Error(t, o.res.DeliveryError)
}

// lockingLifecycle refuses the delivery to refuse, and delivering to lockFor takes a row lock on
// that customer's owed signals from another connection and keeps it until release: the relay's
// bookkeeping of that batch then times out, as with a database gone bad mid-import.
type lockingLifecycle struct {
	url, lockFor, refuse string
	mu                   sync.Mutex
	conn                 *pgx.Conn
	tx                   pgx.Tx
}

func (l *lockingLifecycle) Signal(ctx context.Context, customerID, _ string, _ any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if customerID == l.refuse {
		return errors.New("refused")
	}
	if customerID == l.lockFor && l.conn == nil {
		c, err := pgx.Connect(context.Background(), l.url)
		if err != nil {
			return err
		}
		tx, err := c.Begin(context.Background())
		if err != nil {
			return err
		}
		if _, err := tx.Exec(context.Background(), `SELECT 1 FROM signal_outbox WHERE customer_id = $1 FOR UPDATE`, customerID); err != nil {
			return err
		}
		l.conn, l.tx = c, tx
	}
	return nil
}

func (l *lockingLifecycle) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		_ = l.tx.Rollback(context.Background())
		_ = l.conn.Close(context.Background())
	}
}

// A refusal first, then the relay's bookkeeping fails: the import stops recording and blames the
// failure, not the refusal, and its progress does not count the customers nobody told as told.
func TestImportStoppedByTheDatabaseAfterARefusal(t *testing.T) {
	const customers = 5 * events.ImportChunk
	st, url := storetest.New(t)
	_, ps, now := importFixtureIn(t, st, customers)
	lc := &lockingLifecycle{url: url, lockFor: "c0100", refuse: "c0000"}
	defer lc.release()
	ev := events.New(st, lc, func() time.Time { return now })
	var last events.ImportProgress
	_, res, err := ev.ImportPurchases(context.Background(), ps, events.ImportOptions{Concurrency: 1, Progress: func(p events.ImportProgress) { last = p }})
	require.Error(t, err)
	assert.ErrorIs(t, err, store.ErrRelayStopped)
	assert.NotContains(t, err.Error(), "refused", "the stop is the bookkeeping's")
	assert.Less(t, res.Recorded, customers)
	assert.Equal(t, 1, res.NotTold)
	owed, _, oerr := st.OwedSignals(context.Background())
	require.NoError(t, oerr)
	assert.Less(t, last.Told, last.Owed-last.NotTold, "customers still owed are not counted as told: %+v, %d owed", last, owed)
}
