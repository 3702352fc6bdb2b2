package workflows

import (
	"slices"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Status is the snapshot the status query returns.
type Status struct {
	CustomerID  string                `json:"customer_id"`
	Stage       Stage                 `json:"stage"`
	Preferences lifecycle.Preferences `json:"preferences"`
	Purchases   []PurchaseRecord      `json:"purchases"`
	Wishes      []WishStatus          `json:"wishes"`
	Pending     []PendingStatus       `json:"pending"`
	Emails      []SentEmail           `json:"emails"`
	Decisions   []Decision            `json:"decisions"`
	Policy      lifecycle.Policy      `json:"policy"`
}

// WishStatus is an open wish and when it lapses.
type WishStatus struct {
	lifecycle.Wish
	ExpiresAt time.Time `json:"expires_at"`
}

// PendingStatus is a queued follow-up; Due already accounts for min_gap.
type PendingStatus struct {
	Kind      lifecycle.Kind `json:"kind"`
	Key       string         `json:"key"`
	Due       time.Time      `json:"due"`
	ExpiresAt time.Time      `json:"expires_at,omitzero"`
}

func (l *lifecycleRun) status(now time.Time) Status {
	s := l.state
	st := Status{
		CustomerID:  s.CustomerID,
		Stage:       s.Stage,
		Preferences: s.Preferences,
		Purchases:   slices.Clone(s.Purchases),
		Emails:      append([]SentEmail{}, s.Emails...),
		Decisions:   append([]Decision{}, s.Decisions...),
		Policy:      l.policy,
		Wishes:      []WishStatus{},
		Pending:     []PendingStatus{},
	}
	for _, w := range s.Wishes {
		if expires := w.CreatedAt.Add(l.policy.RestockWindow); !now.After(expires) {
			st.Wishes = append(st.Wishes, WishStatus{Wish: w, ExpiresAt: expires})
		}
	}
	for _, f := range s.Pending {
		st.Pending = append(st.Pending, PendingStatus{Kind: f.Kind, Key: f.Key, Due: s.readyAt(f, l.policy.MinGap), ExpiresAt: f.ExpiresAt})
	}
	slices.SortStableFunc(st.Pending, func(x, y PendingStatus) int { return x.Due.Compare(y.Due) })
	return st
}
