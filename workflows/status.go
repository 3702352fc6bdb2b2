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
	HeldOut     []SentEmail           `json:"held_out,omitempty"` // follow-ups held out: the emails not sent
	Decisions   []Decision            `json:"decisions"`
	Policy      lifecycle.Policy      `json:"policy"`
	Timezone    string                `json:"timezone,omitempty"`
	Paused      bool                  `json:"paused,omitempty"`
	// LearningStopped: the customer asked the shop to learn nothing more from what they do.
	LearningStopped bool             `json:"learning_stopped,omitempty"`
	Kinds           []lifecycle.Kind `json:"kinds,omitempty"` // wanted follow-up kinds; empty: all
	Goals           []string         `json:"goals,omitempty"` // offers accepted: no more of these
	// ConsentSource and ConsentAt tell where the last consent change came from.
	ConsentSource string    `json:"consent_source,omitempty"`
	ConsentAt     time.Time `json:"consent_at,omitzero"`

	Segment        lifecycle.Segment        `json:"segment,omitempty"`
	SegmentReasons []string                 `json:"segment_reasons,omitempty"`
	SegmentAt      time.Time                `json:"segment_at,omitzero"`
	Usage          []lifecycle.UsageProfile `json:"usage,omitempty"`
	Moments        []Moment                 `json:"moments,omitempty"`
	// ChurnIndicators are those present now, per metric with a usage profile.
	ChurnIndicators []string  `json:"churn_indicators,omitempty"`
	LastComplaintAt time.Time `json:"last_complaint_at,omitzero"`
	// Unhappy names the purchase the customer is unhappy with; upsells wait for service contact.
	Unhappy string `json:"unhappy,omitempty"`
	// Handoffs are the hand-offs to the shop still open, each marked overdue past handoff_remind_after.
	Handoffs []HandoffStatus `json:"handoffs,omitempty"`
	// Replies are the last replies by email to a question, oldest first.
	Replies []Reply `json:"replies,omitempty"`
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
		CustomerID:      s.CustomerID,
		Stage:           s.Stage,
		Preferences:     s.Preferences,
		Purchases:       slices.Clone(s.Purchases),
		Emails:          append([]SentEmail{}, s.Emails...),
		HeldOut:         slices.Clone(s.HeldOut),
		Decisions:       append([]Decision{}, s.Decisions...),
		Policy:          l.policy,
		Timezone:        s.Timezone,
		Paused:          s.Paused,
		LearningStopped: s.LearningStopped,
		Kinds:           slices.Clone(s.Kinds),
		Goals:           slices.Clone(s.Goals),
		ConsentSource:   s.ConsentSource,
		ConsentAt:       s.ConsentAt,
		Wishes:          []WishStatus{},
		Pending:         []PendingStatus{},

		Segment:         s.Segment,
		SegmentReasons:  slices.Clone(s.SegmentReasons),
		SegmentAt:       s.SegmentAt,
		Usage:           slices.Clone(s.Usage),
		Moments:         slices.Clone(s.Moments),
		LastComplaintAt: s.LastComplaintAt,
	}
	st.Handoffs = l.handoffStatus(now)
	st.Replies = slices.Clone(s.Replies)
	if s.Unhappy != "" {
		st.Unhappy = s.purchaseName(s.Unhappy)
	}
	facts := lifecycle.ChurnFacts{LastComplaintAt: s.LastComplaintAt, OptedOutKinds: len(s.Kinds) > 0}
	for _, p := range s.Usage {
		for _, c := range lifecycle.ChurnIndicators(p, facts, now, l.usagePolicy()) {
			if !slices.Contains(st.ChurnIndicators, c) {
				st.ChurnIndicators = append(st.ChurnIndicators, c)
			}
		}
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
