package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// HandoffStore closes hand-offs with the signal they owe; *store.DB is one. A Store without it
// (the simulation's) keeps no hand-offs.
type HandoffStore interface {
	CompleteHandoffOwing(ctx context.Context, id string, at time.Time, makeSignal func(lifecycle.Handoff) (store.OwedSignal, error)) (lifecycle.Handoff, bool, error)
}

// HandoffDoneEventID is handoff-done/<hand-off id>.
func HandoffDoneEventID(handoffID string) string { return "handoff-done/" + handoffID }

// HandoffDone marks the hand-off done and, when it was open, owes the customer's workflow the
// handoff-done signal in the same transaction, then delivers it: the workflow stops reminding the
// shop. A hand-off done before changes nothing (Result.New false); an unknown id is an error
// wrapping lifecycle.ErrNotFound.
func (s *Service) HandoffDone(ctx context.Context, id string) (lifecycle.Handoff, Result, error) {
	hs, ok := s.store.(HandoffStore)
	if !ok {
		return lifecycle.Handoff{}, Result{}, errors.New("hand-off done: this store keeps no hand-offs")
	}
	now := s.now().UTC()
	h, closed, err := hs.CompleteHandoffOwing(ctx, id, now, func(h lifecycle.Handoff) (store.OwedSignal, error) {
		return owed(HandoffDoneEventID(h.ID), h.CustomerID, workflows.SignalHandoffDone, workflows.HandoffDoneSignal{HandoffID: h.ID, At: now})
	})
	if err != nil {
		return lifecycle.Handoff{}, Result{}, err
	}
	res := Result{EventID: HandoffDoneEventID(id), New: closed}
	if closed {
		res.Delivered, res.DeliveryError = s.deliver(ctx, h.CustomerID)
	}
	return h, res, nil
}

// Recall is one reached customer of a recalled campaign.
type Recall struct {
	CustomerID string
	Key        string // the campaign's follow-up key for this customer (lifecycle.SendKey)
	Campaign   string // the campaign's workflow ID
}

// RecallEventID is recall/<follow-up key>.
func RecallEventID(key string) string { return "recall/" + key }

// Recalls owes each customer the recall signal of its follow-up (recall/<key>: a repeated recall
// owes nothing new) and delivers them, concurrency customers at a time. It returns how many
// signals were delivered now and how many customers still wait for the worker's relay.
func (s *Service) Recalls(ctx context.Context, rs []Recall, concurrency int) (delivered, waiting int, firstErr error, err error) {
	sigs := make([]store.OwedSignal, len(rs))
	ids := make([]string, len(rs))
	for i, r := range rs {
		if err := checkIDs("recall", "", r.CustomerID); err != nil {
			return 0, 0, nil, err
		}
		if r.Key == "" {
			return 0, 0, nil, fmt.Errorf("recall for customer %s: empty follow-up key", r.CustomerID)
		}
		sig, err := owed(RecallEventID(r.Key), r.CustomerID, workflows.SignalRecall, workflows.RecallSignal{Key: r.Key, Campaign: r.Campaign})
		if err != nil {
			return 0, 0, nil, err
		}
		sigs[i], ids[i] = sig, r.CustomerID
	}
	if len(sigs) == 0 {
		return 0, 0, nil, nil
	}
	if _, err := s.store.Owe(ctx, sigs); err != nil {
		return 0, 0, nil, err
	}
	delivered, waiting, firstErr = s.DeliverOwed(ctx, ids, concurrency, nil)
	return delivered, waiting, firstErr, nil
}
