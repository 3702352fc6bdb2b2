package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"golang.org/x/sync/errgroup"
)

// The baseline's workflow lives on its own task queue, served by a worker in this process, so
// that it shares nothing with Tailor's worker but the server.
const (
	rawTaskQueue    = "bench-noop"
	rawWorkflowType = "BenchNoop"
	rawSignal       = "go"
)

// noopWorkflow returns as soon as its one signal arrives: a SignalWithStart into it costs the
// server a start, a signal and one workflow task, and the workflow nothing.
func noopWorkflow(ctx workflow.Context) error {
	workflow.GetSignalChannel(ctx, rawSignal).Receive(ctx, nil)
	return nil
}

// rawResult is the baseline: count SignalWithStarts at concurrency.
type rawResult struct {
	Count       int           `json:"count"`
	Concurrency int           `json:"concurrency"`
	Accepted    time.Duration `json:"accepted_ns"`  // first call sent to last call returned
	Completed   time.Duration `json:"completed_ns"` // first call sent to last workflow closed
	Failed      int           `json:"failed"`
	// CallP50 and CallP99 are the latencies of the SignalWithStart calls, each from sent to returned.
	CallP50 time.Duration `json:"call_p50_ns"`
	CallP99 time.Duration `json:"call_p99_ns"`
}

func (r rawResult) acceptedPerSec() float64  { return perSec(r.Count-r.Failed, r.Accepted) }
func (r rawResult) completedPerSec() float64 { return perSec(r.Count-r.Failed, r.Completed) }

// runRaw measures SignalWithStart into noopWorkflow. The completion time is the latest close time
// visibility reports, so the polling interval does not blur it.
func runRaw(ctx context.Context, c client.Client, count, concurrency int, waitLimit time.Duration, progress io.Writer) (rawResult, error) {
	res := rawResult{Count: count, Concurrency: concurrency}
	w := worker.New(c, rawTaskQueue, worker.Options{}) // defaults, as Tailor's worker
	w.RegisterWorkflowWithOptions(noopWorkflow, workflow.RegisterOptions{Name: rawWorkflowType})
	if err := w.Start(); err != nil {
		return res, fmt.Errorf("start the baseline worker: %w", err)
	}
	defer w.Stop()

	var failed atomic.Int64
	var firstErr atomic.Value
	calls := make([]time.Duration, count)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	start := time.Now()
	for i := range count {
		g.Go(func() error {
			id := fmt.Sprintf("bench-noop/%07d", i)
			sent := time.Now()
			_, err := c.SignalWithStartWorkflow(gctx, id, rawSignal, nil,
				client.StartWorkflowOptions{ID: id, TaskQueue: rawTaskQueue}, rawWorkflowType)
			calls[i] = time.Since(sent)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
			return nil
		})
	}
	_ = g.Wait() // failures are counted above
	res.Accepted = time.Since(start)
	res.Failed = int(failed.Load())
	slices.Sort(calls)
	if count > 0 {
		res.CallP50, res.CallP99 = percentile(calls, 50), percentile(calls, 99)
	}
	if err, _ := firstErr.Load().(error); err != nil {
		fmt.Fprintf(progress, "baseline: %d SignalWithStarts failed, the first: %v\n", res.Failed, err)
	}
	fmt.Fprintf(progress, "baseline: %d SignalWithStarts accepted in %s (%.0f/s)\n",
		count-res.Failed, round(res.Accepted), res.acceptedPerSec())

	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Completed'", rawWorkflowType)
	want := int64(count - res.Failed)
	if err := waitForCount(ctx, c, query, want, waitLimit, progress, "baseline completed"); err != nil {
		return res, err
	}
	last, n, err := latestTimes(ctx, c, fmt.Sprintf("WorkflowType = '%s'", rawWorkflowType), false)
	if err != nil {
		return res, err
	}
	if int64(n) < want {
		return res, fmt.Errorf("baseline: visibility lists %d of %d workflows", n, want)
	}
	res.Completed = last.Sub(start)
	fmt.Fprintf(progress, "baseline: %d no-op workflows completed in %s (%.0f/s)\n",
		want, round(res.Completed), res.completedPerSec())
	return res, nil
}
