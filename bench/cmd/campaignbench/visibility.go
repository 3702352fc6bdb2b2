package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// pollEvery is how often the benchmark looks at visibility and the send log while it waits.
const pollEvery = 500 * time.Millisecond

// waitForCount polls visibility until query counts want executions. It gives up when the count
// has not moved for stall.
func waitForCount(ctx context.Context, c client.Client, query string, want int64, stall time.Duration, progress io.Writer, what string) error {
	var last int64 = -1
	moved := time.Now()
	shown := time.Now()
	for {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return fmt.Errorf("%s: count workflows (%s): %w", what, query, err)
		}
		n := resp.GetCount()
		if n >= want {
			return nil
		}
		if n != last {
			last, moved = n, time.Now()
		}
		if time.Since(moved) > stall {
			return fmt.Errorf("%s: stuck at %d of %d for %s", what, n, want, stall)
		}
		if time.Since(shown) > 5*time.Second {
			fmt.Fprintf(progress, "%s: %d/%d\n", what, n, want)
			shown = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// latestTimes lists every execution query matches and returns the latest close time (or start
// time, with byStart) and how many there were.
func latestTimes(ctx context.Context, c client.Client, query string, byStart bool) (time.Time, int, error) {
	var (
		latest time.Time
		n      int
		token  []byte
	)
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			PageSize: 1000, Query: query, NextPageToken: token,
		})
		if err != nil {
			return latest, n, fmt.Errorf("list workflows (%s): %w", query, err)
		}
		for _, e := range resp.GetExecutions() {
			n++
			t := e.GetCloseTime().AsTime()
			if byStart {
				t = e.GetStartTime().AsTime()
			}
			if t.After(latest) {
				latest = t
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return latest, n, nil
		}
	}
}
