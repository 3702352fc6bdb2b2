package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/campaigns"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// campaignFlags are the flags sale, season and restock share.
type campaignFlags struct {
	wait        *bool
	dryRun      *bool
	again       *bool
	concurrency *int
	rate        *float64
	pageSize    *int
	holdout     *int // -1: not given, the policy's holdout for the kind applies
}

func addCampaignFlags(fs *flag.FlagSet) campaignFlags {
	return campaignFlags{
		wait:        fs.Bool("wait", false, "wait for the campaign to reach every customer, showing its progress, and print a summary"),
		dryRun:      fs.Bool("dry-run", false, "print how many customers the campaign would reach and a few of them; change and start nothing"),
		again:       fs.Bool("again", false, "start a new campaign even if one with the same trigger exists (its ID gets an /again-<time> suffix); customers who already have this follow-up still get it once"),
		concurrency: fs.Int("concurrency", workflows.DefaultCampaignConcurrency, "customers signalled at the same time, at most"),
		rate:        fs.Float64("rate", 0, "customers signalled per second, at most (default: no limit)"),
		pageSize:    fs.Int("page-size", workflows.DefaultCampaignPageSize, "customers per page; the campaign continues as new after each"),
		holdout: fs.Int("holdout", -1, "hold out this percentage (0-100) of the customers reached: chosen by a hash of their id and the campaign's ID, "+
			"they go through the whole decision but get no email, and `starter report` measures the lift against them "+
			"(default: the policy's holdout for the kind, if any; 0: none)"),
	}
}

// defaultCampaignFlags are the flags' defaults, for campaigns started without campaign flags
// (those a products import starts).
func defaultCampaignFlags() campaignFlags {
	return addCampaignFlags(flag.NewFlagSet("defaults", flag.ContinueOnError))
}

// check adds the flags' mistakes to p.
func (f campaignFlags) check(p *problems) {
	if *f.concurrency < 1 {
		p.addf("--concurrency must be at least 1, got %d", *f.concurrency)
	}
	if *f.rate < 0 {
		p.addf("--rate must not be negative, got %g", *f.rate)
	}
	if *f.pageSize < 1 {
		p.addf("--page-size must be at least 1, got %d", *f.pageSize)
	}
	if *f.holdout < -1 || *f.holdout > 100 {
		p.addf("--holdout must be a percentage from 0 to 100, got %d", *f.holdout)
	}
	if *f.dryRun && (*f.wait || *f.again) {
		p.addf("--dry-run starts nothing: leave out --wait and --again")
	}
}

func (f campaignFlags) apply(in *workflows.CampaignInput) {
	in.Concurrency = *f.concurrency
	in.RatePerSecond = *f.rate
	in.PageSize = *f.pageSize
}

// dryRunSample is how many customer ids a dry run shows.
const dryRunSample = 5

// dryRun prints how many customers in would reach now, and a few of them; with a holdout (pct >= 0)
// also how many of them it would hold out.
func (a *app) dryRun(ctx context.Context, st *store.DB, in workflows.CampaignInput, who string, holdoutPct int) error {
	n, err := st.CountAudience(ctx, in.Audience)
	if err != nil {
		return explainStoreError(err)
	}
	sample, err := st.AudiencePage(ctx, in.Audience, "", dryRunSample)
	if err != nil {
		return explainStoreError(err)
	}
	eg := ""
	if len(sample) > 0 {
		eg = " (" + strings.Join(sample, ", ")
		if n > len(sample) {
			eg += ", ..."
		}
		eg += ")"
	}
	fmt.Fprintf(a.stdout, "dry run: campaign %s would reach %d %s%s; nothing was changed or started\n",
		workflows.CampaignWorkflowID(in), n, who, eg)
	if holdoutPct < 0 {
		return nil
	}
	h := *in.WithHoldout(holdoutPct).StartProgress(time.Time{}).Holdout
	held, err := countHeldOut(ctx, st, in.Audience, h)
	if err != nil {
		return explainStoreError(err)
	}
	fmt.Fprintf(a.stdout, "with --holdout %d it would hold out %d of them (a hash of their id and %s), who get no email\n", holdoutPct, held, h.Key)
	return nil
}

// countHeldOut counts the customers of audience in holdout h, a page at a time.
func countHeldOut(ctx context.Context, st *store.DB, audience lifecycle.Audience, h lifecycle.Holdout) (int, error) {
	held, after := 0, ""
	for {
		ids, err := st.AudiencePage(ctx, audience, after, workflows.DefaultCampaignPageSize)
		if err != nil {
			return 0, err
		}
		for _, id := range ids {
			if h.Holds(id) {
				held++
			}
		}
		if len(ids) < workflows.DefaultCampaignPageSize {
			return held, nil
		}
		after = ids[len(ids)-1]
	}
}

// launch starts the campaign in, unless one with its ID exists; with --wait it follows it to the
// end. prefix starts the summary line (e.g. what a restock changed); who names the audience.
func (a *app) launch(ctx context.Context, st *store.DB, in workflows.CampaignInput, f campaignFlags, prefix, who string) error {
	tc, err := a.temporalClient(ctx)
	if err != nil {
		return fmt.Errorf("%snothing was announced: %w", prefix, err)
	}
	now := a.now().UTC()
	if *f.again {
		in.Trigger += "/again-" + now.Format("20060102T150405Z")
	}
	f.apply(&in)
	if *f.holdout >= 0 {
		in = in.WithHoldout(*f.holdout) // keyed by the final ID, after --again
	}
	id, err := campaigns.Start(ctx, tc, in, now)
	switch {
	case campaigns.AlreadyExists(err):
		v, err := a.viewCampaign(ctx, tc, id, false)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%scampaign %s already exists (%s, reached %d); nothing new was started (--again starts another)\n",
			prefix, id, v.Progress.State, v.Progress.Reached)
		return nil
	case err != nil:
		return fmt.Errorf("%s%w", prefix, explainCampaignError(err))
	}
	if !*f.wait {
		fmt.Fprintf(a.stdout, "%sstarted campaign %s to reach the %s; follow it with `starter campaign status %s`\n", prefix, id, who, id)
		return nil
	}
	total, err := st.CountAudience(ctx, in.Audience)
	if err != nil {
		total = -1 // the bar shows no total; the campaign itself is fine
	}
	v, err := a.follow(ctx, tc, id, total)
	if err != nil {
		return err
	}
	o := a.settledOutcomes(ctx, st, v.Progress)
	fmt.Fprintf(a.stdout, "%scampaign %s %s: notified %d %s in %d page(s) (%s); %s\n", prefix, id, v.Progress.State,
		v.Progress.Reached, who, v.Progress.Pages, v.Progress.Finished.Sub(v.Progress.Started).Round(time.Millisecond), o)
	return nil
}

func explainCampaignError(err error) error {
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) && strings.Contains(strings.ToLower(invalid.Error()), "search attribute") {
		return fmt.Errorf("%w (run `starter setup` to register the search attribute %s)", err, workflows.SearchAttrCampaignState)
	}
	return err
}

// campaignView is what the starter knows of a campaign.
type campaignView struct {
	ID       string
	Status   enums.WorkflowExecutionStatus
	Progress workflows.CampaignProgress
	// Live is true when Progress came from the progress query, false when from the memo (as of
	// the last page).
	Live bool
	// InPage counts the customers of the page in flight reached so far: the last heartbeat of its
	// ReachCustomers activity, which Progress counts only once the page is done.
	InPage int
}

// reached is every customer the campaign reached, the page in flight included.
func (v campaignView) reached() int { return v.Progress.Reached + v.InPage }

// viewCampaign reads a campaign's progress: from its memo, and with live from the progress query
// when it is running (a query needs a worker; without one the memo's is shown).
func (a *app) viewCampaign(ctx context.Context, tc client.Client, id string, live bool) (campaignView, error) {
	desc, err := tc.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return campaignView{}, fmt.Errorf("no campaign %s: list them with `starter campaign list`", id)
	}
	if err != nil {
		return campaignView{}, fmt.Errorf("describe campaign %s: %w", id, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetType().GetName() != "Campaign" {
		return campaignView{}, fmt.Errorf("%s is a %s workflow, not a campaign", id, info.GetType().GetName())
	}
	v := campaignView{ID: id, Status: info.GetStatus()}
	for _, pa := range desc.GetPendingActivities() {
		if pa.GetActivityType().GetName() == "ReachCustomers" && pa.GetHeartbeatDetails() != nil {
			var n int
			if a.payloadConverter().FromPayloads(pa.GetHeartbeatDetails(), &n) == nil {
				v.InPage = n
			}
		}
	}
	if p, ok := info.GetMemo().GetFields()[workflows.MemoCampaignProgress]; ok {
		if err := a.payloadConverter().FromPayload(p, &v.Progress); err != nil {
			return campaignView{}, fmt.Errorf("read the progress memo of campaign %s: %w", id, err)
		}
	}
	if live && v.Status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if val, err := tc.QueryWorkflow(qctx, id, "", workflows.QueryCampaignProgress); err == nil {
			var p workflows.CampaignProgress
			if val.Get(&p) == nil {
				v.Progress, v.Live = p, true
			}
		}
	}
	switch v.Status {
	case enums.WORKFLOW_EXECUTION_STATUS_RUNNING:
	case enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, enums.WORKFLOW_EXECUTION_STATUS_CANCELED:
		// The memo holds the final state.
	default: // failed, terminated, timed out: the workflow wrote no final state
		v.Progress.State = workflows.CampaignState(strings.ToLower(strings.TrimPrefix(v.Status.String(), "WORKFLOW_EXECUTION_STATUS_")))
	}
	return v, nil
}

// pollEvery is how often --wait and cancel look at a campaign.
const pollEvery = 500 * time.Millisecond

// follow shows a campaign's progress until it ends: one redrawn bar on a terminal, a line per
// change otherwise. total is the audience's size when it started, or -1 when unknown.
func (a *app) follow(ctx context.Context, tc client.Client, id string, total int) (campaignView, error) {
	tty := isTerminal(a.stdout)
	last := -1
	for {
		v, err := a.viewCampaign(ctx, tc, id, true)
		if err != nil {
			return campaignView{}, err
		}
		done := v.Status != enums.WORKFLOW_EXECUTION_STATUS_RUNNING
		// Never backwards: between a page's last heartbeat and the workflow counting the page,
		// neither says the page's customers are reached.
		if reached := v.reached(); reached > last || done {
			last = max(reached, last)
			line := progressLine(v.Progress, last, total)
			if tty {
				fmt.Fprintf(a.stdout, "\r\033[K%s", line)
				if done {
					fmt.Fprintln(a.stdout)
				}
			} else {
				fmt.Fprintf(a.stdout, "campaign %s: %s\n", id, line)
			}
		}
		if done {
			return v, nil
		}
		select {
		case <-ctx.Done():
			if tty {
				fmt.Fprintln(a.stdout)
			}
			return campaignView{}, fmt.Errorf("stopped waiting; campaign %s goes on (starter campaign status %s, starter campaign cancel %s): %w", id, id, id, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// progressBarWidth is the number of cells of the progress bar.
const progressBarWidth = 30

// progressLine shows reached customers of total (the page in flight included) and p's pages and state.
func progressLine(p workflows.CampaignProgress, reached, total int) string {
	if total <= 0 {
		return fmt.Sprintf("%s, reached %d customers, %d page(s)", p.State, reached, p.Pages)
	}
	frac := min(float64(reached)/float64(total), 1)
	cells := int(frac * progressBarWidth)
	return fmt.Sprintf("[%s%s] %d/%d customers reached (%3.0f%%), %d page(s), %s",
		strings.Repeat("#", cells), strings.Repeat(".", progressBarWidth-cells), reached, total, frac*100, p.Pages, p.State)
}

// isTerminal reports whether w is a terminal, where a progress bar can be redrawn in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// outcomes is a campaign's follow-ups as the send log knows them.
type outcomes struct {
	reached int
	o       store.Outcomes
	err     error
}

func (o outcomes) String() string {
	if o.err != nil {
		return fmt.Sprintf("emails unknown: %v", o.err)
	}
	skipped := 0
	var reasons []string
	for _, reason := range slices.Sorted(maps.Keys(o.o.Skipped)) {
		skipped += o.o.Skipped[reason]
		reasons = append(reasons, fmt.Sprintf("%s %d", reason, o.o.Skipped[reason]))
	}
	line := fmt.Sprintf("emailed %d, held out %d, failed %d, deferred %d (waiting for the contact policy), skipped %d",
		o.o.Sent, o.o.HeldOut, o.o.Failed, o.o.Deferred, skipped)
	if len(reasons) > 0 {
		line += " (" + strings.Join(reasons, ", ") + ")"
	}
	if notYet := max(o.reached-o.o.Decided(), 0); notYet > 0 {
		line += fmt.Sprintf(", not decided yet %d (in flight, or customers whose workflows started before version 2 record skips)", notYet)
	}
	return line
}

func (a *app) outcomes(ctx context.Context, st *store.DB, p workflows.CampaignProgress) outcomes {
	o, err := st.CampaignOutcomes(ctx, p.Audience, p.Subject, p.Started)
	return outcomes{reached: p.Reached, o: o, err: err}
}

// settleFor bounds how long --wait lets the emails of the last customers go out before its summary.
const settleFor = 10 * time.Second

// settledOutcomes reads the outcomes once the send log stops changing for a second, every
// reached customer has an outcome, or settleFor passed: the customers' workflows send after the
// campaign reached them, and some wait for the contact policy.
func (a *app) settledOutcomes(ctx context.Context, st *store.DB, p workflows.CampaignProgress) outcomes {
	deadline := time.Now().Add(settleFor)
	prev := a.outcomes(ctx, st, p)
	for prev.err == nil && prev.o.Decided() < p.Reached && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return prev
		case <-time.After(time.Second):
		}
		cur := a.outcomes(ctx, st, p)
		if cur.err == nil && reflect.DeepEqual(cur.o, prev.o) {
			return cur
		}
		prev = cur
	}
	return prev
}

func runCampaign(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	recall := fs.Bool("recall", false, "cancel: also drop, in every reached customer's workflow, the campaign's follow-up still waiting (sale and season campaigns)")
	// `campaign cancel ID --recall` names the flag after the ID, where the flag package stops.
	args = slices.DeleteFunc(slices.Clone(args), func(arg string) bool {
		if arg == "--recall" || arg == "-recall" {
			*recall = true
			return true
		}
		return false
	})
	rest, err := a.parseFlags(c, fs, args, 2)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("missing what to do: list, status ID or cancel ID")
	}
	switch verb := rest[0]; verb {
	case "list":
		if len(rest) > 1 {
			return usagef("unexpected argument %q: campaign list takes none", rest[1])
		}
		return a.listCampaigns(ctx)
	case "status", "cancel":
		if len(rest) < 2 || strings.TrimSpace(rest[1]) == "" {
			return usagef("missing the campaign ID: starter campaign %s ID (see starter campaign list)", verb)
		}
		if verb == "status" {
			if *recall {
				return usagef("--recall goes with cancel")
			}
			return a.campaignStatus(ctx, rest[1])
		}
		return a.cancelCampaign(ctx, rest[1], *recall)
	default:
		return usagef("unknown %q: want list, status ID or cancel ID", verb)
	}
}

func (a *app) listCampaigns(ctx context.Context) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	tc, err := a.temporalClient(ctx)
	if err != nil {
		return err
	}
	// A campaign continues as new after every page: only the latest run of each is listed.
	query := "WorkflowType = 'Campaign' AND ExecutionStatus != 'ContinuedAsNew'"
	tw := tabwriter.NewWriter(a.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tREACHED\tHOLDOUT\tSTARTED")
	n := 0
	var token []byte
	for {
		resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return fmt.Errorf("list campaigns: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			var p workflows.CampaignProgress
			if m, ok := e.GetMemo().GetFields()[workflows.MemoCampaignProgress]; ok {
				_ = a.payloadConverter().FromPayload(m, &p) // a bad memo shows as zero
			}
			state := string(p.State)
			if e.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING && e.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED &&
				e.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_CANCELED {
				state = strings.ToLower(strings.TrimPrefix(e.GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_"))
			}
			// The campaign's own holdout (--holdout), else the policy's for its kind
			// (LIFECYCLE_CONFIG, which the workers read too).
			holdout := fmt.Sprintf("%d%% (policy)", cfg.Policy.Holdouts[p.Kind])
			if p.Holdout != nil {
				holdout = fmt.Sprintf("%d%%", p.Holdout.Pct)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", e.GetExecution().GetWorkflowId(), state, p.Reached, holdout, e.GetStartTime().AsTime().UTC().Format(timeLayout))
			n++
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	if n == 0 {
		fmt.Fprintln(a.stdout, "no campaigns yet: starter sale, season or restock starts one")
		return nil
	}
	return tw.Flush()
}

func (a *app) campaignStatus(ctx context.Context, id string) error {
	tc, err := a.temporalClient(ctx)
	if err != nil {
		return err
	}
	v, err := a.viewCampaign(ctx, tc, id, true)
	if err != nil {
		return err
	}
	p := v.Progress
	tw := tabwriter.NewWriter(a.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "campaign\t%s\n", id)
	fmt.Fprintf(tw, "kind\t%s\t%s\n", p.Kind, p.Trigger)
	fmt.Fprintf(tw, "state\t%s\n", p.State)
	if h := p.Holdout; h != nil {
		fmt.Fprintf(tw, "holdout\t%d%% of the customers reached get no email (by a hash of their id and %s)\n", h.Pct, h.Key)
	}
	asOf := "live"
	if !v.Live {
		asOf = "as of the last page"
	}
	fmt.Fprintf(tw, "reached\t%d customers in %d page(s) (%s)\n", p.Reached, p.Pages, asOf)
	if v.InPage > 0 {
		fmt.Fprintf(tw, "current\t%d more customers of the page in flight (its activity's last heartbeat)\n", v.InPage)
	}
	if p.Cursor != "" {
		fmt.Fprintf(tw, "cursor\t%s (the last customer reached)\n", p.Cursor)
	}
	if !p.Started.IsZero() {
		fmt.Fprintf(tw, "started\t%s\n", p.Started.UTC().Format(timeLayout))
	}
	if !p.Finished.IsZero() {
		fmt.Fprintf(tw, "finished\t%s (%s)\n", p.Finished.UTC().Format(timeLayout), p.Finished.Sub(p.Started).Round(time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	st, err := a.db(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "follow-ups: %s\n", a.outcomes(ctx, st, p))
	if p.State == workflows.CampaignCancelled {
		fmt.Fprintln(a.stdout, "cancelled: no further customers are reached; those already reached keep their follow-ups")
	}
	return nil
}

// cancelWait bounds how long cancel waits to report where the campaign stopped.
const cancelWait = 15 * time.Second

func (a *app) cancelCampaign(ctx context.Context, id string, recall bool) error {
	tc, err := a.temporalClient(ctx)
	if err != nil {
		return err
	}
	v, err := a.viewCampaign(ctx, tc, id, false)
	if err != nil {
		return err
	}
	if recall && (v.Progress.Kind != lifecycle.KindSale && v.Progress.Kind != lifecycle.KindSeason || v.Progress.Subject == "") {
		return fmt.Errorf("campaign %s is a %s campaign: --recall takes back sale and season campaigns only (a restock answers each customer's own wish)", id, v.Progress.Kind)
	}
	if v.Status != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		fmt.Fprintf(a.stdout, "campaign %s already ended (%s, reached %d); nothing to cancel\n", id, v.Progress.State, v.Progress.Reached)
		if recall {
			return a.recallCampaign(ctx, id, v.Progress)
		}
		return nil
	}
	if err := tc.CancelWorkflow(ctx, id, ""); err != nil {
		return fmt.Errorf("cancel campaign %s: %w", id, err)
	}
	deadline := time.Now().Add(cancelWait)
	for v.Status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
		if v, err = a.viewCampaign(ctx, tc, id, false); err != nil {
			return err
		}
	}
	if v.Status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		fmt.Fprintf(a.stdout, "cancel requested for campaign %s; it stops at its next step once a worker runs it (starter campaign status %s)\n", id, id)
		if recall {
			fmt.Fprintf(a.stdout, "recalling from the customers reached so far; run `starter campaign cancel %s --recall` again once it stopped, for those its last page reached\n", id)
			return a.recallCampaign(ctx, id, v.Progress)
		}
		return nil
	}
	if recall {
		fmt.Fprintf(a.stdout, "campaign %s %s after reaching %d customers; no further customers are reached\n", id, v.Progress.State, v.Progress.Reached)
		return a.recallCampaign(ctx, id, v.Progress)
	}
	fmt.Fprintf(a.stdout, "campaign %s %s after reaching %d customers; no further customers are reached, those already reached keep their follow-ups\n",
		id, v.Progress.State, v.Progress.Reached)
	return nil
}

// recallPage is how many reached customers are read, and recalled, at a time.
const recallPage = 1000

// recallCampaign sends every customer the campaign reached (its audience up to the cursor) the
// recall signal of the campaign's follow-up, through the event layer (owed in signal_outbox, so a
// recall that fails here is delivered by the worker), then reports how many follow-ups were
// recalled and how many had already gone out.
func (a *app) recallCampaign(ctx context.Context, id string, p workflows.CampaignProgress) error {
	ev, st, err := a.events(ctx)
	if err != nil {
		return err
	}
	if p.Cursor == "" {
		fmt.Fprintf(a.stdout, "campaign %s reached no customer: nothing to recall\n", id)
		return nil
	}
	var total, delivered, waiting int
	var firstErr error
	for after := ""; ; {
		ids, err := st.AudiencePage(ctx, p.Audience, after, recallPage)
		if err != nil {
			return explainStoreError(err)
		}
		var recalls []events.Recall
		for _, c := range ids {
			if c > p.Cursor { // byte order, as the campaign pages: beyond the last customer reached
				break
			}
			recalls = append(recalls, events.Recall{CustomerID: c, Key: lifecycle.SendKey(c, p.Kind, p.Subject), Campaign: id})
		}
		d, w, fe, err := ev.Recalls(ctx, recalls, workflows.DefaultCampaignConcurrency)
		if err != nil {
			return fmt.Errorf("recall campaign %s: %w", id, err)
		}
		total, delivered, waiting = total+len(recalls), delivered+d, waiting+w
		if firstErr == nil {
			firstErr = fe
		}
		if len(recalls) < len(ids) || len(ids) < recallPage {
			break
		}
		after = ids[len(ids)-1]
	}
	fmt.Fprintf(a.stdout, "recall sent to %d reached customer(s)", total)
	if waiting > 0 {
		fmt.Fprintf(a.stdout, "; %d wait for the worker's relay (within %s): %v", waiting, relayInterval, firstErr)
	}
	fmt.Fprintln(a.stdout)
	o := a.settledRecall(ctx, st, p)
	if o.err != nil {
		fmt.Fprintf(a.stdout, "follow-ups: %s\n", o)
		return nil
	}
	fmt.Fprintf(a.stdout, "recalled %d follow-up(s) still waiting; already sent %d (failed %d)", o.o.Skipped[string(lifecycle.ReasonRecalled)], o.o.Sent, o.o.Failed)
	if o.o.HeldOut > 0 {
		fmt.Fprintf(a.stdout, "; already held out %d", o.o.HeldOut)
	}
	fmt.Fprintln(a.stdout)
	fmt.Fprintf(a.stdout, "follow-ups: %s\n", o)
	return nil
}

// settledRecall reads the campaign's outcomes until no follow-up is deferred any more (each
// recalled one is recorded as dropped, recalled), they stop changing for a second, or settleFor passed.
func (a *app) settledRecall(ctx context.Context, st *store.DB, p workflows.CampaignProgress) outcomes {
	deadline := time.Now().Add(settleFor)
	prev := a.outcomes(ctx, st, p)
	for prev.err == nil && prev.o.Deferred > 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return prev
		case <-time.After(time.Second):
		}
		cur := a.outcomes(ctx, st, p)
		if cur.err == nil && reflect.DeepEqual(cur.o, prev.o) && cur.o.Deferred == 0 {
			return cur
		}
		prev = cur
	}
	return prev
}
