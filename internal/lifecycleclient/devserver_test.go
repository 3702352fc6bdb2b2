package lifecycleclient_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/tailorhq/tailor/internal/devserver"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/workflows"
)

// On a real server (no worker needed): Signal starts the workflow with its search attributes and
// then reaches the running one; Interested and Status on a customer without a workflow say so.
func TestAgainstDevServer(t *testing.T) {
	srv := devserver.Start(t)
	lc := lifecycleclient.New(srv.Client)
	ctx := t.Context()

	require.NoError(t, lc.Signal(ctx, "ann", workflows.SignalConsent, workflows.ConsentSignal{Granted: true, Source: "test"}))
	require.NoError(t, lc.Signal(ctx, "ann", workflows.SignalUnsubscribe, workflows.UnsubscribeSignal{Reason: "test"}))

	desc, err := srv.Client.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID("ann"), "")
	require.NoError(t, err)
	info := desc.GetWorkflowExecutionInfo()
	assert.Equal(t, workflows.TaskQueue, info.GetTaskQueue())
	fields := info.GetSearchAttributes().GetIndexedFields()
	for name, want := range map[string]string{
		workflows.SearchAttrCustomerID:     "ann",
		workflows.SearchAttrLifecycleStage: string(workflows.StageNew),
	} {
		var got string
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(fields[name], &got), "search attribute %s", name)
		assert.Equal(t, want, got, "search attribute %s", name)
	}

	hist := srv.Client.GetWorkflowHistory(ctx, workflows.CustomerWorkflowID("ann"), "", false, 0)
	var signals []string
	for hist.HasNext() {
		ev, err := hist.Next()
		require.NoError(t, err)
		if s := ev.GetWorkflowExecutionSignaledEventAttributes(); s != nil {
			signals = append(signals, s.GetSignalName())
		}
	}
	assert.Equal(t, []string{workflows.SignalConsent, workflows.SignalUnsubscribe}, signals, "one workflow got both signals")

	_, err = lc.Interested(ctx, "nobody", workflows.InterestedRequest{OfferKey: "customer/nobody/sale/s1"})
	assert.ErrorIs(t, err, lifecycleclient.ErrNoWorkflow)
	_, err = lc.Status(ctx, "nobody")
	assert.ErrorIs(t, err, lifecycleclient.ErrNoWorkflow)
}
