package lifecycleclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/workflows"
)

// fakeTemporal answers the three calls the Client makes; anything else panics on the nil client.
type fakeTemporal struct {
	client.Client

	signalWithStart func(id, signal string, arg any, opts client.StartWorkflowOptions, wf any, args ...any) error
	update          func(opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
	query           func(id, runID, name string) (converter.EncodedValue, error)
}

func (f *fakeTemporal) SignalWithStartWorkflow(_ context.Context, id, signal string, arg any, opts client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	return nil, f.signalWithStart(id, signal, arg, opts, wf, args...)
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return f.update(opts)
}

func (f *fakeTemporal) QueryWorkflow(_ context.Context, id, runID, name string, _ ...any) (converter.EncodedValue, error) {
	return f.query(id, runID, name)
}

// jsonValue is an EncodedValue (and an update outcome) holding v or err.
type jsonValue struct {
	v   any
	err error
}

func (j jsonValue) HasValue() bool { return j.v != nil }
func (j jsonValue) Get(ptr any) error {
	if j.err != nil {
		return j.err
	}
	raw, err := json.Marshal(j.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, ptr)
}

type fakeHandle struct{ out jsonValue }

func (fakeHandle) WorkflowID() string                     { return "" }
func (fakeHandle) RunID() string                          { return "" }
func (fakeHandle) UpdateID() string                       { return "" }
func (h fakeHandle) Get(_ context.Context, ptr any) error { return h.out.Get(ptr) }

var notFound = serviceerror.NewNotFound("workflow not found for ID: customer/c1")

func TestSignalIsSignalWithStart(t *testing.T) {
	var calls int
	f := &fakeTemporal{signalWithStart: func(id, signal string, arg any, opts client.StartWorkflowOptions, wf any, args ...any) error {
		calls++
		assert.Equal(t, "customer/c1", id)
		assert.Equal(t, workflows.SignalUnsubscribe, signal)
		assert.Equal(t, workflows.UnsubscribeSignal{Reason: "r"}, arg)
		assert.Equal(t, "customer/c1", opts.ID)
		assert.Equal(t, workflows.TaskQueue, opts.TaskQueue)
		assert.Equal(t, 2, opts.TypedSearchAttributes.Size(), "CustomerId and LifecycleStage")
		assert.Equal(t, []any{workflows.CustomerLifecycleInput{CustomerID: "c1", Version: workflows.CurrentVersion}}, args)
		return nil
	}}
	require.NoError(t, lifecycleclient.New(f).Signal(t.Context(), "c1", workflows.SignalUnsubscribe, workflows.UnsubscribeSignal{Reason: "r"}))
	assert.Equal(t, 1, calls)

	f.signalWithStart = func(string, string, any, client.StartWorkflowOptions, any, ...any) error {
		return serviceerror.NewUnavailable("frontend down")
	}
	err := lifecycleclient.New(f).Signal(t.Context(), "c1", workflows.SignalConsent, workflows.ConsentSignal{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "send consent to workflow customer/c1")
	var unavailable *serviceerror.Unavailable
	assert.True(t, errors.As(err, &unavailable), "the Temporal error stays inspectable: %v", err)
}

// updateCase is one answer of the workflow to an Update, which the client should return as it is.
type updateCase[R any] struct {
	name   string
	answer R
}

// testUpdate runs call (an Update of customer c1's workflow named name with arg, about key)
// against the Temporal fake answering each of answers, then against the failures every Update
// shares: no workflow, and a handler that failed.
func testUpdate[R any](t *testing.T, name string, arg any, key string, call func(*lifecycleclient.Client) (R, error), answers []updateCase[R]) {
	t.Helper()
	failures := []struct {
		name       string
		update     func(client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
		noWorkflow bool
		errSubstr  string
	}{
		{
			name: "workflow not found",
			update: func(client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
				return nil, notFound
			},
			noWorkflow: true, errSubstr: "record a purchase first",
		},
		{
			name: "update handler failed",
			update: func(client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
				return fakeHandle{jsonValue{err: errors.New("handler failed")}}, nil
			},
			errSubstr: "handler failed",
		},
	}
	fake := func(t *testing.T, answer func(client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)) *lifecycleclient.Client {
		return lifecycleclient.New(&fakeTemporal{update: func(opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
			assert.Equal(t, "customer/c1", opts.WorkflowID)
			assert.Empty(t, opts.RunID, "the current run")
			assert.Empty(t, opts.UpdateID, "a repeated click is a new update")
			assert.Equal(t, name, opts.UpdateName)
			assert.Equal(t, []any{arg}, opts.Args)
			assert.Equal(t, client.WorkflowUpdateStageCompleted, opts.WaitForStage)
			return answer(opts)
		}})
	}
	for _, tc := range answers {
		t.Run(tc.name, func(t *testing.T) {
			got, err := call(fake(t, func(client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
				return fakeHandle{jsonValue{v: tc.answer}}, nil
			}))
			require.NoError(t, err)
			assert.Equal(t, tc.answer, got)
		})
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call(fake(t, tc.update))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.errSubstr)
			assert.Contains(t, err.Error(), key, "the error names what was answered")
			assert.Equal(t, tc.noWorkflow, errors.Is(err, lifecycleclient.ErrNoWorkflow), "%v", err)
		})
	}
}

func TestInterested(t *testing.T) {
	req := workflows.InterestedRequest{OfferKey: "customer/c1/sale/s1"}
	testUpdate(t, workflows.UpdateInterested, req, req.OfferKey,
		func(c *lifecycleclient.Client) (workflows.InterestedResult, error) {
			return c.Interested(t.Context(), "c1", req)
		},
		[]updateCase[workflows.InterestedResult]{
			{"accepted", workflows.InterestedResult{Accepted: true, Message: "We'll bring some."}},
		})
}

func TestCheckin(t *testing.T) {
	answer := workflows.CheckinAnswer{CheckinKey: "customer/c1/checkin/p1", Happy: false}
	testUpdate(t, workflows.UpdateCheckin, answer, answer.CheckinKey,
		func(c *lifecycleclient.Client) (workflows.CheckinResult, error) {
			return c.Checkin(t.Context(), "c1", answer)
		},
		[]updateCase[workflows.CheckinResult]{
			{"answered", workflows.CheckinResult{Message: "Our service desk will call you."}},
			{"already answered", workflows.CheckinResult{AlreadyAnswered: true, Message: "You told us already."}},
		})
}

func TestStatus(t *testing.T) {
	f := &fakeTemporal{query: func(id, runID, name string) (converter.EncodedValue, error) {
		assert.Equal(t, "customer/c1", id)
		assert.Equal(t, workflows.QueryStatus, name)
		return jsonValue{v: workflows.Status{CustomerID: "c1", Stage: workflows.StageNew}}, nil
	}}
	st, err := lifecycleclient.New(f).Status(t.Context(), "c1")
	require.NoError(t, err)
	assert.Equal(t, "c1", st.CustomerID)
	assert.Equal(t, workflows.StageNew, st.Stage)

	f.query = func(string, string, string) (converter.EncodedValue, error) { return nil, notFound }
	_, err = lifecycleclient.New(f).Status(t.Context(), "c1")
	assert.ErrorIs(t, err, lifecycleclient.ErrNoWorkflow)
}
