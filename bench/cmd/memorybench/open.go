package main

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/workflows"
)

const (
	// sampleEvery is how often the worker is sampled for samples.csv while workflows open.
	sampleEvery = 5 * time.Second
	// progressEvery is how often a progress line is printed.
	progressEvery = 15 * time.Second
	// openQuery counts the customer workflows that are open.
	openQuery = "WorkflowType = 'CustomerLifecycle' AND ExecutionStatus = 'Running'"
)

// results is everything one run measured; results.json holds it.
type results struct {
	Started     time.Time     `json:"started"`
	Count       int           `json:"count"`
	Concurrency int           `json:"concurrency"`
	CacheSize   string        `json:"cache_size"` // "" is the worker's default
	Failed      int           `json:"failed"`     // SignalWithStarts that returned an error
	FirstError  string        `json:"first_error,omitempty"`
	Opening     time.Duration `json:"opening_ns"` // first SignalWithStart to the last checkpoint handled
	Checkpoints []sample      `json:"checkpoints"`
	Samples     []sample      `json:"samples"`
}

type bench struct {
	cfg       openConfig
	temporal  client.Client
	lifecycle *lifecycleclient.Client
	ids       []string
	progress  io.Writer

	signalled atomic.Int64
	failed    atomic.Int64
	firstErr  atomic.Value
}

func (b *bench) run(ctx context.Context) (res results, err error) {
	res = results{Started: time.Now().UTC(), Count: b.cfg.count, Concurrency: b.cfg.concurrency, CacheSize: b.cfg.cacheSize}
	idle, err := b.sample(ctx, "idle", true)
	if err != nil {
		return res, err
	}
	res.Checkpoints = append(res.Checkpoints, idle)
	fmt.Fprintf(b.progress, "idle worker: %s\n", describe(idle))

	// A sampler for samples.csv, beside the signalling.
	sctx, stopSampling := context.WithCancel(ctx)
	sampled := make(chan []sample, 1)
	go func() { sampled <- b.sampleUntil(sctx) }()
	defer func() {
		stopSampling()
		res.Samples = <-sampled
	}()

	start := time.Now()
	from := 0
	for _, cp := range b.cfg.checkpoints {
		fmt.Fprintf(b.progress, "opening workflows %d to %d, %d in flight\n", from+1, cp, b.cfg.concurrency)
		if err := b.open(ctx, b.ids[from:cp], start); err != nil {
			return res, err
		}
		from = cp
		if err := b.awaitHandled(ctx, cp-int(b.failed.Load()), start); err != nil {
			return res, err
		}
		s, err := b.sample(ctx, fmt.Sprintf("%d open", cp), true)
		if err != nil {
			return res, err
		}
		res.Checkpoints = append(res.Checkpoints, s)
		fmt.Fprintf(b.progress, "checkpoint %d open after %s: %s\n", cp, time.Since(start).Round(time.Second), describe(s))
	}
	res.Opening = time.Since(start)
	res.Failed = int(b.failed.Load())
	if err, _ := b.firstErr.Load().(error); err != nil {
		res.FirstError = err.Error()
	}

	fmt.Fprintf(b.progress, "settling for %s with %d workflows open and nothing happening\n", b.cfg.settle, b.cfg.count)
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(b.cfg.settle):
	}
	s, err := b.sample(ctx, "settled", true)
	if err != nil {
		return res, err
	}
	res.Checkpoints = append(res.Checkpoints, s)
	fmt.Fprintf(b.progress, "settled: %s\n", describe(s))
	return res, nil
}

// open SignalWithStarts the consent signal to each customer's workflow, cfg.concurrency at a
// time, printing progress. A failed call is counted, not retried: the SDK already retried it.
func (b *bench) open(ctx context.Context, ids []string, start time.Time) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.cfg.concurrency)
	shown := time.Now()
	sig := workflows.ConsentSignal{Granted: true, Source: "bench"}
	for _, id := range ids {
		if time.Since(shown) >= progressEvery {
			b.printProgress(ctx, start)
			shown = time.Now()
		}
		g.Go(func() error {
			if err := b.lifecycle.Signal(gctx, id, workflows.SignalConsent, sig); err != nil {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				b.failed.Add(1)
				b.firstErr.CompareAndSwap(nil, err)
				return nil
			}
			b.signalled.Add(1)
			return nil
		})
	}
	return g.Wait()
}

func (b *bench) printProgress(ctx context.Context, start time.Time) {
	s, err := b.sample(ctx, "", false)
	if err != nil {
		fmt.Fprintf(b.progress, "  progress: %v\n", err)
		return
	}
	elapsed := time.Since(start)
	fmt.Fprintf(b.progress, "  %s: %d signalled (%.0f/s), %s\n", elapsed.Round(time.Second),
		s.Signalled, float64(s.Signalled)/elapsed.Seconds(), describe(s))
}

// awaitHandled waits until the worker has decided want workflows' consent: each one has run
// its first workflow task and now sleeps.
func (b *bench) awaitHandled(ctx context.Context, want int, start time.Time) error {
	last, moved, shown := -1, time.Now(), time.Now()
	for {
		m, err := scrape(ctx, b.cfg.metricsURL)
		if err != nil {
			return err
		}
		n := int(m.handled)
		if n >= want {
			return nil
		}
		if n != last {
			last, moved = n, time.Now()
		}
		if time.Since(moved) > b.cfg.stall {
			return fmt.Errorf("the worker handled %d of %d workflows and nothing moved for %s; see the worker's log", n, want, b.cfg.stall)
		}
		if time.Since(shown) >= progressEvery {
			b.printProgress(ctx, start)
			shown = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// sampleUntil samples every sampleEvery until ctx ends, without visibility counts.
func (b *bench) sampleUntil(ctx context.Context) []sample {
	var out []sample
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return out
		case <-t.C:
		}
		if s, err := b.sample(ctx, "", false); err == nil {
			out = append(out, s)
		}
	}
}

// sample reads the worker's memory and metrics, and with countOpen asks visibility how many
// customer workflows are open.
func (b *bench) sample(ctx context.Context, label string, countOpen bool) (sample, error) {
	s := sample{At: time.Now().UTC(), Label: label, Signalled: int(b.signalled.Load()), Open: -1}
	mem, err := readMemory(b.cfg.workerPID)
	if err != nil {
		return s, fmt.Errorf("the worker: %w", err)
	}
	s.RSS, s.HWM, s.WorkerCPU = mem.rss, mem.hwm, cpuSeconds(b.cfg.workerPID)
	m, err := scrape(ctx, b.cfg.metricsURL)
	if err != nil {
		return s, err
	}
	s.Handled, s.Heap, s.Goroutines = int(m.handled), int64(m.heap), int(m.goroutines)
	s.Cached, s.Evictions = int(m.cached), int(m.evictions)
	if b.cfg.serverPID != 0 {
		if sm, err := readMemory(b.cfg.serverPID); err == nil {
			s.ServerRSS = sm.rss
		}
	}
	if countOpen {
		resp, err := b.temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: openQuery})
		if err != nil {
			return s, fmt.Errorf("count open workflows (%s): %w", openQuery, err)
		}
		s.Open = resp.GetCount()
	}
	return s, nil
}
