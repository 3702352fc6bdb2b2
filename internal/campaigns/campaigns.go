// Package campaigns starts campaigns: the one place a Campaign workflow is started, by `starter
// sale|season|restock`, by `starter import products` when a SKU comes back in stock, and by the
// worker when a shop's system reports that stock (the Shopify webhook).
//
// Contract: a campaign's workflow ID comes from workflows.CampaignWorkflowID; one whose ID exists,
// running or closed, is not started again: Start returns an error wrapping
// *serviceerror.WorkflowExecutionAlreadyStarted, and AlreadyExists tells it apart.
package campaigns

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// Starter is the part of the Temporal client Start needs.
type Starter interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
}

// Start starts the campaign in and returns its workflow ID. now is when the campaign's progress
// memo says it started.
func Start(ctx context.Context, c Starter, in workflows.CampaignInput, now time.Time) (string, error) {
	id := workflows.CampaignWorkflowID(in)
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: workflows.FanOutTaskQueue,
		// An existing campaign, running or closed, is reported instead of started again.
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrCampaignState).ValueSet(string(workflows.CampaignRunning))),
		Memo: map[string]any{workflows.MemoCampaignProgress: in.StartProgress(now)},
	}, workflows.Campaign, in)
	if err != nil {
		return id, fmt.Errorf("start campaign %s: %w", id, err)
	}
	return id, nil
}

// AlreadyExists reports whether err says the campaign's ID was taken by an earlier campaign.
func AlreadyExists(err error) bool {
	var exists *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &exists)
}

// Restock is the campaign for product p back in stock at now: it reaches the customers with an open
// wish for its style, colour and size made within window (the policy's restock_window). Each
// restock is its own event, so its ID carries now to the millisecond:
// campaign/restock/<sku>/<yyyymmddThhmmss.mmmZ>.
func Restock(p lifecycle.Product, now time.Time, window time.Duration) workflows.CampaignInput {
	now = now.UTC()
	return workflows.RestockCampaign(workflows.RestockSignal{Product: p, At: now}, RestockID(now), now.Add(-window))
}

// RestockID tells restocks of one SKU apart in their campaign's ID.
func RestockID(now time.Time) string { return now.UTC().Format("20060102T150405.000Z") }
