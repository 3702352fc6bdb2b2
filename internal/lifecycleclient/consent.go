package lifecycleclient

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// ConsentOutbox holds the consent changes whose signal a workflow is still owed; *store.DB is
// one. RelayConsentSignals hands each to deliver and forgets those delivered (see the store).
type ConsentOutbox interface {
	RelayConsentSignals(ctx context.Context, customerIDs []string, deliver func(context.Context, lifecycle.ConsentChange) error) (int, error)
}

// DeliverConsent tells the customer's workflow the consent change with a consent signal. The
// workflow treats it as a state, not a toggle: hearing the same change twice is harmless.
func (c *Client) DeliverConsent(ctx context.Context, ch lifecycle.ConsentChange) error {
	return c.Signal(ctx, ch.CustomerID, workflows.SignalConsent,
		workflows.ConsentSignal{Granted: ch.Granted, Source: ch.Source, At: ch.At.UTC()})
}

// RelayConsent delivers the consent signals outbox still owes: those of customerIDs, or all when
// customerIDs is nil. It is what every entry point that changes consent calls after writing the
// change, and what the worker calls periodically (RelayConsentEvery). It returns how many were
// delivered; on error the rest stay owed.
func (c *Client) RelayConsent(ctx context.Context, outbox ConsentOutbox, customerIDs []string) (int, error) {
	n, err := outbox.RelayConsentSignals(ctx, customerIDs, c.DeliverConsent)
	if err != nil {
		return n, fmt.Errorf("relay consent signals: %w", err)
	}
	return n, nil
}

// RelayConsentEvery relays every owed consent signal at once and then every interval until ctx
// ends, logging what it delivered and what failed; it returns nil when ctx ends. Each round is
// bounded by interval, so a workflow service that hangs does not pile rounds up.
func (c *Client) RelayConsentEvery(ctx context.Context, outbox ConsentOutbox, interval time.Duration, logger *slog.Logger) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, interval)
		n, err := c.RelayConsent(rctx, outbox, nil)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			logger.Warn("consent signals still owed; retrying", "delivered", n, "retry_in", interval.String(), "error", err.Error())
		case n > 0:
			logger.Info("consent signals delivered", "delivered", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
