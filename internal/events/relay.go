package events

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// payloadTypes are the signals the layer owes, each with the type its payload decodes into: the
// workflow gets the same typed payload a direct caller would send.
var payloadTypes = map[string]func() any{
	workflows.SignalPurchase:    func() any { return new(workflows.PurchaseSignal) },
	workflows.SignalUsage:       func() any { return new(workflows.UsageSignal) },
	workflows.SignalConsent:     func() any { return new(workflows.ConsentSignal) },
	workflows.SignalComplaint:   func() any { return new(workflows.ComplaintSignal) },
	workflows.SignalSuppress:    func() any { return new(workflows.SuppressSignal) },
	workflows.SignalPreferences: func() any { return new(workflows.PreferencesSignal) },
	workflows.SignalUnsubscribe: func() any { return new(workflows.UnsubscribeSignal) },
	workflows.SignalHandoffDone: func() any { return new(workflows.HandoffDoneSignal) },
	workflows.SignalRecall:      func() any { return new(workflows.RecallSignal) },
	workflows.SignalReply:       func() any { return new(workflows.ReplySignal) },
}

// DecodePayload returns the typed payload of sig, as the workflow expects it.
func DecodePayload(sig store.OwedSignal) (any, error) {
	newPayload, ok := payloadTypes[sig.Signal]
	if !ok {
		return nil, fmt.Errorf("event %s owes signal %q, which the event layer does not know", sig.EventID, sig.Signal)
	}
	p := newPayload()
	if err := json.Unmarshal(sig.Payload, p); err != nil {
		return nil, fmt.Errorf("decode %s signal of event %s: %w", sig.Signal, sig.EventID, err)
	}
	// The value, not the pointer: what a direct caller would have passed.
	return reflect.ValueOf(p).Elem().Interface(), nil
}

// RelayInFlight is how many deliveries a relay of the event layer runs at once: as many as an
// import's default, so the worker's relay catches up on a backlog as fast as an import delivers.
const RelayInFlight = 16

// Relay delivers the signals still owed: those of customerIDs, or all when customerIDs is nil,
// RelayInFlight at a time, each customer's in the order written (store.RelayOwed). It stops after
// the first refusal. It returns how many were delivered; on error the rest stay owed.
func (s *Service) Relay(ctx context.Context, customerIDs []string) (int, error) {
	n, err := s.store.RelayOwed(ctx, customerIDs, store.RelayOptions{InFlight: RelayInFlight}, s.deliverSignal)
	if err != nil {
		return n, fmt.Errorf("relay owed signals: %w", err)
	}
	return n, nil
}

// deliverSignal hands sig to its customer's workflow, with the payload typed as the workflow
// expects it.
func (s *Service) deliverSignal(ctx context.Context, sig store.OwedSignal) error {
	p, err := DecodePayload(sig)
	if err != nil {
		return err
	}
	return s.lifecycle.Signal(ctx, sig.CustomerID, sig.Signal, p)
}

// DeliveredSignalRetention is how long a delivered signal is kept: the time within which a
// repeated event is recognised by its event id alone (store.PruneDeliveredSignals says which events
// stay recognised longer).
const DeliveredSignalRetention = 7 * 24 * time.Hour

// pruneEvery is how often RelayEvery prunes delivered signals: a prune finds little between two.
const pruneEvery = time.Hour

// RelayEvery relays every owed signal at once and then every interval until ctx ends, logging
// what it delivered and what failed; it returns nil when ctx ends. Each round is bounded by
// interval, so a workflow service that hangs does not pile rounds up. In the first round and then
// once an hour it also deletes the signals delivered more than DeliveredSignalRetention ago, so the
// outbox does not grow with every event ever recorded.
func (s *Service) RelayEvery(ctx context.Context, interval time.Duration, logger *slog.Logger) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var pruned time.Time
	for {
		rctx, cancel := context.WithTimeout(ctx, interval)
		n, err := s.Relay(rctx, nil)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			logger.Warn("signals still owed; retrying", "delivered", n, "retry_in", interval.String(), "error", err.Error())
		case n > 0:
			logger.Info("owed signals delivered", "delivered", n)
		}
		if now := s.now(); now.Sub(pruned) >= pruneEvery {
			pctx, cancel := context.WithTimeout(ctx, interval)
			n, err := s.store.PruneDeliveredSignals(pctx, now.Add(-DeliveredSignalRetention))
			cancel()
			switch {
			case ctx.Err() != nil:
				return nil
			case err != nil:
				logger.Warn("delivered signals not pruned; trying again next round", "error", err.Error())
			default:
				pruned = now
				if n > 0 {
					logger.Info("delivered signals pruned", "pruned", n, "retention", DeliveredSignalRetention.String())
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
