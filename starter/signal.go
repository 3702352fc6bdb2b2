package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/workflows"
)

// reachCustomer delivers one event to a customer's lifecycle workflow, starting the workflow if
// it is not running. It is the only way the starter reaches a customer, and it goes through
// lifecycleclient, the one place that reaches a customer's workflow (SignalWithStart, so an event
// never races the start of the workflow it is for; the ID from workflows.CustomerWorkflowID).
func reachCustomer(ctx context.Context, c client.Client, customerID, signalName string, payload any) error {
	if err := lifecycleclient.New(c).Signal(ctx, customerID, signalName, payload); err != nil {
		return explainTemporalError(err)
	}
	return nil
}

// explainTemporalError adds what to do to errors a fresh namespace typically answers.
func explainTemporalError(err error) error {
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) && strings.Contains(strings.ToLower(invalid.Error()), "search attribute") {
		return fmt.Errorf("%w (run `starter setup` to register the search attributes %s and %s on the namespace)",
			err, workflows.SearchAttrCustomerID, workflows.SearchAttrLifecycleStage)
	}
	return err
}

// broadcastConcurrency bounds the signals in flight, so a large audience neither floods the
// frontend nor takes forever.
const broadcastConcurrency = 8

// progressEvery is how often a long broadcast reports progress.
const progressEvery = 100

// broadcast sends the same event to every customer in ids. It tries them all and reports every
// customer it could not reach; repeating the command is safe because a workflow ignores a
// follow-up it already knows. Progress goes to progress when the audience is large.
func broadcast(ctx context.Context, c client.Client, ids []string, signalName string, payload any, progress io.Writer) (int, error) {
	var (
		g      errgroup.Group
		done   atomic.Int64
		mu     sync.Mutex
		failed []string
		first  error
	)
	g.SetLimit(broadcastConcurrency)
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			err := reachCustomer(ctx, c, id, signalName, payload)
			if err != nil {
				mu.Lock()
				failed = append(failed, id)
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
			if n := done.Add(1); len(ids) > progressEvery && n%progressEvery == 0 {
				fmt.Fprintf(progress, "%s: %d/%d customers\n", signalName, n, len(ids))
			}
			return nil
		})
	}
	_ = g.Wait() // every goroutine returns nil; failures are collected above
	reached := int(done.Load()) - len(failed)
	if err := ctx.Err(); err != nil {
		return reached, fmt.Errorf("interrupted after %d of %d customers; running the same command again is safe: %w", reached, len(ids), err)
	}
	if len(failed) > 0 {
		slices.Sort(failed)
		shown := failed
		if len(shown) > 10 {
			shown = shown[:10]
		}
		more := ""
		if len(failed) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(failed)-len(shown))
		}
		return reached, fmt.Errorf("could not reach %d of %d customers (%s%s); running the same command again is safe: %w",
			len(failed), len(ids), strings.Join(shown, ", "), more, first)
	}
	return reached, nil
}
