package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// A campaign (sale, season, restock) is one Campaign workflow that pages through the customers it
// concerns and reaches each one's lifecycle workflow with SignalWithStart. The customers' workflows
// decide and send; the campaign only delivers the event, once per customer, resumably.

// CampaignState is where a campaign stands.
type CampaignState string

const (
	CampaignRunning   CampaignState = "running"
	CampaignDone      CampaignState = "done"
	CampaignCancelled CampaignState = "cancelled"
)

// Campaign defaults.
const (
	// Each page costs a few round trips through the server (read, reach, continue as new), which
	// on a busy server wait behind the customers' tasks: big pages keep that off the fan-out's
	// pace. The ids of a page travel in two payloads, which must stay far below Temporal's payload
	// limit (docs/BENCHMARKS.md, "The fan-out on its own task queue", has both measured).
	DefaultCampaignPageSize    = 5000
	DefaultCampaignConcurrency = 16
)

// campaignHeartbeatTimeout: a ReachCustomers attempt whose worker died is retried on another
// worker after this long, from its last heartbeat.
const campaignHeartbeatTimeout = 20 * time.Second

// campaignPageTimeout bounds one CampaignPage read, a single indexed query: a read on a worker
// that died is retried on another after this long, not after a minute of a stalled campaign.
const campaignPageTimeout = 20 * time.Second

var campaignStateKey = temporal.NewSearchAttributeKeyKeyword(SearchAttrCampaignState)

// CampaignInput starts a campaign, or continues it as new after a page (Progress carried). Build
// it with SaleCampaign, SeasonCampaign or RestockCampaign, and name it with CampaignWorkflowID.
type CampaignInput struct {
	Kind lifecycle.Kind
	// Trigger tells this campaign apart from others of its kind: the sale id without its "sale/"
	// prefix, the collection, or sku/restock id. It is the readable end of the workflow ID.
	Trigger string
	// Exactly one signal, matching Kind, goes to every customer.
	Sale    *SaleSignal    `json:",omitempty"`
	Season  *SeasonSignal  `json:",omitempty"`
	Restock *RestockSignal `json:",omitempty"`
	// Audience is who is reached (internal/store.AudiencePage).
	Audience lifecycle.Audience
	// PageSize customers per page (default 5000); Concurrency signals in flight (default 16);
	// RatePerSecond signals per second at most (0: no limit).
	PageSize      int     `json:",omitempty"`
	Concurrency   int     `json:",omitempty"`
	RatePerSecond float64 `json:",omitempty"`
	// Progress is carried through continue-as-new; zero when the campaign starts.
	Progress CampaignProgress
}

// CampaignProgress is a campaign's snapshot: the progress query, the memo and the result.
type CampaignProgress struct {
	Kind    lifecycle.Kind
	Trigger string
	State   CampaignState
	// Reached counts customers whose workflow received the campaign's signal.
	Reached int
	// Pages counts the pages of customers read and reached.
	Pages int
	// Cursor is the last customer id reached; the next page starts after it.
	Cursor   string
	Started  time.Time
	Finished time.Time `json:",omitzero"`
	// Audience and Subject find the campaign's follow-ups in the send log
	// (store.CampaignOutcomes): Subject is the sale id or the collection, "" for a restock.
	Audience lifecycle.Audience
	Subject  string `json:",omitempty"`
	// Holdout is the campaign's holdout (--holdout), nil when it has none of its own.
	Holdout *lifecycle.Holdout `json:",omitempty"`
}

// StartProgress is the progress of a campaign about to start, for the memo it starts with.
func (in CampaignInput) StartProgress(now time.Time) CampaignProgress {
	p := CampaignProgress{Kind: in.Kind, Trigger: in.Trigger, State: CampaignRunning, Started: now, Audience: in.Audience}
	switch {
	case in.Sale != nil:
		p.Subject, p.Holdout = in.Sale.SaleID, in.Sale.Holdout
	case in.Season != nil:
		p.Subject, p.Holdout = in.Season.Collection, in.Season.Holdout
	case in.Restock != nil:
		p.Holdout = in.Restock.Holdout
	}
	return p
}

// WithHoldout gives the campaign a holdout of its own: pct percent of the customers it reaches,
// chosen by a hash of their id and the campaign's workflow ID, get no email (lifecycle.Holdout).
// Call it once the campaign's ID is final (after --again). 0 holds out nobody, even where the
// policy holds out a share of the kind.
func (in CampaignInput) WithHoldout(pct int) CampaignInput {
	h := &lifecycle.Holdout{Pct: pct, Key: CampaignWorkflowID(in)}
	switch {
	case in.Sale != nil:
		sig := *in.Sale
		sig.Holdout, in.Sale = h, &sig
	case in.Season != nil:
		sig := *in.Season
		sig.Holdout, in.Season = h, &sig
	case in.Restock != nil:
		sig := *in.Restock
		sig.Holdout, in.Restock = h, &sig
	}
	return in
}

// CampaignResult is the final progress of a campaign that completed.
type CampaignResult struct {
	CampaignProgress
}

// SaleCampaign is the campaign announcing sig to the customers with consent who bought or like its category.
func SaleCampaign(sig SaleSignal) CampaignInput {
	sig.Category = lifecycle.Normalize(sig.Category)
	return CampaignInput{
		Kind:     lifecycle.KindSale,
		Trigger:  strings.TrimPrefix(sig.SaleID, "sale/"),
		Sale:     &sig,
		Audience: lifecycle.Audience{Kind: lifecycle.KindSale, Category: sig.Category},
	}
}

// SeasonCampaign is the campaign announcing a collection to the customers with consent who bought something.
func SeasonCampaign(sig SeasonSignal) CampaignInput {
	return CampaignInput{
		Kind:     lifecycle.KindSeason,
		Trigger:  sig.Collection,
		Season:   &sig,
		Audience: lifecycle.Audience{Kind: lifecycle.KindSeason},
	}
}

// RestockCampaign is the campaign telling the customers with an open wish for the restocked
// product, colour and size, made after wishedAfter, that it is back. restockID tells restocks of
// one SKU apart (each is a new event), e.g. the time of the restock.
func RestockCampaign(sig RestockSignal, restockID string, wishedAfter time.Time) CampaignInput {
	p := sig.Product
	return CampaignInput{
		Kind:    lifecycle.KindRestock,
		Trigger: p.SKU + "/" + restockID,
		Restock: &sig,
		Audience: lifecycle.Audience{Kind: lifecycle.KindRestock, Product: p.Product, Color: p.Color, Size: p.Size,
			WishedAfter: wishedAfter},
	}
}

// CampaignWorkflowID is the one place a campaign's workflow ID is made: campaign/<kind>/<trigger>,
// e.g. campaign/sale/trousers/20261231-20, campaign/season/winter-2026 or
// campaign/restock/TR-GREY-50/20261201T101500.000Z.
func CampaignWorkflowID(in CampaignInput) string {
	return "campaign/" + string(in.Kind) + "/" + in.Trigger
}

// Campaign reaches every customer of in.Audience, one page per run: it reads a page (keyset
// pagination after the carried cursor), signals its customers (ReachCustomers, resumable from its
// heartbeat), records the progress and continues as new. Cancelling it stops further pages and
// signals; customers already signalled keep their follow-ups, which their own workflows send.
func Campaign(ctx workflow.Context, in CampaignInput) (CampaignResult, error) {
	c, err := setupCampaign(ctx, in)
	if err != nil {
		return CampaignResult{}, err
	}
	return c.run(ctx)
}

// campaignRun is one run (one page) of a campaign.
type campaignRun struct {
	in       CampaignInput
	progress CampaignProgress
	signal   string
	payload  json.RawMessage
}

func setupCampaign(ctx workflow.Context, in CampaignInput) (*campaignRun, error) {
	c := &campaignRun{in: in, progress: in.Progress}
	var payload any
	switch {
	case in.Kind == lifecycle.KindSale && in.Sale != nil:
		c.signal, payload = SignalSale, in.Sale
	case in.Kind == lifecycle.KindSeason && in.Season != nil:
		c.signal, payload = SignalSeason, in.Season
	case in.Kind == lifecycle.KindRestock && in.Restock != nil:
		c.signal, payload = SignalRestock, in.Restock
	default:
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("campaign of kind %q needs its signal (Sale, Season or Restock)", in.Kind), activities.ErrTypeInvalidInput, nil)
	}
	if in.Audience.Kind != in.Kind {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("campaign of kind %q has an audience of kind %q", in.Kind, in.Audience.Kind), activities.ErrTypeInvalidInput, nil)
	}
	// payload is one of the campaign signal structs: encoding/json writes struct fields in
	// declaration order and map keys sorted, so the bytes are the same on every replay.
	// workflowcheck flags Marshal for the map iteration and the reflection cache inside it.
	raw, err := json.Marshal(payload) //workflowcheck:ignore
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("encode the campaign's signal", activities.ErrTypeInvalidInput, err)
	}
	c.payload = raw
	if c.in.PageSize <= 0 {
		c.in.PageSize = DefaultCampaignPageSize
	}
	if c.in.Concurrency <= 0 {
		c.in.Concurrency = DefaultCampaignConcurrency
	}
	if c.progress.State == "" { // the first run
		c.progress = in.StartProgress(workflow.Now(ctx))
		if err := workflow.UpsertTypedSearchAttributes(ctx, campaignStateKey.ValueSet(string(CampaignRunning))); err != nil {
			return nil, fmt.Errorf("upsert %s: %w", SearchAttrCampaignState, err)
		}
	}
	if err := workflow.SetQueryHandler(ctx, QueryCampaignProgress, func() (CampaignProgress, error) {
		return c.progress, nil
	}); err != nil {
		return nil, fmt.Errorf("register progress query: %w", err)
	}
	return c, nil
}

func (c *campaignRun) run(ctx workflow.Context) (CampaignResult, error) {
	pageCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: campaignPageTimeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 30 * time.Second},
	})
	var page activities.CampaignPageResult
	err := workflow.ExecuteActivity(pageCtx, a.CampaignPage, activities.CampaignPageInput{
		Audience: c.in.Audience, After: c.progress.Cursor, Limit: c.in.PageSize,
	}).Get(ctx, &page)
	if err != nil {
		if ctx.Err() != nil {
			return c.cancelled(ctx)
		}
		return CampaignResult{}, fmt.Errorf("read page %d after %q: %w", c.progress.Pages+1, c.progress.Cursor, err)
	}

	if ids := page.CustomerIDs; len(ids) > 0 {
		reachCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: c.reachTimeout(len(ids)),
			HeartbeatTimeout:    campaignHeartbeatTimeout,
			// Wait for the activity to stop on cancel: its CanceledError says how far it got.
			WaitForCancellation: true,
			RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 30 * time.Second},
		})
		var reach activities.ReachCustomersResult
		err := workflow.ExecuteActivity(reachCtx, a.ReachCustomers, activities.ReachCustomersInput{
			CustomerIDs:   ids,
			SignalName:    c.signal,
			Signal:        c.payload,
			Concurrency:   c.in.Concurrency,
			RatePerSecond: c.in.RatePerSecond,
		}).Get(ctx, &reach)
		if err != nil {
			if ctx.Err() == nil {
				return CampaignResult{}, fmt.Errorf("reach page %d after %q: %w", c.progress.Pages+1, c.progress.Cursor, err)
			}
			var canceled *temporal.CanceledError
			var n int
			if errors.As(err, &canceled) && canceled.HasDetails() && canceled.Details(&n) == nil && n > 0 {
				c.progress.Reached += n
				c.progress.Cursor = ids[n-1]
				c.countReached(ctx, n)
			}
			return c.cancelled(ctx)
		}
		c.progress.Reached += reach.Reached
		c.countReached(ctx, reach.Reached)
		c.progress.Pages++
		c.progress.Cursor = ids[len(ids)-1]
	}
	if ctx.Err() != nil { // a cancel that arrived with the page's result: no continue-as-new past it
		return c.cancelled(ctx)
	}
	if len(page.CustomerIDs) < c.in.PageSize {
		return c.finish(ctx, CampaignDone)
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{MemoCampaignProgress: c.progress}); err != nil {
		return CampaignResult{}, fmt.Errorf("upsert progress memo: %w", err)
	}
	next := c.in
	next.Progress = c.progress
	return CampaignResult{}, workflow.NewContinueAsNewError(ctx, Campaign, next)
}

// countReached adds a page's reached customers to tailor_campaign_reached_total. A metric, not a
// command: the SDK counts nothing while it replays.
func (c *campaignRun) countReached(ctx workflow.Context, n int) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"kind": string(c.in.Kind)}).
		Counter(CampaignReachedMetric).Inc(int64(n))
}

// reachTimeout bounds one ReachCustomers attempt: generous, as the heartbeat detects a dead worker.
func (c *campaignRun) reachTimeout(customers int) time.Duration {
	d := 10 * time.Minute
	if c.in.RatePerSecond > 0 {
		d += time.Duration(2 * float64(customers) / c.in.RatePerSecond * float64(time.Second))
	}
	return d
}

// finish records the final state in the search attribute and the memo.
func (c *campaignRun) finish(ctx workflow.Context, state CampaignState) (CampaignResult, error) {
	c.progress.State = state
	c.progress.Finished = workflow.Now(ctx)
	if err := workflow.UpsertTypedSearchAttributes(ctx, campaignStateKey.ValueSet(string(state))); err != nil {
		return CampaignResult{}, fmt.Errorf("upsert %s: %w", SearchAttrCampaignState, err)
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{MemoCampaignProgress: c.progress}); err != nil {
		return CampaignResult{}, fmt.Errorf("upsert progress memo: %w", err)
	}
	return CampaignResult{CampaignProgress: c.progress}, nil
}

// cancelled ends a cancelled campaign: the state is recorded, and the workflow ends as cancelled.
func (c *campaignRun) cancelled(ctx workflow.Context) (CampaignResult, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	res, err := c.finish(dctx, CampaignCancelled)
	if err != nil {
		return res, err
	}
	return res, temporal.NewCanceledError(fmt.Sprintf("cancelled after reaching %d customers", c.progress.Reached))
}
