package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// SegmentStore is the part of the customer database the segment recompute needs (internal/store).
type SegmentStore interface {
	// SegmentFactsPage returns the facts of up to limit customers sorting after after (byte
	// order), as of now with the lookback window (now-lookback, now].
	SegmentFactsPage(ctx context.Context, after string, limit int, now time.Time, lookback time.Duration) ([]lifecycle.SegmentFacts, error)
	// CurrentSegments returns the stored segment of those of customerIDs that have one.
	CurrentSegments(ctx context.Context, customerIDs []string) (map[string]lifecycle.Segment, error)
	// SaveSegment stores a customer's segment and typed reasons as of at and reports whether it
	// changed.
	SaveSegment(ctx context.Context, customerID string, segment lifecycle.Segment, reasons []lifecycle.SegmentReason, at time.Time) (bool, error)
}

// SegmentSignalName is the name of the signal that tells a customer's workflow its segment. It is
// declared here because this activity sends it; workflows.SignalSegment is the same constant.
const SegmentSignalName = "segment"

// SegmentSignal is the payload of SegmentSignalName: the customer's value segment and why, as of
// At. workflows.SegmentSignal is this type.
type SegmentSignal struct {
	Segment lifecycle.Segment
	// Reasons are the English sentences of the typed reasons (lifecycle.SegmentReasonSentences),
	// for operators; kept as sentences so running workflows and their histories stay as they are.
	Reasons []string
	At      time.Time
}

// RecomputeSegmentsInput asks for the segments of one page of customers.
type RecomputeSegmentsInput struct {
	After string    // the last customer id of the previous page; "" for the first
	Limit int       // customers per page
	Now   time.Time // the recompute's "as of" time, the same for every page
}

// RecomputeSegmentsResult is what one page did.
type RecomputeSegmentsResult struct {
	Next string // the last customer id of this page: the next page starts after it
	Done bool   // this was the last page
	// Counts are the page's customers per segment (lifecycle.SegmentNone: nothing bought yet).
	Counts map[lifecycle.Segment]int
	// Changed counts the page's customers whose segment changed.
	Changed int
}

// RecomputeSegments classifies one page of customers as of in.Now with the worker's segment
// policy, tells the workflow of each customer whose segment changed (unless to
// lifecycle.SegmentNone, which no workflow acts on), and stores every segment.
//
// A customer is signalled before their segment is saved: a retry after a crash in between finds
// the old segment still stored and signals again, which the workflow takes as the same segment
// once more. Saving first could lose the signal for good. A retry after the saves finds nothing
// changed and signals nothing, so its Changed may be lower than the first attempt's.
func (a *Activities) RecomputeSegments(ctx context.Context, in RecomputeSegmentsInput) (RecomputeSegmentsResult, error) {
	switch {
	case a.Segments == nil:
		return RecomputeSegmentsResult{}, temporal.NewNonRetryableApplicationError("the worker has no segment store", ErrTypeInvalidInput, nil)
	case a.Reacher == nil:
		return RecomputeSegmentsResult{}, temporal.NewNonRetryableApplicationError("the worker has no client to reach customers", ErrTypeInvalidInput, nil)
	case in.Limit <= 0:
		return RecomputeSegmentsResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("segment page of %d customers: the limit must be positive", in.Limit), ErrTypeInvalidInput, nil)
	case in.Now.IsZero():
		return RecomputeSegmentsResult{}, temporal.NewNonRetryableApplicationError("segment recompute without an as-of time", ErrTypeInvalidInput, nil)
	}
	policy := a.Policy.Segments
	if policy == (lifecycle.SegmentPolicy{}) { // a worker built without LIFECYCLE_CONFIG's segments
		policy = lifecycle.DefaultSegmentPolicy()
	}
	if policy.Lookback <= 0 { // config rejects it; a hand-built policy might not, and no retry helps
		return RecomputeSegmentsResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("segment policy with a lookback of %s: it must be positive (segments.lookback)", policy.Lookback), ErrTypeInvalidInput, nil)
	}

	facts, err := a.Segments.SegmentFactsPage(ctx, in.After, in.Limit, in.Now, policy.Lookback)
	if err != nil {
		return RecomputeSegmentsResult{}, err
	}
	ids := make([]string, len(facts))
	for i, f := range facts {
		ids[i] = f.CustomerID
	}
	current, err := a.Segments.CurrentSegments(ctx, ids)
	if err != nil {
		return RecomputeSegmentsResult{}, err
	}

	res := RecomputeSegmentsResult{Next: in.After, Done: len(facts) < in.Limit, Counts: map[lifecycle.Segment]int{}}
	for i, f := range facts {
		seg, reasons := lifecycle.ClassifySegment(f, in.Now, policy)
		res.Counts[seg]++
		if seg != current[f.CustomerID] && seg != lifecycle.SegmentNone {
			sig := SegmentSignal{Segment: seg, Reasons: lifecycle.SegmentReasonSentences(reasons), At: in.Now}
			if err := a.Reacher.Signal(ctx, f.CustomerID, SegmentSignalName, sig); err != nil {
				return RecomputeSegmentsResult{}, fmt.Errorf("tell customer %s their segment %s: %w", f.CustomerID, seg, err)
			}
		}
		changed, err := a.Segments.SaveSegment(ctx, f.CustomerID, seg, reasons, in.Now)
		if err != nil {
			return RecomputeSegmentsResult{}, err
		}
		if changed {
			res.Changed++
		}
		res.Next = f.CustomerID
		// Progress for the Temporal UI and the heartbeat timeout; a retry redoes the whole page,
		// which is cheap and keeps Counts whole.
		activity.RecordHeartbeat(ctx, i+1)
	}
	return res, nil
}
