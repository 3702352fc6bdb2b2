package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

func TestSegmentRecomputeWorkflowID(t *testing.T) {
	require.Equal(t, "segments/recompute/nightly", workflows.SegmentRecomputeWorkflowID("nightly"))
}

// fakeSegmentPages answers RecomputeSegments from a fixed, sorted list of customers, giving each
// the segment segmentOf returns and counting every second one as changed. It records the calls.
type fakeSegmentPages struct {
	customers []string
	mu        sync.Mutex
	calls     []activities.RecomputeSegmentsInput
}

func segmentOf(id string) lifecycle.Segment {
	return lifecycle.Segments[int(id[len(id)-1]-'0')%len(lifecycle.Segments)]
}

func (f *fakeSegmentPages) recompute(_ context.Context, in activities.RecomputeSegmentsInput) (activities.RecomputeSegmentsResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, in)
	f.mu.Unlock()
	res := activities.RecomputeSegmentsResult{Next: in.After, Counts: map[lifecycle.Segment]int{}}
	n := 0
	for i, id := range f.customers {
		if id <= in.After || n == in.Limit {
			continue
		}
		n++
		res.Counts[segmentOf(id)]++
		if i%2 == 0 {
			res.Changed++
		}
		res.Next = id
	}
	res.Done = n < in.Limit
	return res, nil
}

func newSegmentEnv(t *testing.T, pages *fakeSegmentPages, start time.Time) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflow(workflows.SegmentRecompute)
	env.RegisterActivity(&activities.Activities{})
	env.OnActivity("RecomputeSegments", mock.Anything, mock.Anything).Return(pages.recompute)
	return env
}

var customersC0toC6 = []string{"c0", "c1", "c2", "c3", "c4", "c5", "c6"}

func TestSegmentRecomputePagesThroughEveryone(t *testing.T) {
	start := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	pages := &fakeSegmentPages{customers: customersC0toC6}
	env := newSegmentEnv(t, pages, start)
	env.ExecuteWorkflow(workflows.SegmentRecompute, workflows.SegmentRecomputeInput{PageSize: 3})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	var got workflows.SegmentRecomputeProgress
	require.NoError(t, env.GetWorkflowResult(&got))
	require.True(t, got.AsOf.Equal(start), "as of %s", got.AsOf)
	require.True(t, got.Done)
	require.Equal(t, "c6", got.Cursor)
	require.Equal(t, 3, got.Pages, "3+3+1 customers")
	require.Equal(t, 7, got.Customers)
	require.Equal(t, 4, got.Changed, "c0, c2, c4, c6")
	require.Equal(t, map[lifecycle.Segment]int{
		lifecycle.SegmentAmbassador: 2, lifecycle.SegmentLoyal: 2, lifecycle.SegmentShopper: 2, lifecycle.SegmentLeaver: 1,
	}, got.Counts)
	require.False(t, got.Finished.IsZero())

	var afters []string
	for _, c := range pages.calls {
		afters = append(afters, c.After)
		require.True(t, c.Now.Equal(start), "every page as of the start, got %s", c.Now)
		require.Equal(t, 3, c.Limit)
	}
	require.Equal(t, []string{"", "c2", "c5"}, afters)

	v, err := env.QueryWorkflow(workflows.QuerySegmentProgress)
	require.NoError(t, err)
	var progress workflows.SegmentRecomputeProgress
	require.NoError(t, v.Get(&progress))
	require.Equal(t, got.Counts, progress.Counts)
	require.True(t, progress.Done)
}

// Every PagesPerRun pages the recompute continues as new with its progress, and the next run
// classifies as of the first run's time, not its own.
func TestSegmentRecomputeContinuesAsNew(t *testing.T) {
	start := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	pages := &fakeSegmentPages{customers: customersC0toC6}
	first := newSegmentEnv(t, pages, start)
	first.ExecuteWorkflow(workflows.SegmentRecompute, workflows.SegmentRecomputeInput{PageSize: 2, PagesPerRun: 2})
	require.True(t, first.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(first.GetWorkflowError(), &can), "want continue-as-new, got %v", first.GetWorkflowError())
	var next workflows.SegmentRecomputeInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.Equal(t, 2, next.PageSize)
	require.Equal(t, 2, next.PagesPerRun)
	require.True(t, next.Progress.AsOf.Equal(start))
	require.Equal(t, "c3", next.Progress.Cursor)
	require.Equal(t, 2, next.Progress.Pages)
	require.Equal(t, 4, next.Progress.Customers)
	require.False(t, next.Progress.Done)

	second := newSegmentEnv(t, pages, start.Add(time.Hour))
	second.ExecuteWorkflow(workflows.SegmentRecompute, next)
	require.True(t, second.IsWorkflowCompleted())
	require.NoError(t, second.GetWorkflowError())
	var got workflows.SegmentRecomputeProgress
	require.NoError(t, second.GetWorkflowResult(&got))
	require.True(t, got.AsOf.Equal(start), "the as-of time is carried, got %s", got.AsOf)
	require.Equal(t, 7, got.Customers)
	require.Equal(t, 4, got.Pages)
	for _, c := range pages.calls {
		require.True(t, c.Now.Equal(start), "every page as of the first run's start, got %s", c.Now)
	}
}
