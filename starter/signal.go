package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/store"
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

// consentRelayInterval is how often the worker delivers consent signals still owed; the starter's
// messages promise it.
const consentRelayInterval = "30 s"

// relayConsent delivers the consent signals st still owes to workflows (lifecycleclient.RelayConsent):
// those of customerIDs, or all when customerIDs is nil. It dials Temporal only when one is owed.
func (a *app) relayConsent(ctx context.Context, st *store.DB, customerIDs []string) (int, error) {
	owed, _, err := st.PendingConsentSignals(ctx)
	if err != nil || owed == 0 {
		return 0, err
	}
	tc, err := a.temporalClient(ctx)
	if err != nil {
		return 0, err
	}
	n, err := lifecycleclient.New(tc).RelayConsent(ctx, st, customerIDs)
	if err != nil {
		return n, explainTemporalError(err)
	}
	return n, nil
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
