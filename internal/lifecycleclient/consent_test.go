package lifecycleclient_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/workflows"
)

// outboxFunc is a ConsentOutbox owing the changes it returns to deliver.
type outboxFunc func(ctx context.Context, ids []string, deliver func(context.Context, lifecycle.ConsentChange) error) (int, error)

func (f outboxFunc) RelayConsentSignals(ctx context.Context, ids []string, deliver func(context.Context, lifecycle.ConsentChange) error) (int, error) {
	return f(ctx, ids, deliver)
}

// An owed change reaches the customer's workflow as a consent signal of that state.
func TestRelayConsentSignalsTheOwedState(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	var got []string
	var payload workflows.ConsentSignal
	lc := lifecycleclient.New(&fakeTemporal{signalWithStart: func(id, signal string, arg any, _ client.StartWorkflowOptions, _ any, _ ...any) error {
		got = append(got, id+" "+signal)
		payload = arg.(workflows.ConsentSignal)
		return nil
	}})
	owed := []lifecycle.ConsentChange{{CustomerID: "ann", Granted: false, Source: "unsubscribe-link", At: at}}
	n, err := lc.RelayConsent(t.Context(), outboxFunc(func(ctx context.Context, ids []string, deliver func(context.Context, lifecycle.ConsentChange) error) (int, error) {
		assert.Equal(t, []string{"ann"}, ids)
		for i, ch := range owed {
			if err := deliver(ctx, ch); err != nil {
				return i, err
			}
		}
		return len(owed), nil
	}), []string{"ann"})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{workflows.CustomerWorkflowID("ann") + " " + workflows.SignalConsent}, got)
	assert.Equal(t, workflows.ConsentSignal{Granted: false, Source: "unsubscribe-link", At: at.UTC()}, payload)
}

// The worker's relay delivers at once, not only after the first interval (an hour here), and
// stops with nil when its context ends, even after a failed round.
func TestRelayConsentEveryStartsAtOnce(t *testing.T) {
	lc := lifecycleclient.New(&fakeTemporal{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rounds := 0
	outbox := outboxFunc(func(context.Context, []string, func(context.Context, lifecycle.ConsentChange) error) (int, error) {
		rounds++
		cancel()
		return 0, errors.New("frontend unavailable")
	})
	done := make(chan error, 1)
	go func() { done <- lc.RelayConsentEvery(ctx, outbox, time.Hour, slog.New(slog.DiscardHandler)) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("RelayConsentEvery did not stop when its context ended")
	}
	assert.Equal(t, 1, rounds, "one round at start")
}
