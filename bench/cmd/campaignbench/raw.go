package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"golang.org/x/sync/errgroup"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/workflows"
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

	start := time.Now()
	run := callConcurrently(ctx, 0, count, concurrency, func(ctx context.Context, i int) error {
		id := fmt.Sprintf("bench-noop/%07d", i)
		_, err := c.SignalWithStartWorkflow(ctx, id, rawSignal, nil,
			client.StartWorkflowOptions{ID: id, TaskQueue: rawTaskQueue}, rawWorkflowType)
		return err
	})
	res.Accepted, res.Failed = run.took, run.failed
	calls := run.latencies
	slices.Sort(calls)
	if count > 0 {
		res.CallP50, res.CallP99 = percentile(calls, 50), percentile(calls, 99)
	}
	if run.firstErr != nil {
		fmt.Fprintf(progress, "baseline: %d SignalWithStarts failed, the first: %v\n", res.Failed, run.firstErr)
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

// The shape probe's workflow types: the baseline's no-op under its own name, and one that takes
// the customer workflow's input, so that a SignalWithStart into it carries what Tailor's carries.
const (
	bareProbeWorkflowType = "BenchNoopProbe"
	shapedWorkflowType    = "BenchNoopShaped"
)

func noopShapedWorkflow(ctx workflow.Context, _ workflows.CustomerLifecycleInput) error {
	workflow.GetSignalChannel(ctx, rawSignal).Receive(ctx, nil)
	return nil
}

// shapeResult compares, on the same server, the baseline's bare SignalWithStart with one shaped
// like the event layer's (lifecycleclient.Signal: the two search attributes set at the start, the
// workflow's input, a purchase signal carrying its recorded product and preferences), and with one
// shaped so but without the search attributes. Each kind runs in blocks of calls alone, at the
// baseline's number in flight, in the order bare, shaped, unsearchable, unsearchable, shaped, bare:
// a drift of the server as it fills falls alike on every kind, and no kind's cost slows another's
// calls (when the kinds alternated, the shaped calls' cost slowed the bare ones beside them and
// hid most of itself). A kind's rate is its calls over its blocks' time.
type shapeResult struct {
	Block    int          `json:"block"` // calls per block
	Bare     shapeOfCalls `json:"bare"`
	Shaped   shapeOfCalls `json:"shaped"`
	NoSearch shapeOfCalls `json:"unsearchable"` // shaped, without the search attributes
	// Tailor's own calls (with --import-without-worker only): lifecycleclient.Signal, the event
	// layer's delivery, into customers' workflows on the customers' task queue, which no worker
	// runs meanwhile.
	Tailor shapeOfCalls `json:"tailor"`
	Failed int          `json:"failed"`
}

// shapeOfCalls is one kind of call in the shape probe.
type shapeOfCalls struct {
	Calls int           `json:"calls"`
	Took  time.Duration `json:"took_ns"` // its blocks' time, first call sent to last returned
	Mean  time.Duration `json:"mean_ns"`
}

func (k shapeOfCalls) perSec() float64 { return perSec(k.Calls, k.Took) }

// rateRatio is the shaped call's rate over the bare call's.
func (s shapeResult) rateRatio() float64 { return ratio(s.Shaped.perSec(), s.Bare.perSec()) }

// shapedPurchase is a purchase signal as the event layer owes it: with the product and the
// preferences before and after (the sizes of the benchmark's catalogue).
func shapedPurchase(i int) workflows.PurchaseSignal {
	prefs := lifecycle.Preferences{Colors: []string{"blue"}, Sizes: []string{"50"}, Categories: []string{"trousers"}}
	return workflows.PurchaseSignal{PurchaseID: fmt.Sprintf("o%07d:CH-BLUE-50", i), SKU: "CH-BLUE-50", At: time.Now().UTC(),
		Recorded: &workflows.PurchaseRecorded{
			Product:           lifecycle.Product{SKU: "CH-BLUE-50", Product: "chino", Name: "Chino", Category: "trousers", Color: "blue", Size: "50", PriceCents: 7995, Stock: 10, Collections: []string{}},
			PreferencesBefore: lifecycle.Preferences{Colors: []string{}, Sizes: []string{}, Categories: []string{}},
			Preferences:       prefs,
		}}
}

// The shape probe's kinds of call.
const (
	callBare = iota
	callShaped
	callNoSearch
	callTailor
)

// runShape runs the shape probe with block calls per block, concurrency in flight, and waits until
// its workflows completed (so they do not load the phase after).
func runShape(ctx context.Context, c client.Client, block, concurrency int, tailorCalls bool, waitLimit time.Duration, progress io.Writer) (shapeResult, error) {
	res := shapeResult{Block: block}
	w := worker.New(c, rawTaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(noopWorkflow, workflow.RegisterOptions{Name: bareProbeWorkflowType})
	w.RegisterWorkflowWithOptions(noopShapedWorkflow, workflow.RegisterOptions{Name: shapedWorkflowType})
	if err := w.Start(); err != nil {
		return res, fmt.Errorf("start the shape probe's worker: %w", err)
	}
	defer w.Stop()
	lc := lifecycleclient.New(c)
	call := func(ctx context.Context, kind, i int) error {
		id := fmt.Sprintf("bench-shape/%07d", i)
		if kind == callTailor {
			return lc.Signal(ctx, fmt.Sprintf("bench-shape-%07d", i), workflows.SignalPurchase, shapedPurchase(i))
		}
		if kind == callBare {
			_, err := c.SignalWithStartWorkflow(ctx, id, rawSignal, nil,
				client.StartWorkflowOptions{ID: id, TaskQueue: rawTaskQueue}, bareProbeWorkflowType)
			return err
		}
		opts := client.StartWorkflowOptions{ID: id, TaskQueue: rawTaskQueue}
		if kind == callShaped {
			opts.TypedSearchAttributes = temporal.NewSearchAttributes(
				temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrCustomerID).ValueSet(id),
				temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrLifecycleStage).ValueSet(string(workflows.StageNew)),
			)
		}
		_, err := c.SignalWithStartWorkflow(ctx, id, rawSignal, shapedPurchase(i), opts,
			shapedWorkflowType, workflows.CustomerLifecycleInput{CustomerID: id, Version: workflows.CurrentVersion})
		return err
	}
	kinds := map[int]*shapeOfCalls{callBare: &res.Bare, callShaped: &res.Shaped, callNoSearch: &res.NoSearch}
	order := []int{callBare, callShaped, callNoSearch, callNoSearch, callShaped, callBare}
	if tailorCalls {
		kinds[callTailor] = &res.Tailor
		order = []int{callBare, callShaped, callNoSearch, callTailor, callTailor, callNoSearch, callShaped, callBare}
	}
	var sums [4]time.Duration
	next := 0
	var firstErr error
	for _, kind := range order {
		run := callConcurrently(ctx, next, block, concurrency, func(ctx context.Context, i int) error { return call(ctx, kind, i) })
		k := kinds[kind]
		k.Took += run.took
		k.Calls += block - run.failed
		res.Failed += run.failed
		firstErr = cmp.Or(firstErr, run.firstErr)
		for _, d := range run.latencies {
			sums[kind] += d
		}
		next += block
	}
	if firstErr != nil {
		fmt.Fprintf(progress, "shape: %d SignalWithStarts failed, the first: %v\n", res.Failed, firstErr)
	}
	for kind, k := range kinds {
		if n := 2 * block; n > 0 {
			k.Mean = sums[kind] / time.Duration(n)
		}
	}
	tailor := ""
	if tailorCalls {
		tailor = fmt.Sprintf(", Tailor's own %.0f/s (%s)", res.Tailor.perSec(), round(res.Tailor.Mean))
	}
	fmt.Fprintf(progress, "shape: %d calls of each kind in blocks: bare %.0f/s (mean %s), shaped %.0f/s (%s), shaped without search attributes %.0f/s (%s)%s; %d failed\n",
		2*block, res.Bare.perSec(), round(res.Bare.Mean), res.Shaped.perSec(), round(res.Shaped.Mean), res.NoSearch.perSec(), round(res.NoSearch.Mean),
		tailor, res.Failed)
	query := fmt.Sprintf("WorkflowType IN ('%s', '%s') AND ExecutionStatus = 'Completed'", bareProbeWorkflowType, shapedWorkflowType)
	probeCalls := res.Bare.Calls + res.Shaped.Calls + res.NoSearch.Calls // Tailor's workflows stay open
	if err := waitForCount(ctx, c, query, int64(probeCalls), waitLimit, progress, "shape probe completed"); err != nil {
		return res, err
	}
	return res, nil
}

// callsRun is how n calls made at a fixed number in flight went.
type callsRun struct {
	took      time.Duration   // first call sent to last returned
	latencies []time.Duration // each call's, sent to returned, in call order
	failed    int
	firstErr  error
}

// callConcurrently makes calls from to from+n-1, concurrency in flight; a failed call is counted,
// and the others go on.
func callConcurrently(ctx context.Context, from, n, concurrency int, call func(ctx context.Context, i int) error) callsRun {
	var failed atomic.Int64
	var firstErr atomic.Value
	latencies := make([]time.Duration, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	start := time.Now()
	for j := range n {
		g.Go(func() error {
			sent := time.Now()
			err := call(gctx, from+j)
			latencies[j] = time.Since(sent)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
			return nil
		})
	}
	_ = g.Wait() // failures are counted above
	run := callsRun{took: time.Since(start), latencies: latencies, failed: int(failed.Load())}
	run.firstErr, _ = firstErr.Load().(error)
	return run
}
