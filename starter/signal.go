package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// relayInterval is how often the worker delivers signals still owed; the starter's messages
// promise it (worker: ownedSignalRelayInterval).
const relayInterval = "5 s"

// events returns the event layer on the database: every command that records a shop event goes
// through it, so the change and the signal it owes commit together (internal/events). Temporal
// is dialled only when a signal is delivered.
func (a *app) events(ctx context.Context) (*events.Service, *store.DB, error) {
	st, err := a.db(ctx)
	if err != nil {
		return nil, nil, err
	}
	return events.New(st, starterLifecycle{a}, a.now), st, nil
}

// starterLifecycle reaches a customer's workflow through lifecycleclient (SignalWithStart, the ID
// from workflows.CustomerWorkflowID), dialling Temporal on first use.
type starterLifecycle struct{ a *app }

func (l starterLifecycle) Signal(ctx context.Context, customerID, signalName string, payload any) error {
	tc, err := l.a.temporalClient(ctx)
	if err != nil {
		return err
	}
	if err := lifecycleclient.New(tc).Signal(ctx, customerID, signalName, payload); err != nil {
		return explainTemporalError(err)
	}
	return nil
}

// relayEarlier delivers the signals owed from earlier runs and tells the user what became of them.
func (a *app) relayEarlier(ctx context.Context, ev *events.Service) {
	earlier, err := ev.Relay(ctx, nil)
	if err != nil {
		fmt.Fprintf(a.stderr, "warning: signals owed from earlier are still to be delivered (the worker retries every %s): %v\n", relayInterval, err)
	} else if earlier > 0 {
		fmt.Fprintf(a.stdout, "also told %d customer workflow(s) about events owed from earlier\n", earlier)
	}
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
