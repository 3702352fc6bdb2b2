package workflows

import (
	"slices"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Stage is where a customer stands; it is mirrored into the LifecycleStage search attribute.
type Stage string

const (
	StageNew          Stage = "new"          // known, nothing bought yet
	StagePurchased    Stage = "purchased"    // bought; follow-ups ahead
	StageFollowedUp   Stage = "followed-up"  // at least one follow-up sent
	StageUnsubscribed Stage = "unsubscribed" // no marketing any more
)

// Outcome of a decision about a follow-up or an event.
type Outcome string

const (
	OutcomeScheduled Outcome = "scheduled" // queued, due at a time
	OutcomeDeferred  Outcome = "deferred"  // due, but waits for min_gap
	OutcomeSent      Outcome = "sent"
	OutcomeDropped   Outcome = "dropped" // will not be sent: expired, replaced, unsubscribed
	OutcomeSkipped   Outcome = "skipped" // the send step found nothing to send or no consent
	OutcomeFailed    Outcome = "failed"  // the provider refused for good
	OutcomeIgnored   Outcome = "ignored" // an event that does not concern this customer
)

// SentEmail is one follow-up that went out.
type SentEmail struct {
	Kind      lifecycle.Kind `json:"kind"`
	Key       string         `json:"key"`
	Subject   string         `json:"subject"`
	MessageID string         `json:"message_id"`
	SentAt    time.Time      `json:"sent_at"`
}

// Decision records what the workflow decided and why, for the status query.
type Decision struct {
	At      time.Time      `json:"at"`
	Kind    lifecycle.Kind `json:"kind,omitempty"`
	Key     string         `json:"key,omitempty"`
	Outcome Outcome        `json:"outcome"`
	Until   time.Time      `json:"until,omitzero"` // deferred or scheduled until
	Reason  string         `json:"reason"`
}

// PurchaseRecord is a purchase as the workflow remembers it.
type PurchaseRecord struct {
	ID       string    `json:"id"`
	SKU      string    `json:"sku"`
	Product  string    `json:"product"`
	Name     string    `json:"name"`
	Category string    `json:"category"`
	Color    string    `json:"color"`
	Size     string    `json:"size"`
	At       time.Time `json:"at"`
}

// Bounds keep the state (and so every continue-as-new payload) small for a customer of years.
const (
	maxDecisions = 50
	maxEmails    = 50
	maxPurchases = 50
	maxDoneKeys  = 500
)

// State is everything a customer's workflow knows. It is carried whole through continue-as-new.
type State struct {
	CustomerID  string                `json:"customer_id"`
	Stage       Stage                 `json:"stage"`
	Preferences lifecycle.Preferences `json:"preferences"`
	Purchases   []PurchaseRecord      `json:"purchases"`
	Wishes      []lifecycle.Wish      `json:"wishes"`
	Pending     []lifecycle.FollowUp  `json:"pending"`
	Emails      []SentEmail           `json:"emails"`
	Decisions   []Decision            `json:"decisions"`
	LastSentAt  time.Time             `json:"last_sent_at"`
	// DoneKeys are follow-up keys that were sent, dropped, skipped or failed: a duplicate event
	// with one of these keys is ignored. The send log in Postgres guards beyond this bound.
	DoneKeys []string `json:"done_keys"`
}

func newState(customerID string) *State {
	return &State{CustomerID: customerID, Stage: StageNew}
}

func (s *State) decide(d Decision) {
	s.Decisions = appendBounded(s.Decisions, d, maxDecisions)
}

func (s *State) markDone(key string) {
	s.DoneKeys = appendBounded(s.DoneKeys, key, maxDoneKeys)
}

// known reports whether a follow-up with key is queued or already handled.
func (s *State) known(key string) bool {
	if slices.Contains(s.DoneKeys, key) {
		return true
	}
	return slices.ContainsFunc(s.Pending, func(f lifecycle.FollowUp) bool { return f.Key == key })
}

func (s *State) removePending(key string) {
	s.Pending = slices.DeleteFunc(s.Pending, func(f lifecycle.FollowUp) bool { return f.Key == key })
}

// readyAt is the earliest time f may be sent: its due time, pushed past min_gap after the last email.
func (s *State) readyAt(f lifecycle.FollowUp, minGap time.Duration) time.Time {
	if s.LastSentAt.IsZero() {
		return f.Due
	}
	if gapEnd := s.LastSentAt.Add(minGap); gapEnd.After(f.Due) {
		return gapEnd
	}
	return f.Due
}

// next returns the follow-up to send next and when: the earliest ready one; among those ready at
// the same time the kind with the higher priority (restock, sale, season), then the earliest due.
func (s *State) next(minGap time.Duration) (lifecycle.FollowUp, time.Time, bool) {
	if len(s.Pending) == 0 {
		return lifecycle.FollowUp{}, time.Time{}, false
	}
	best := s.Pending[0]
	bestAt := s.readyAt(best, minGap)
	for _, f := range s.Pending[1:] {
		at := s.readyAt(f, minGap)
		switch {
		case at.Before(bestAt):
		case at.Equal(bestAt) && f.Kind.Priority() < best.Kind.Priority():
		case at.Equal(bestAt) && f.Kind.Priority() == best.Kind.Priority() && f.Due.Before(best.Due):
		default:
			continue
		}
		best, bestAt = f, at
	}
	return best, bestAt, true
}

func appendBounded[T any](list []T, v T, limit int) []T {
	list = append(list, v)
	if len(list) > limit {
		list = slices.Clone(list[len(list)-limit:])
	}
	return list
}
