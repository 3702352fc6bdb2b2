package main

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/workflows"
)

// Campaign and SegmentRecompute once ran on the customers' task queue (workflows.TaskQueue). They
// moved to workflows.FanOutTaskQueue, and the worker no longer serves them on the old one. A run
// started before the move continues as new on the queue it started on, so it would wait there for
// ever: `starter setup` looks for such runs and names them (docs/VERSIONING.md, "Workflows that
// moved to another task queue").
const movedToFanOutQuery = "TaskQueue = '" + workflows.TaskQueue + "'" +
	" AND WorkflowType IN ('Campaign', 'SegmentRecompute')" +
	" AND ExecutionStatus = 'Running'"

// runOnOldQueue is an open run that no worker of this version serves.
type runOnOldQueue struct {
	workflowID, workflowType string
}

// runsOnOldQueue lists the open Campaign and SegmentRecompute runs on the customers' task queue.
func runsOnOldQueue(ctx context.Context, tc client.Client) ([]runOnOldQueue, error) {
	var runs []runOnOldQueue
	var token []byte
	for {
		resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: movedToFanOutQuery, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list runs left on task queue %q (%s): %w", workflows.TaskQueue, movedToFanOutQuery, err)
		}
		for _, e := range resp.GetExecutions() {
			runs = append(runs, runOnOldQueue{workflowID: e.GetExecution().GetWorkflowId(), workflowType: e.GetType().GetName()})
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return runs, nil
		}
	}
}

// reportRunsOnOldQueue tells whether any run is left that only the previous worker version serves,
// and what to do about each.
func (a *app) reportRunsOnOldQueue(ctx context.Context, tc client.Client) error {
	runs, err := runsOnOldQueue(ctx, tc)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		fmt.Fprintf(a.stdout, "task queue %s: no Campaign or SegmentRecompute run left from before they moved to %s\n",
			workflows.TaskQueue, workflows.FanOutTaskQueue)
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "warning: %d run(s) on task queue %s, which this worker no longer serves for Campaign and SegmentRecompute (they moved to %s):\n",
		len(runs), workflows.TaskQueue, workflows.FanOutTaskQueue)
	for _, r := range runs {
		fmt.Fprintf(&b, "  %s (%s)\n", r.workflowID, r.workflowType)
	}
	fmt.Fprintf(&b, "No worker of this version runs them, so they make no progress and a cancel request waits unanswered.\n"+
		"Either run the previous worker version next to this one until they finish (starter campaign cancel ID\n"+
		"stops a campaign early there), or end each one now: temporal workflow terminate --workflow-id ID\n"+
		"(customers a campaign already reached keep their follow-ups; the nightly schedule starts the next\n"+
		"recompute on %s). Run starter setup again to check.\n", workflows.FanOutTaskQueue)
	fmt.Fprint(a.stderr, b.String())
	return nil
}
