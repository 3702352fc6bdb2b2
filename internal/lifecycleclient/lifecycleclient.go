// Package lifecycleclient is the one place outside the worker that reaches a customer's lifecycle
// workflow: the starter's commands and the worker's web pages both go through it.
//
// Contract:
//   - Signal delivers an event with SignalWithStart, so an event never races the start of the
//     workflow it is for; the workflow ID always comes from workflows.CustomerWorkflowID.
//   - Interested, Checkin and Status talk to a running workflow and never start one: an offer, a
//     check-in or a status implies the workflow exists. When it does not, they return an error
//     wrapping ErrNoWorkflow.
//   - Interested and Checkin return an error wrapping ErrRefused when the workflow answered and
//     refused the request (its update validator or handler returned an error): asking again gets
//     the same answer. Any other error may be transient.
package lifecycleclient

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/workflows"
)

// ErrNoWorkflow is wrapped when a customer has no lifecycle workflow (never started, or closed).
var ErrNoWorkflow = errors.New("no lifecycle workflow for this customer")

// ErrRefused is wrapped when the workflow itself refused an update, e.g. an offer it never sent
// or no longer holds; unlike a transient error, trying again does not help.
var ErrRefused = errors.New("the lifecycle workflow refused the request")

// Client reaches customers' lifecycle workflows. It is safe for concurrent use.
type Client struct {
	temporal client.Client
}

// New returns a Client using c; closing c stays the caller's job.
func New(c client.Client) *Client { return &Client{temporal: c} }

// Signal delivers signalName with payload to the customer's workflow, starting the workflow if it
// is not running.
func (c *Client) Signal(ctx context.Context, customerID, signalName string, payload any) error {
	id := workflows.CustomerWorkflowID(customerID)
	opts := client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: workflows.TaskQueue,
		// Used only when this call starts the workflow; a running one keeps its own, and the
		// workflow keeps LifecycleStage up to date itself.
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrCustomerID).ValueSet(customerID),
			temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrLifecycleStage).ValueSet(string(workflows.StageNew)),
		),
	}
	_, err := c.temporal.SignalWithStartWorkflow(ctx, id, signalName, payload, opts,
		workflows.CustomerLifecycle, workflows.CustomerLifecycleInput{CustomerID: customerID, Version: workflows.CurrentVersion})
	if err != nil {
		return fmt.Errorf("send %s to workflow %s: %w", signalName, id, err)
	}
	return nil
}

// Interested records "yes, I'm interested" through the workflow's Update and returns its answer
// once the workflow has handled it. It blocks until then or until ctx ends, so callers bound ctx.
func (c *Client) Interested(ctx context.Context, customerID string, req workflows.InterestedRequest) (workflows.InterestedResult, error) {
	return update[workflows.InterestedResult](ctx, c, customerID, workflows.UpdateInterested, req, "record interest in "+req.OfferKey)
}

// Checkin records the one-click answer to "is it what you hoped for?" through the workflow's Update
// and returns its answer once the workflow has handled it. It blocks until then or until ctx ends,
// so callers bound ctx.
func (c *Client) Checkin(ctx context.Context, customerID string, a workflows.CheckinAnswer) (workflows.CheckinResult, error) {
	return update[workflows.CheckinResult](ctx, c, customerID, workflows.UpdateCheckin, a, "record check-in answer to "+a.CheckinKey)
}

// update runs the Update name with arg on the customer's workflow and returns the workflow's
// answer; what says in an error what the update was for.
func update[R any](ctx context.Context, c *Client, customerID, name string, arg any, what string) (R, error) {
	id := workflows.CustomerWorkflowID(customerID)
	// No UpdateID: a repeated click is a new update, and the workflow answers it (AlreadyAccepted,
	// AlreadyAnswered). Reusing an ID would replay a failed first attempt's error for the rest of the run.
	var res R
	h, err := c.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   id,
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		var zero R
		return zero, fmt.Errorf("%s for workflow %s: %w", what, id, updateFailed(customerID, err))
	}
	return res, nil
}

// Status returns the snapshot of the customer's workflow from its status query. A query is
// answered by a worker, so it blocks until one does or ctx ends.
func (c *Client) Status(ctx context.Context, customerID string) (workflows.Status, error) {
	id := workflows.CustomerWorkflowID(customerID)
	v, err := c.temporal.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
	if err != nil {
		return workflows.Status{}, fmt.Errorf("query status of workflow %s: %w", id, noWorkflow(customerID, err))
	}
	var st workflows.Status
	if err := v.Get(&st); err != nil {
		return workflows.Status{}, fmt.Errorf("decode status of workflow %s: %w", id, err)
	}
	return st, nil
}

// updateFailed classifies an update's error: ErrNoWorkflow as noWorkflow does, ErrRefused when the
// workflow answered with a failure. A validator's rejection (and a handler's error) reaches the
// client as the update's outcome, which the SDK turns into a *temporal.ApplicationError; errors of
// the service or the connection (unavailable, deadline exceeded) are other types and stay as
// they are, so callers treat them as transient.
func updateFailed(customerID string, err error) error {
	var refused *temporal.ApplicationError
	if errors.As(err, &refused) {
		return fmt.Errorf("%w (customer %s): %w", ErrRefused, customerID, err)
	}
	return noWorkflow(customerID, err)
}

// noWorkflow marks Temporal's not-found answer with ErrNoWorkflow, keeping the original error.
func noWorkflow(customerID string, err error) error {
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return fmt.Errorf("%w (customer %s: record a purchase first): %w", ErrNoWorkflow, customerID, err)
	}
	return err
}
