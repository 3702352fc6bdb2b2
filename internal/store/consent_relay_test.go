package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// Found in review of issue #13: RelayConsentSignals (now RelaySignals) used to hold a pooled connection (and a
// transaction) for as long as deliver, a call to Temporal, took. While Temporal is slow or unreachable (the
// SDK retries a signal until its context ends: 10 s for POST /u, 30 s for the worker's round), a
// handful of unsubscribes take every connection of the pool (pgxpool's default is
// max(4, NumCPU)), and every other use of the database, pages, the webhook, activities, waits.
func TestSlowConsentDeliveriesDoNotStarveThePool(t *testing.T) {
	_, dbURL := storetest.New(t)
	ctx := context.Background()
	const poolSize = 4 // pgxpool's default on a machine with up to 4 cores
	st, err := store.Open(ctx, dbURL+"&pool_max_conns="+fmt.Sprint(poolSize))
	require.NoError(t, err)
	t.Cleanup(st.Close)
	var rows strings.Builder
	rows.WriteString("id,name,email,locale,timezone,colors,sizes,consent\n")
	for i := range poolSize {
		fmt.Fprintf(&rows, "c%d,C,c%d@example.com,en,UTC,,,true\n", i, i)
	}
	_, err = st.ImportCustomers(ctx, strings.NewReader(rows.String()))
	require.NoError(t, err)

	release := make(chan struct{})
	entered := make(chan struct{}, poolSize)
	slowTemporal := func(ctx context.Context, _ store.OwedSignal) error {
		entered <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { close(release); wg.Wait() })
	for i := range poolSize { // poolSize customers press "Unsubscribe" while Temporal is slow
		id := fmt.Sprintf("c%d", i)
		require.NoError(t, st.SetConsent(ctx, id, false, "unsubscribe-link"))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = st.RelaySignals(ctx, []string{id}, slowTemporal)
		}()
		<-entered
	}

	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = st.Customer(qctx, "c0")
	require.NoError(t, err, "reading a customer while %d consent signals wait for a slow Temporal", poolSize)
}

// Found in review of issue #13: a delivery that hung until the round's context ended was not
// recorded as an attempt (the UPDATE runs on the expired context and the transaction rolls back),
// so that customer stays first in "ORDER BY attempts, changed_at" and the relay, which stops at
// the first failure, never reaches anyone behind it: one customer whose signal hangs (a busy
// workflow, a history shard that is down) blocks every consent signal owed.
func TestHangingConsentDeliveryDoesNotBlockOthers(t *testing.T) {
	b := setup(t)
	_, err := b.s.ImportCustomers(b.ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,consent\n"+
		"hangs,H,h@example.com,en,UTC,,,true\n"+
		"fine,F,f@example.com,en,UTC,,,true\n"))
	require.NoError(t, err)
	require.NoError(t, b.s.SetConsent(b.ctx, "hangs", false, "unsubscribe-link")) // the older change
	require.NoError(t, b.s.SetConsent(b.ctx, "fine", false, "unsubscribe-link"))

	var delivered []string
	deliver := func(ctx context.Context, ch store.OwedSignal) error {
		if ch.CustomerID == "hangs" {
			<-ctx.Done()
			return ctx.Err()
		}
		delivered = append(delivered, ch.CustomerID)
		return nil
	}
	for round := range 3 { // as events.Service.RelayEvery does: each round bounded by its interval
		rctx, cancel := context.WithTimeout(b.ctx, 200*time.Millisecond)
		_, _ = b.s.RelaySignals(rctx, nil, deliver)
		cancel()
		if len(delivered) > 0 {
			return
		}
		t.Logf("round %d: nothing delivered", round+1)
	}
	t.Fatalf("after 3 rounds, customer %q's consent signal was never delivered: the hanging customer %q is first every round", "fine", "hangs")
}
