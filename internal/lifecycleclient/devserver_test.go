package lifecycleclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/internal/temporaltest"
	"github.com/tailorhq/tailor/workflows"
)

// On a real server (no worker needed): Signal starts the workflow with its search attributes and
// then reaches the running one; Interested and Status on a customer without a workflow say so.
func TestAgainstDevServer(t *testing.T) {
	srv := temporaltest.Start(t)
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

// On a real server with a worker running the real workflow: an offer or check-in the workflow never
// sent is refused by its update validator, and the client says so with ErrRefused (the pages answer
// 409), not as an error that looks transient (503 "try again").
func TestRefusedUpdateOnDevServer(t *testing.T) {
	st, _ := storetest.New(t)
	srv := temporaltest.Start(t)
	w := worker.New(srv.Client, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.CustomerLifecycle)
	w.RegisterActivity(&activities.Activities{Store: st, Policy: lifecycle.DefaultPolicy()})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	lc := lifecycleclient.New(srv.Client)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	require.NoError(t, lc.Signal(ctx, "bea", workflows.SignalConsent, workflows.ConsentSignal{Granted: true, Source: "test"}))

	const offer = "customer/bea/sale/never-sent"
	_, err := lc.Interested(ctx, "bea", workflows.InterestedRequest{OfferKey: offer})
	require.ErrorIs(t, err, lifecycleclient.ErrRefused, "interest in %s, never offered", offer)
	assert.NotErrorIs(t, err, lifecycleclient.ErrNoWorkflow)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr, "the SDK's type for a validator's rejection")
	assert.Contains(t, appErr.Error(), "no offer", "the validator's own message")
	t.Logf("validator rejection as the client sees it: %T in %v", appErr, err)

	const checkin = "customer/bea/checkin/never-sent"
	_, err = lc.Checkin(ctx, "bea", workflows.CheckinAnswer{CheckinKey: checkin, Happy: true})
	require.ErrorIs(t, err, lifecycleclient.ErrRefused, "check-in answer to %s, never asked", checkin)

	// A server that cannot be reached is not a refusal: it stays an error worth retrying.
	short, cancelShort := context.WithTimeout(ctx, time.Nanosecond)
	defer cancelShort()
	<-short.Done()
	_, err = lc.Interested(short, "bea", workflows.InterestedRequest{OfferKey: offer})
	require.Error(t, err)
	assert.NotErrorIs(t, err, lifecycleclient.ErrRefused, "an expired context: %v", err)
}
