package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/workflows"
)

// `starter setup` names the Campaign and SegmentRecompute runs left on the customers' task queue,
// which the worker no longer serves, and says so when none is left. The runs are started without a
// worker, so they stay open, as a run from before the move would.
func TestSetupNamesRunsLeftOnTheCustomersQueue(t *testing.T) {
	shop := newTestShop(t, "", "")
	srv, env := shop.srv, shop.env
	ctx := context.Background()

	start := []struct {
		id, workflowType, queue string
		left                    bool // on the old queue, so setup must name it
	}{
		{"campaign/sale/before-the-move", "Campaign", workflows.TaskQueue, true},
		{"segments/recompute/before-the-move", "SegmentRecompute", workflows.TaskQueue, true},
		{"campaign/sale/after-the-move", "Campaign", workflows.FanOutTaskQueue, false},
		{"segments/recompute/after-the-move", "SegmentRecompute", workflows.FanOutTaskQueue, false},
		{workflows.CustomerWorkflowID("c-1"), "CustomerLifecycle", workflows.TaskQueue, false},
	}
	var want []string
	for _, s := range start {
		_, err := srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: s.id, TaskQueue: s.queue}, s.workflowType, struct{}{})
		require.NoError(t, err, "start %s (%s) on %s", s.id, s.workflowType, s.queue)
		if s.left {
			want = append(want, s.id)
		}
	}
	slices.Sort(want)
	idsLeft := func() []string {
		runs, err := runsOnOldQueue(ctx, srv.Client)
		require.NoError(t, err, "query %s", movedToFanOutQuery)
		var ids []string
		for _, r := range runs {
			ids = append(ids, r.workflowID)
		}
		slices.Sort(ids)
		return ids
	}
	// Visibility is written after the start returns: wait for it.
	require.Eventually(t, func() bool { return slices.Equal(idsLeft(), want) }, 10*time.Second, 100*time.Millisecond,
		"query %s: want %v", movedToFanOutQuery, want)

	_, errOut := starterAt(t, env, exitOK, "setup")
	require.Contains(t, errOut, "warning: 2 run(s) on task queue tailor", errOut)
	for _, s := range start {
		line := "  " + s.id + " (" + s.workflowType + ")\n"
		if s.left {
			require.Contains(t, errOut, line, "setup does not name %s on %s", s.id, s.queue)
		} else {
			require.NotContains(t, errOut, line, "setup names %s on %s, which a worker serves", s.id, s.queue)
		}
	}
	require.Contains(t, errOut, "temporal workflow terminate --workflow-id ID", errOut)

	// Nothing serves them, so a cancel request would wait: terminate, as the warning says.
	for _, id := range want {
		require.NoError(t, srv.Client.TerminateWorkflow(ctx, id, "", "test: left on the old queue"), "terminate %s", id)
	}
	require.Eventually(t, func() bool { return len(idsLeft()) == 0 }, 10*time.Second, 100*time.Millisecond,
		"runs still listed by %s", movedToFanOutQuery)
	out, errOut := starterAt(t, env, exitOK, "setup")
	require.Contains(t, out, "task queue tailor: no Campaign or SegmentRecompute run left from before they moved to tailor-fanout", out)
	require.NotContains(t, errOut, "warning", errOut)
}
