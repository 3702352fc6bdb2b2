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
	Timezone    string                `json:"timezone,omitempty"`
	Paused      bool                  `json:"paused,omitempty"`
	Kinds       []lifecycle.Kind      `json:"kinds,omitempty"` // wanted follow-up kinds; empty: all
	Goals       []string              `json:"goals,omitempty"` // offers accepted: no more of these
	// ConsentSource and ConsentAt tell where the last consent change came from.
	ConsentSource string    `json:"consent_source,omitempty"`
	ConsentAt     time.Time `json:"consent_at,omitzero"`
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
		CustomerID:    s.CustomerID,
		Stage:         s.Stage,
		Preferences:   s.Preferences,
		Purchases:     slices.Clone(s.Purchases),
		Emails:        append([]SentEmail{}, s.Emails...),
		Decisions:     append([]Decision{}, s.Decisions...),
		Policy:        l.policy,
		Timezone:      s.Timezone,
		Paused:        s.Paused,
		Kinds:         slices.Clone(s.Kinds),
		Goals:         slices.Clone(s.Goals),
		ConsentSource: s.ConsentSource,
		ConsentAt:     s.ConsentAt,
		Wishes:        []WishStatus{},
		Pending:       []PendingStatus{},
	}
	for _, w := range s.Wishes {
		if expires := w.CreatedAt.Add(l.policy.RestockWindow); !now.After(expires) {
			st.Wishes = append(st.Wishes, WishStatus{Wish: w, ExpiresAt: expires})
		}
	}
	for _, f := range s.Pending {
		st.Pending = append(st.Pending, PendingStatus{Kind: f.Kind, Key: f.Key, Due: s.readyAt(f, l.policy, l.loc), ExpiresAt: f.ExpiresAt})
	}
	slices.SortStableFunc(st.Pending, func(x, y PendingStatus) int { return x.Due.Compare(y.Due) })
	return st
}
