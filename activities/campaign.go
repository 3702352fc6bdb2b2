package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Audience pages through the customers a campaign reaches (internal/store).
type Audience interface {
	// AudiencePage returns up to limit ids of a's customers sorting after after, in byte order.
	AudiencePage(ctx context.Context, a lifecycle.Audience, after string, limit int) ([]string, error)
}

// Reacher delivers an event to a customer's lifecycle workflow with SignalWithStart
// (*lifecycleclient.Client).
type Reacher interface {
	Signal(ctx context.Context, customerID, signalName string, payload any) error
}

// CampaignPageInput asks for the next page of a campaign's audience.
type CampaignPageInput struct {
	Audience lifecycle.Audience
	After    string // the last customer id of the previous page; "" for the first
	Limit    int
}

// CampaignPageResult is one page of customer ids, in byte order; fewer than Limit means the last.
type CampaignPageResult struct {
	CustomerIDs []string
}

// CampaignPage reads one page of a campaign's audience.
func (a *Activities) CampaignPage(ctx context.Context, in CampaignPageInput) (CampaignPageResult, error) {
	if a.Audience == nil {
		return CampaignPageResult{}, temporal.NewNonRetryableApplicationError("the worker has no campaign audience store", ErrTypeInvalidInput, nil)
	}
	ids, err := a.Audience.AudiencePage(ctx, in.Audience, in.After, in.Limit)
	if err != nil {
		return CampaignPageResult{}, err
	}
	return CampaignPageResult{CustomerIDs: ids}, nil
}

// ReachCustomersInput is one page of a campaign to deliver.
type ReachCustomersInput struct {
	CustomerIDs []string
	SignalName  string
	// Signal is the JSON of the signal's payload (e.g. workflows.SaleSignal), passed on as it is:
	// this package cannot name the workflows' types.
	Signal        json.RawMessage
	Concurrency   int     // signals in flight at most; <= 0 means 1
	RatePerSecond float64 // signals per second at most; <= 0 means no limit
}

// ReachCustomersResult says how many customers of the page were reached, over all attempts.
type ReachCustomersResult struct {
	Reached int
	// Resumed is where this attempt started: the customers before it were reached by an earlier
	// attempt that a worker crash or a timeout interrupted.
	Resumed int
}

// reachHeartbeatEvery keeps the heartbeat going while signals wait for a slow rate limit.
const reachHeartbeatEvery = time.Second

// ReachCustomers signals every customer of the page, at most in.Concurrency at a time and
// in.RatePerSecond per second. It heartbeats how many customers from the start of the page are
// all reached; a retry (after a worker crash, a heartbeat timeout or a failed signal) starts there.
// The customers after that mark that were signalled before the crash are signalled again: the
// heartbeat lags by up to the worker's heartbeat throttle interval and the signals in flight. That
// is harmless, because a customer's workflow ignores a follow-up key it already queued or handled.
//
// When the campaign is cancelled, it stops starting signals, waits for those in flight and returns
// a CanceledError whose details are the number of customers reached.
func (a *Activities) ReachCustomers(ctx context.Context, in ReachCustomersInput) (ReachCustomersResult, error) {
	if a.Reacher == nil {
		return ReachCustomersResult{}, temporal.NewNonRetryableApplicationError("the worker has no client to reach customers", ErrTypeInvalidInput, nil)
	}
	start := 0
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &start); err != nil || start < 0 || start > len(in.CustomerIDs) {
			start = 0 // unreadable progress: reaching the page again is safe, only slower
		}
	}
	workers := max(in.Concurrency, 1)
	pace := newPacer(in.RatePerSecond)
	progress := newWatermark(start, len(in.CustomerIDs))

	sctx, stop := context.WithCancel(ctx)
	defer stop()
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := pace.wait(sctx); err != nil {
					return
				}
				if err := a.Reacher.Signal(sctx, in.CustomerIDs[i], in.SignalName, in.Signal); err != nil {
					mu.Lock()
					if firstErr == nil && sctx.Err() == nil {
						firstErr = fmt.Errorf("reach customer %s: %w", in.CustomerIDs[i], err)
					}
					mu.Unlock()
					stop()
					return
				}
				if n, moved := progress.done(i); moved {
					activity.RecordHeartbeat(ctx, n)
				}
			}
		})
	}
	// Heartbeat while signals wait (for the rate limit, or a slow frontend): the heartbeat is how a
	// cancel reaches this attempt, and how the server sees it alive.
	beating := make(chan struct{})
	heartbeatDone := make(chan struct{})
	go func() {
		defer close(heartbeatDone)
		ticker := time.NewTicker(reachHeartbeatEvery)
		defer ticker.Stop()
		for {
			select {
			case <-beating:
				return
			case <-ticker.C:
				activity.RecordHeartbeat(ctx, progress.reached())
			}
		}
	}()
feed:
	for i := start; i < len(in.CustomerIDs); i++ {
		select {
		case next <- i:
		case <-sctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(beating)
	<-heartbeatDone

	reached := progress.reached()
	activity.RecordHeartbeat(ctx, reached)
	switch {
	case ctx.Err() != nil:
		// Cancelled (the campaign, or the worker stopping): the details tell the workflow how far it got.
		return ReachCustomersResult{}, temporal.NewCanceledError(reached)
	case firstErr != nil:
		return ReachCustomersResult{}, fmt.Errorf("%d of %d customers of the page reached: %w", reached, len(in.CustomerIDs), firstErr)
	}
	return ReachCustomersResult{Reached: reached, Resumed: start}, nil
}

// watermark tracks which customers of a page are reached and how many from the start all are.
type watermark struct {
	mu        sync.Mutex
	next      int // every index below next is reached
	reachedAt []bool
}

func newWatermark(start, n int) *watermark {
	return &watermark{next: start, reachedAt: make([]bool, n)}
}

// done marks index i reached and reports the new mark when it moved.
func (w *watermark) done(i int) (int, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reachedAt[i] = true
	moved := false
	for w.next < len(w.reachedAt) && w.reachedAt[w.next] {
		w.next++
		moved = true
	}
	return w.next, moved
}

func (w *watermark) reached() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.next
}

// pacer spaces calls to wait by 1/rate: a token bucket holding one token. A zero rate never waits.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newPacer(ratePerSecond float64) *pacer {
	if ratePerSecond <= 0 {
		return &pacer{}
	}
	return &pacer{interval: time.Duration(float64(time.Second) / ratePerSecond)}
}

func (p *pacer) wait(ctx context.Context) error {
	if p.interval == 0 {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.interval)
	p.mu.Unlock()
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
