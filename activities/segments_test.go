package activities_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// memorySegments is a SegmentStore over fixed facts (sorted by id) and a map of saved segments.
type memorySegments struct {
	facts   []lifecycle.SegmentFacts
	mu      sync.Mutex
	saved   map[string]lifecycle.Segment
	reasons map[string][]lifecycle.SegmentReason
	// lookback is what the last SegmentFactsPage was asked for.
	lookback time.Duration
}

func (m *memorySegments) SegmentFactsPage(_ context.Context, after string, limit int, _ time.Time, lookback time.Duration) ([]lifecycle.SegmentFacts, error) {
	m.lookback = lookback
	var page []lifecycle.SegmentFacts
	for _, f := range m.facts {
		if f.CustomerID > after && len(page) < limit {
			page = append(page, f)
		}
	}
	return page, nil
}

func (m *memorySegments) CurrentSegments(_ context.Context, ids []string) (map[string]lifecycle.Segment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]lifecycle.Segment{}
	for _, id := range ids {
		if s, ok := m.saved[id]; ok {
			out[id] = s
		}
	}
	return out, nil
}

func (m *memorySegments) SaveSegment(_ context.Context, id string, seg lifecycle.Segment, reasons []lifecycle.SegmentReason, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saved == nil {
		m.saved, m.reasons = map[string]lifecycle.Segment{}, map[string][]lifecycle.SegmentReason{}
	}
	changed := m.saved[id] != seg
	m.saved[id], m.reasons[id] = seg, reasons
	return changed, nil
}

// signalRecorder records signals; failFor makes signals to that customer fail.
type signalRecorder struct {
	mu      sync.Mutex
	failFor string
	got     []string // customer:segment
	names   []string
	reasons map[string][]string // by customer: the last signal's reasons
}

func (r *signalRecorder) Signal(_ context.Context, customerID, name string, payload any) error {
	if customerID == r.failFor {
		return errors.New("frontend unavailable")
	}
	sig, ok := payload.(activities.SegmentSignal)
	if !ok {
		return errors.New("unexpected payload type")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, customerID+":"+string(sig.Segment))
	r.names = append(r.names, name)
	if r.reasons == nil {
		r.reasons = map[string][]string{}
	}
	r.reasons[customerID] = sig.Reasons
	return nil
}

func (r *signalRecorder) signalled() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

var recomputeNow = time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)

// segmentFacts: one customer per segment, plus one who bought nothing.
func segmentFacts() []lifecycle.SegmentFacts {
	recent := recomputeNow.Add(-10 * 24 * time.Hour)
	return []lifecycle.SegmentFacts{
		{CustomerID: "amb", Purchases: 1, LastPurchaseAt: recent, Referrals: 1},
		{CustomerID: "lea", Purchases: 1, LastPurchaseAt: recent, Exited: true, ExitReason: "moving"},
		{CustomerID: "loy", Purchases: 3, LastPurchaseAt: recent},
		{CustomerID: "non"},
		{CustomerID: "sho", Purchases: 1, LastPurchaseAt: recent, Clicks: 2, SaleResponses: 2},
	}
}

func recompute(t *testing.T, acts *activities.Activities, in activities.RecomputeSegmentsInput) (activities.RecomputeSegmentsResult, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	val, err := env.ExecuteActivity(acts.RecomputeSegments, in)
	if err != nil {
		return activities.RecomputeSegmentsResult{}, err
	}
	var res activities.RecomputeSegmentsResult
	require.NoError(t, val.Get(&res))
	return res, nil
}

func TestRecomputeSegments(t *testing.T) {
	st := &memorySegments{facts: segmentFacts()}
	rec := &signalRecorder{}
	acts := &activities.Activities{Segments: st, Reacher: rec} // zero policy: the defaults

	// Page one: three customers, not the last page.
	res, err := recompute(t, acts, activities.RecomputeSegmentsInput{Limit: 3, Now: recomputeNow})
	require.NoError(t, err)
	require.Equal(t, activities.RecomputeSegmentsResult{
		Next: "loy", Done: false, Changed: 3,
		Counts: map[lifecycle.Segment]int{lifecycle.SegmentAmbassador: 1, lifecycle.SegmentLeaver: 1, lifecycle.SegmentLoyal: 1},
	}, res)
	require.Equal(t, lifecycle.DefaultSegmentPolicy().Lookback, st.lookback, "a zero policy means the defaults")

	// Page two: the rest; the customer who bought nothing is stored but not signalled.
	res, err = recompute(t, acts, activities.RecomputeSegmentsInput{After: res.Next, Limit: 3, Now: recomputeNow})
	require.NoError(t, err)
	require.Equal(t, activities.RecomputeSegmentsResult{
		Next: "sho", Done: true, Changed: 1,
		Counts: map[lifecycle.Segment]int{lifecycle.SegmentNone: 1, lifecycle.SegmentShopper: 1},
	}, res)
	require.Equal(t, []string{"amb:ambassador", "lea:leaver", "loy:loyal", "sho:shopper"}, rec.signalled())
	require.Equal(t, []string{"segment", "segment", "segment", "segment"}, rec.names)
	require.Equal(t, lifecycle.SegmentNone, st.saved["non"])
	require.Equal(t, []lifecycle.SegmentReason{{Code: lifecycle.SegmentReasonExit, ExitWords: "moving"}}, st.reasons["lea"],
		"the store gets the typed reasons, the customer's words with them")
	require.Equal(t, []string{"said they are leaving: moving"}, rec.reasons["lea"], "the workflow gets the English sentences, as before")

	// A second recompute (or a retry of a page already saved) changes and signals nothing.
	res, err = recompute(t, acts, activities.RecomputeSegmentsInput{Limit: 10, Now: recomputeNow})
	require.NoError(t, err)
	require.Equal(t, 0, res.Changed)
	require.True(t, res.Done)
	require.Len(t, rec.signalled(), 4)

	// An empty page keeps the cursor and is the last.
	res, err = recompute(t, acts, activities.RecomputeSegmentsInput{After: "zzz", Limit: 10, Now: recomputeNow})
	require.NoError(t, err)
	require.Equal(t, "zzz", res.Next)
	require.True(t, res.Done)
}

// A customer whose signal fails keeps their old stored segment, so the retry signals them again.
func TestRecomputeSegmentsSignalsBeforeSaving(t *testing.T) {
	st := &memorySegments{facts: segmentFacts()}
	rec := &signalRecorder{failFor: "loy"}
	acts := &activities.Activities{Segments: st, Reacher: rec}
	_, err := recompute(t, acts, activities.RecomputeSegmentsInput{Limit: 10, Now: recomputeNow})
	require.ErrorContains(t, err, "tell customer loy their segment loyal")
	_, saved := st.saved["loy"]
	require.False(t, saved, "a customer not told must not be saved")

	rec.failFor = ""
	res, err := recompute(t, acts, activities.RecomputeSegmentsInput{Limit: 10, Now: recomputeNow})
	require.NoError(t, err)
	require.Equal(t, 2, res.Changed, "loy and sho; amb and lea were saved by the failed attempt")
	require.Equal(t, []string{"amb:ambassador", "lea:leaver", "loy:loyal", "sho:shopper"}, rec.signalled(),
		"the retry signals the customers from loy on, and each customer once")
}

func TestRecomputeSegmentsPolicyFromConfig(t *testing.T) {
	st := &memorySegments{facts: segmentFacts()}
	policy := lifecycle.DefaultSegmentPolicy()
	policy.Lookback = 30 * 24 * time.Hour
	policy.LoyalPurchases = 5 // "loy" with 3 purchases is now a shopper
	acts := &activities.Activities{Segments: st, Reacher: &signalRecorder{}, Policy: lifecycle.Policy{Segments: policy}}
	res, err := recompute(t, acts, activities.RecomputeSegmentsInput{Limit: 10, Now: recomputeNow})
	require.NoError(t, err)
	require.Equal(t, 30*24*time.Hour, st.lookback)
	require.Equal(t, lifecycle.SegmentShopper, st.saved["loy"])
	require.Equal(t, 0, res.Counts[lifecycle.SegmentLoyal])
}

func TestRecomputeSegmentsBadInput(t *testing.T) {
	full := &activities.Activities{Segments: &memorySegments{}, Reacher: &signalRecorder{}}
	tests := []struct {
		name string
		acts *activities.Activities
		in   activities.RecomputeSegmentsInput
		want string
	}{
		{"no limit", full, activities.RecomputeSegmentsInput{Now: recomputeNow}, "limit must be positive"},
		{"no time", full, activities.RecomputeSegmentsInput{Limit: 5}, "as-of time"},
		{"no store", &activities.Activities{Reacher: &signalRecorder{}}, activities.RecomputeSegmentsInput{Limit: 5, Now: recomputeNow}, "no segment store"},
		{"no client", &activities.Activities{Segments: &memorySegments{}}, activities.RecomputeSegmentsInput{Limit: 5, Now: recomputeNow}, "no client"},
		{"no lookback", &activities.Activities{Segments: &memorySegments{}, Reacher: &signalRecorder{},
			Policy: lifecycle.Policy{Segments: lifecycle.SegmentPolicy{LoyalPurchases: 2}}}, activities.RecomputeSegmentsInput{Limit: 5, Now: recomputeNow}, "lookback"},
	}
	for _, tt := range tests {
		_, err := recompute(t, tt.acts, tt.in)
		require.ErrorContains(t, err, tt.want, tt.name)
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(err, &appErr) && appErr.NonRetryable(), "%s: want a non-retryable error, got %v", tt.name, err)
		require.Equal(t, activities.ErrTypeInvalidInput, appErr.Type(), tt.name)
	}
}
