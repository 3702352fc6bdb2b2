package workflows_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/temporaltest"
	"github.com/tailorhq/tailor/workflows"
)

// On a real server, signals that arrive while a run decides to continue as new must reach the next
// run: the test environment cannot show this, because it delivers signals one workflow task at a time.
func TestSignalsSurviveContinueAsNewOnARealServer(t *testing.T) {
	st := newStore(t)
	srv := temporaltest.Start(t)
	mailer := &recordingMailer{}
	policy := lifecycle.DefaultPolicy()
	policy.MinGap = 0 // every sale goes out at once, so each signal is one email

	w := worker.New(srv.Client, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.CustomerLifecycle)
	w.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: policy, Links: testLinks(t)})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	ctx := context.Background()
	send := func(name string, arg any) error {
		_, err := srv.Client.SignalWithStartWorkflow(ctx, workflows.CustomerWorkflowID("david"), name, arg,
			client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue},
			workflows.CustomerLifecycle, workflows.CustomerLifecycleInput{CustomerID: "david", ContinueAsNewAfter: 3})
		return err
	}
	require.NoError(t, send(workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50"}))

	// 30 sales at once, from several senders: the workflow continues as new every 3 events.
	const sales = 30
	var wg sync.WaitGroup
	errs := make(chan error, sales)
	for i := range sales {
		wg.Go(func() {
			errs <- send(workflows.SignalSale, workflows.SaleSignal{SaleID: fmt.Sprintf("flash-%02d", i), Category: "trousers", DiscountPct: 10})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	require.Eventually(t, func() bool { return len(mailer.sent()) >= sales }, 60*time.Second, 100*time.Millisecond,
		"every sale should be emailed; got %d of %d", len(mailer.sent()), sales)
	keys := map[string]int{}
	for _, e := range mailer.sent() {
		keys[e.Key]++
	}
	require.Len(t, keys, sales, "one email per sale")
	for k, n := range keys {
		require.Equal(t, 1, n, "email %s sent %d times", k, n)
	}

	desc, err := srv.Client.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID("david"), "")
	require.NoError(t, err)
	first, err := srv.Client.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID("david"), desc.WorkflowExecutionInfo.FirstRunId)
	require.NoError(t, err)
	require.NotEqual(t, desc.WorkflowExecutionInfo.Execution.RunId, first.WorkflowExecutionInfo.Execution.RunId,
		"the workflow should have continued as new")
}
