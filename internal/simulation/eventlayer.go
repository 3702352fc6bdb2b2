package simulation

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// The simulation records shop events through the production event layer (internal/events), with
// the Shop as its store, an in-memory outbox in place of signal_outbox and the test environment's
// SignalWorkflow in place of SignalWithStart: the same use cases as the starter, the pages and the
// webhook, with fakes.
var (
	_ events.Store     = (*shopEvents)(nil)
	_ events.Lifecycle = envLifecycle{}
)

// shopEvents is events.Store over a Shop, keeping owed signals in memory, each event id once.
type shopEvents struct {
	shop       Shop
	customerID string           // the scenario's one customer
	now        func() time.Time // the simulated clock: a consent change's time

	mu        sync.Mutex
	bought    []boughtItem // purchases recorded, in order, for attribution
	seen      map[string]bool
	owed      []store.OwedSignal // in the order written
	delivered map[string]store.OwedSignal
}

func newShopEvents(shop Shop, customerID string, now func() time.Time) *shopEvents {
	return &shopEvents{shop: shop, customerID: customerID, now: now, seen: map[string]bool{}, delivered: map[string]store.OwedSignal{}}
}

// owe adds sig unless its event id was recorded before, and reports whether it was new.
func (s *shopEvents) owe(sig store.OwedSignal) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[sig.EventID] {
		return false
	}
	s.seen[sig.EventID] = true
	s.owed = append(s.owed, sig)
	return true
}

func (s *shopEvents) RecordPurchases(ctx context.Context, ps []store.PurchaseOwing) ([]store.RecordedPurchase, error) {
	out := make([]store.RecordedPurchase, len(ps))
	for i, p := range ps {
		product, prefs, err := s.shop.RecordPurchase(ctx, p.Purchase)
		if err != nil {
			return nil, err
		}
		isNew := true
		if p.Signal.EventID != "" {
			isNew = s.owe(p.Signal)
		}
		if isNew {
			s.mu.Lock()
			s.bought = append(s.bought, boughtItem{purchase: p.Purchase, product: product})
			s.mu.Unlock()
		}
		out[i] = store.RecordedPurchase{Product: product, Preferences: prefs, New: isNew}
	}
	return out, nil
}

func (s *shopEvents) Owe(_ context.Context, sigs []store.OwedSignal) ([]bool, error) {
	fresh := make([]bool, len(sigs))
	for i, sig := range sigs {
		fresh[i] = s.owe(sig)
	}
	return fresh, nil
}

// SetConsent owes the consent signal as the store does (store.ConsentSignalName, its payload's
// fields), at the simulated time.
func (s *shopEvents) SetConsent(ctx context.Context, customerID string, consent bool, source string) error {
	if err := s.shop.SetConsent(ctx, customerID, consent, source); err != nil {
		return err
	}
	at := s.now().UTC()
	sig, err := consentOwed(customerID, consent, source, at)
	if err != nil {
		return err
	}
	s.owe(sig)
	return nil
}

// learningShop is a Shop that keeps whether the customer stopped its learning (the Catalogue).
type learningShop interface {
	SetLearningStopped(customerID string, stopped bool) error
}

// SetLearningOwing records the customer's learning choice in the shop, when it keeps one, and
// owes signal, as the store does in one transaction.
func (s *shopEvents) SetLearningOwing(_ context.Context, customerID string, stopped bool, sig store.OwedSignal) error {
	if l, ok := s.shop.(learningShop); ok {
		if err := l.SetLearningStopped(customerID, stopped); err != nil {
			return err
		}
	}
	s.owe(sig)
	return nil
}

func (s *shopEvents) SetConsentOwing(ctx context.Context, customerID string, consent bool, source string, sig *store.OwedSignal) error {
	if sig == nil {
		return s.SetConsent(ctx, customerID, consent, source)
	}
	if err := s.shop.SetConsent(ctx, customerID, consent, source); err != nil {
		return err
	}
	s.owe(*sig)
	return nil
}

// redeliver hands the signal of an event delivered before to lc again, as a relay that died
// after delivering and before marking it delivered would: the one way a workflow hears an event
// twice. It reports whether there was one.
func (s *shopEvents) redeliver(ctx context.Context, eventID string, lc events.Lifecycle) (bool, error) {
	s.mu.Lock()
	sig, ok := s.delivered[eventID]
	s.mu.Unlock()
	if !ok {
		return false, nil
	}
	p, err := events.DecodePayload(sig)
	if err != nil {
		return false, err
	}
	return true, lc.Signal(ctx, sig.CustomerID, sig.Signal, p)
}

// AddNoteOwing owes the note's signal: the Shop keeps no notes (a simulation has no segment
// recompute to count them; segments are scenario events).
func (s *shopEvents) AddNoteOwing(_ context.Context, n store.Note, sig *store.OwedSignal) (store.Note, bool, error) {
	isNew := true
	if sig != nil {
		isNew = s.owe(*sig)
	}
	return n, isNew, nil
}

func (s *shopEvents) SuppressOwing(ctx context.Context, email, reason string, at time.Time, sig *store.OwedSignal) (bool, error) {
	if email != "" {
		if err := s.shop.Suppress(ctx, email, reason, at); err != nil {
			return false, err
		}
	}
	return sig != nil && s.owe(*sig), nil
}

func (s *shopEvents) OwedCustomers(_ context.Context, customerIDs []string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, o := range s.owed {
		if (customerIDs == nil || slices.Contains(customerIDs, o.CustomerID)) && !slices.Contains(out, o.CustomerID) {
			out = append(out, o.CustomerID)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (s *shopEvents) CustomerExists(_ context.Context, id string) (bool, error) {
	return id == s.customerID, nil
}

func (s *shopEvents) ImportCustomersWithConsentChanges(context.Context, io.Reader) (int, []store.ConsentChange, error) {
	return 0, nil, errors.New("a simulation imports no customers: the scenario declares its one customer")
}

// RelaySignals delivers the owed signals of customerIDs (nil: all) in the order written, stopping
// at the first refusal, as the store does.
func (s *shopEvents) RelaySignals(ctx context.Context, customerIDs []string, deliver func(context.Context, store.OwedSignal) error) (int, error) {
	n := 0
	for {
		s.mu.Lock()
		i := slices.IndexFunc(s.owed, func(o store.OwedSignal) bool {
			return customerIDs == nil || slices.Contains(customerIDs, o.CustomerID)
		})
		if i < 0 {
			s.mu.Unlock()
			return n, nil
		}
		sig := s.owed[i]
		s.mu.Unlock()
		if err := deliver(ctx, sig); err != nil {
			return n, err
		}
		s.mu.Lock()
		s.delivered[sig.EventID] = sig
		s.owed = slices.Delete(s.owed, i, i+1)
		s.mu.Unlock()
		n++
	}
}

// RelayOwed delivers as RelaySignals does, one at a time: a scenario has one customer, whose
// signals go one after another in any case.
func (s *shopEvents) RelayOwed(ctx context.Context, customerIDs []string, opts store.RelayOptions, deliver func(context.Context, store.OwedSignal) error) (int, error) {
	n, err := s.RelaySignals(ctx, customerIDs, deliver)
	if opts.Settled != nil && (n > 0 || err != nil) {
		opts.Settled(s.customerID, n, err)
	}
	return n, err
}

// PruneDeliveredSignals keeps every event id: a scenario is short, and the simulation never runs
// the worker's relay loop that prunes.
func (s *shopEvents) PruneDeliveredSignals(context.Context, time.Time) (int64, error) { return 0, nil }

// envLifecycle delivers a signal to the one workflow of the test environment.
type envLifecycle struct {
	env *testsuite.TestWorkflowEnvironment
}

func (l envLifecycle) Signal(_ context.Context, _ string, signalName string, payload any) error {
	l.env.SignalWorkflow(signalName, payload)
	return nil
}

// consentOwed is the consent signal the store owes for a change (store.oweConsentSignals).
func consentOwed(customerID string, granted bool, source string, at time.Time) (store.OwedSignal, error) {
	return events.ConsentOwed(lifecycle.ConsentChange{CustomerID: customerID, Granted: granted, Source: source, At: at})
}
