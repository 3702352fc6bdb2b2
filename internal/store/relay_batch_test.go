package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/store"
)

// batchFixture is setup's bundle with customers c00..c<n-1>, each owed perCustomer usage signals
// written round-robin (c00's first, c01's first, ..., c00's second, ...), so every batch of a
// relay mixes customers and each customer's signals span batches.
func batchFixture(t *testing.T, customers, perCustomer int) (bundle, []string) {
	t.Helper()
	b := setup(t)
	var csv strings.Builder
	csv.WriteString("id,name,email,locale,timezone,colors,sizes,consent\n")
	ids := make([]string, customers)
	for i := range customers {
		ids[i] = fmt.Sprintf("c%02d", i)
		fmt.Fprintf(&csv, "%s,C,%s@example.com,en,UTC,,,true\n", ids[i], ids[i])
	}
	b.importCustomers(t, csv.String())
	var sigs []store.OwedSignal
	for k := range perCustomer {
		for _, id := range ids {
			sigs = append(sigs, store.OwedSignal{EventID: fmt.Sprintf("u/%s/%d", id, k), CustomerID: id, Signal: "usage", Payload: json.RawMessage(`{}`)})
		}
	}
	_, err := b.s.Owe(b.ctx, sigs)
	require.NoError(t, err)
	return b, ids
}

// deliveries records what a relay delivered, and catches two deliveries to one customer at once.
type deliveries struct {
	mu       sync.Mutex
	got      map[string][]string // customer: event ids in the order delivered
	inFlight map[string]bool
	overlap  []string
	refuse   map[string]bool // event ids refused
}

func newDeliveries() *deliveries {
	return &deliveries{got: map[string][]string{}, inFlight: map[string]bool{}, refuse: map[string]bool{}}
}

func (d *deliveries) deliver(_ context.Context, s store.OwedSignal) error {
	d.mu.Lock()
	if d.inFlight[s.CustomerID] {
		d.overlap = append(d.overlap, s.EventID)
	}
	d.inFlight[s.CustomerID] = true
	refused := d.refuse[s.EventID]
	d.mu.Unlock()
	time.Sleep(time.Millisecond) // a call to Temporal takes a while: let other deliveries run meanwhile
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inFlight[s.CustomerID] = false
	if refused {
		return errors.New("refused " + s.EventID)
	}
	d.got[s.CustomerID] = append(d.got[s.CustomerID], s.EventID)
	return nil
}

// customersDone is how many customers have had all perCustomer of their signals delivered.
func (d *deliveries) customersDone(perCustomer int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, got := range d.got {
		if len(got) >= perCustomer {
			n++
		}
	}
	return n
}

func inOrder(id string, from, n int) []string {
	var out []string
	for k := from; k < n; k++ {
		out = append(out, fmt.Sprintf("u/%s/%d", id, k))
	}
	return out
}

// A relay with several deliveries in flight claims the heads of many customers at once: each
// customer's signals still arrive in the order written, once each, across batches.
func TestBatchedRelayKeepsEachCustomersOrderAcrossBatches(t *testing.T) {
	const customers, perCustomer = 20, 3
	b, ids := batchFixture(t, customers, perCustomer)
	d := newDeliveries()
	settled := map[string]int{}
	n, err := b.s.RelayOwed(b.ctx, nil, store.RelayOptions{InFlight: 3, PastRefusals: true,
		Settled: func(id string, delivered int, err error) {
			assert.NoError(t, err, "customer %s settled", id)
			settled[id] += delivered
		}}, d.deliver)
	require.NoError(t, err)
	require.Equal(t, customers*perCustomer, n)
	require.Empty(t, d.overlap, "signals delivered while another of the same customer's was in flight")
	for _, id := range ids {
		require.Equal(t, inOrder(id, 0, perCustomer), d.got[id], "customer %s's signals", id)
		require.Equal(t, perCustomer, settled[id], "customer %s settled once, with all its signals", id)
	}
	requireOwed(t, b.s, 0, "after the batched relay")
}

// Two relays over the same customers at once share them out: nothing is delivered twice, no
// customer gets two deliveries at once, and each customer's order holds.
func TestBatchedRelaysRacingOnTheSameCustomers(t *testing.T) {
	const customers, perCustomer = 48, 3 // more customers than one batch of either relay (16)
	b, ids := batchFixture(t, customers, perCustomer)
	d := newDeliveries()
	var wg sync.WaitGroup
	counts := make([]int, 2)
	leftAtEnd := make([]int, 2) // customers still owed a signal when relay r returned
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := b.s.RelayOwed(b.ctx, ids, store.RelayOptions{InFlight: 4, PastRefusals: r == 0}, d.deliver)
			assert.NoError(t, err, "relay %d", r)
			counts[r] = n
			leftAtEnd[r] = customers - d.customersDone(perCustomer)
		}()
	}
	wg.Wait()
	// A relay ends only when every customer still owed is held by the other, which goes on: a
	// claim that lost its heads to the other's does not end it. Nothing is left for a third.
	require.Equal(t, customers*perCustomer, counts[0]+counts[1], "delivered by the two relays %v", counts)
	// A relay that delivered none may have started its first claim late, when the other held
	// every customer left: at most the customers of its batch delivering and of the next, 2 x 16.
	// More left means it ended on a claim the other won.
	const heldByOne = 2 * 16
	for r := range 2 {
		if counts[r] == 0 {
			require.LessOrEqual(t, leftAtEnd[r], heldByOne,
				"relay %d delivered none and returned with %d customers left: it ended on a claim the other won (%v)", r, leftAtEnd[r], counts)
		}
	}
	rest, err := b.s.RelayOwed(b.ctx, nil, store.RelayOptions{InFlight: 4}, d.deliver)
	require.NoError(t, err)
	require.Zero(t, rest, "left for a relay after the two")
	require.Empty(t, d.overlap, "signals delivered while another of the same customer's was in flight")
	for _, id := range ids {
		require.Equal(t, inOrder(id, 0, perCustomer), d.got[id], "customer %s's signals", id)
	}
	requireOwed(t, b.s, 0, "after both relays")
}

// A refusal in the middle of a batch: the others of the batch are still marked delivered, the
// refused customer's signal keeps its attempt and error and its later ones stay owed; a relay that
// stops at the refusal gives back the signals it did not start, their attempt uncounted.
func TestBatchedRelayRefusalInTheMiddleOfABatch(t *testing.T) {
	const customers, perCustomer = 8, 2
	b, ids := batchFixture(t, customers, perCustomer)

	// Going on past refusals: everyone but c03 is delivered.
	d := newDeliveries()
	d.refuse["u/c03/0"] = true
	settled := map[string]error{}
	n, err := b.s.RelayOwed(b.ctx, nil, store.RelayOptions{InFlight: 2, PastRefusals: true,
		Settled: func(id string, _ int, err error) { settled[id] = err }}, d.deliver)
	require.ErrorContains(t, err, "refused u/c03/0")
	require.Equal(t, (customers-1)*perCustomer, n)
	require.Len(t, settled, customers, "every customer settled: %v", settled)
	require.Error(t, settled["c03"], "the refused customer")
	for _, id := range ids {
		if id == "c03" {
			require.Empty(t, d.got[id], "c03's later signal must wait for its refused first one")
			continue
		}
		require.Equal(t, inOrder(id, 0, perCustomer), d.got[id], "customer %s's signals", id)
		require.NoError(t, settled[id], "customer %s", id)
	}
	requireOwed(t, b.s, perCustomer, "c03's signals")
	var attempts int
	var lastError string
	require.NoError(t, b.db.QueryRow(b.ctx, `SELECT attempts, last_error FROM signal_outbox WHERE event_id = 'u/c03/0'`).Scan(&attempts, &lastError))
	require.Equal(t, 1, attempts, "the refused delivery counted")
	require.Contains(t, lastError, "refused u/c03/0")

	// One at a time, stopping at the refusal: c03 is tried again and refused again; the heads
	// claimed with it but not started are given back untried.
	_, err = b.s.Owe(b.ctx, []store.OwedSignal{
		{EventID: "u/c00/9", CustomerID: "c00", Signal: "usage"}, {EventID: "u/c01/9", CustomerID: "c01", Signal: "usage"},
		{EventID: "u/c02/9", CustomerID: "c02", Signal: "usage"}})
	require.NoError(t, err)
	var tried []string
	n, err = b.s.RelaySignals(b.ctx, nil, func(_ context.Context, s store.OwedSignal) error {
		tried = append(tried, s.EventID)
		if s.EventID == "u/c01/9" {
			return errors.New("refused " + s.EventID)
		}
		return nil
	})
	require.ErrorContains(t, err, "refused u/c01/9")
	require.Equal(t, 1, n)
	require.Equal(t, []string{"u/c00/9", "u/c01/9"}, tried, "the never-tried first, stopping at the refusal")
	var got []store.OwedSignal
	n, err = b.s.RelaySignals(b.ctx, nil, func(_ context.Context, s store.OwedSignal) error { got = append(got, s); return nil })
	require.NoError(t, err)
	require.Equal(t, 4, n)
	attemptsOf := map[string]int{}
	var order []string
	for _, s := range got {
		attemptsOf[s.EventID] = s.Attempts
		order = append(order, s.EventID)
	}
	require.Equal(t, []string{"u/c02/9", "u/c03/0", "u/c01/9", "u/c03/1"}, order,
		"least tried first, then the longest waiting; c03's second in the next batch")
	require.Equal(t, 1, attemptsOf["u/c02/9"], "claimed with the refused one but never tried: this is its first attempt")
	require.Equal(t, 2, attemptsOf["u/c01/9"], "refused once, then delivered")
	require.Equal(t, 2, attemptsOf["u/c03/0"], "refused once, then delivered (the stopped relay never reached it)")
	requireOwed(t, b.s, 0, "after the last relay")
}

// A relay fed by Arrivals (an import committing chunk by chunk) claims only among the customers it
// was given, waits for more while nothing is left to claim (saying so through Waiting), delivers a
// customer that arrives again after it was settled, and ends only once Arrivals is closed.
func TestRelayFedByArrivals(t *testing.T) {
	b, ids := batchFixture(t, 6, 1) // c00..c05 owed u/<id>/0 each
	d := newDeliveries()
	arrivals := make(chan []string)
	waiting := make(chan int, 10)
	var settled []string
	done := make(chan error, 1)
	var delivered int
	go func() {
		var err error
		delivered, err = b.s.RelayOwed(b.ctx, nil, store.RelayOptions{InFlight: 2, PastRefusals: true, Arrivals: arrivals,
			Waiting: func(arrived int) { waiting <- arrived },
			Settled: func(id string, _ int, err error) { settled = append(settled, id) }}, d.deliver)
		done <- err
	}()
	waitFor := func(arrived int, what string) {
		t.Helper()
		select {
		case n := <-waiting:
			require.Equal(t, arrived, n, "the arrivals received when waiting %s", what)
		case err := <-done:
			t.Fatalf("the relay ended (%v) before %s", err, what)
		case <-time.After(10 * time.Second):
			t.Fatalf("the relay did not wait for arrivals %s", what)
		}
	}
	waitFor(0, "at the start, given nobody")
	d.mu.Lock()
	require.Empty(t, d.got, "nil customers with Arrivals means none, not all")
	d.mu.Unlock()

	arrivals <- ids[:2]
	waitFor(1, "after the first arrival")
	d.mu.Lock()
	assert.Equal(t, map[string][]string{"c00": {"u/c00/0"}, "c01": {"u/c01/0"}}, d.got, "only the customers given")
	d.mu.Unlock()

	// c00 is owed again after it was settled: it arrives again with the rest.
	_, err := b.s.Owe(b.ctx, []store.OwedSignal{{EventID: "u/c00/1", CustomerID: "c00", Signal: "usage", Payload: json.RawMessage(`{}`)}})
	require.NoError(t, err)
	arrivals <- []string{"c00", "c02"}
	waitFor(2, "after the second arrival")
	close(arrivals)
	require.NoError(t, <-done)
	assert.Equal(t, 4, delivered)
	assert.Equal(t, []string{"u/c00/0", "u/c00/1"}, d.got["c00"])
	assert.Equal(t, []string{"u/c02/0"}, d.got["c02"])
	assert.Empty(t, d.got["c03"], "never given")
	assert.ElementsMatch(t, []string{"c00", "c01", "c00", "c02"}, settled)
	requireOwed(t, b.s, 3, "c03, c04 and c05, never given")
}
