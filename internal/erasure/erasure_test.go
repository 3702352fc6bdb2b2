package erasure_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/erasure"
	"github.com/tailorhq/tailor/internal/store"
)

type leasedStore struct{ inFlightUntil time.Time }

func (s leasedStore) Forget(context.Context, string) (store.Forgotten, error) {
	return store.Forgotten{Existed: true, Rows: map[string]int64{}, InFlightUntil: s.inFlightUntil}, nil
}

type terminations struct {
	mu sync.Mutex
	at []time.Time
}

func (w *terminations) TerminateWorkflow(context.Context, string, string, string, ...any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.at = append(w.at, time.Now())
	return nil
}

// A relay that claimed one of the customer's signals before the erasure may deliver it until its
// lease runs out: the second terminate comes after that, so a run the late signal starts is ended.
func TestForgetTerminatesAgainAfterASignalInFlight(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lease time.Duration
	}{{"no signal in flight", 0}, {"a signal leased for 300ms", 300 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			var until time.Time
			if tc.lease > 0 {
				until = time.Now().Add(tc.lease)
			}
			w := &terminations{}
			res, err := erasure.Forget(context.Background(), erasure.Deps{Store: leasedStore{until}, Workflows: w}, "zoe")
			require.NoError(t, err)
			require.Len(t, w.at, 2, "terminated before and after the erasure")
			if tc.lease > 0 {
				require.False(t, w.at[1].Before(until), "second terminate at %v, before the lease ran out at %v", w.at[1], until)
				require.NotEmpty(t, res.WaitedForSignals)
			} else {
				require.Empty(t, res.WaitedForSignals)
			}
		})
	}
}

func TestForgetGivesUpWaitingWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := erasure.Forget(ctx, erasure.Deps{Store: leasedStore{time.Now().Add(time.Minute)}, Workflows: &terminations{}}, "zoe")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
