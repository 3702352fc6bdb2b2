package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

const segmentsDetails = `list (the default): customers per value segment, as PostgreSQL holds them after the last
recompute. recompute: starts a SegmentRecompute workflow now (ID segments/recompute/<time>): it
classifies every customer as of now from purchases, engagement and stated signals (starter note),
stores the segment with its reasons, and signals each customer whose segment changed. The schedule
segments-nightly (created by starter setup, cron segments.schedule in LIFECYCLE_CONFIG) runs the
same every night. Without --wait the command returns once the recompute started.`

func runSegments(ctx context.Context, a *app, c command, args []string) error {
	verb := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	fs := newFlags(c.name)
	wait := fs.Bool("wait", false, "recompute: wait for the recompute to finish, showing its progress, and print customers per segment and how many changed")
	pageSize := fs.Int("page-size", workflows.DefaultSegmentPageSize, "recompute: customers per page")
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	switch verb {
	case "list":
		if flagSet(fs, "wait") || flagSet(fs, "page-size") {
			return usagef("--wait and --page-size go with recompute: starter segments recompute --wait")
		}
		return a.listSegments(ctx)
	case "recompute":
		if *pageSize < 1 {
			return usagef("--page-size must be at least 1, got %d", *pageSize)
		}
		return a.recomputeSegments(ctx, *wait, *pageSize)
	default:
		return usagef("unknown %q: want list or recompute", verb)
	}
}

func (a *app) listSegments(ctx context.Context) error {
	st, err := a.db(ctx)
	if err != nil {
		return err
	}
	counts, err := st.CountSegments(ctx)
	if err != nil {
		return explainStoreError(err)
	}
	if counts.LastComputedAt.IsZero() {
		fmt.Fprintf(a.stdout, "no segments computed yet: run `starter segments recompute`, or wait for the schedule %s (starter setup creates it)\n",
			workflows.SegmentScheduleID)
		return nil
	}
	if err := writeSegmentCounts(a.stdout, counts.Counts); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "as of %s\n", counts.LastComputedAt.UTC().Format(timeLayout))
	if counts.NotComputed > 0 {
		fmt.Fprintf(a.stdout, "%d customer(s) without a segment yet (imported since): the next recompute classifies them\n", counts.NotComputed)
	}
	return nil
}

// writeSegmentCounts prints customers per segment, every segment, in the domain's order, then
// those who bought nothing yet.
func writeSegmentCounts(w io.Writer, counts map[lifecycle.Segment]int) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "SEGMENT\tCUSTOMERS")
	for _, seg := range lifecycle.Segments {
		fmt.Fprintf(tw, "%s\t%d\n", seg, counts[seg])
	}
	fmt.Fprintf(tw, "none\t%d\t(nothing bought yet)\n", counts[lifecycle.SegmentNone])
	return tw.Flush()
}

// recomputeID names a recompute started by hand: its start time, to the millisecond, so two
// runs never share an ID.
func recomputeID(now time.Time) string {
	return workflows.SegmentRecomputeWorkflowID(now.UTC().Format("20060102T150405.000Z"))
}

func (a *app) recomputeSegments(ctx context.Context, wait bool, pageSize int) error {
	tc, err := a.temporalClient(ctx)
	if err != nil {
		return err
	}
	id := recomputeID(a.now())
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.FanOutTaskQueue},
		workflows.SegmentRecompute, workflows.SegmentRecomputeInput{PageSize: pageSize})
	if err != nil {
		return fmt.Errorf("start segment recompute %s: %w", id, err)
	}
	if !wait {
		fmt.Fprintf(a.stdout, "started segment recompute %s; `starter segments` shows the counts once it is done\n", id)
		return nil
	}
	fmt.Fprintf(a.stdout, "started segment recompute %s\n", id)
	p, err := a.followRecompute(ctx, tc, run)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "segment recompute %s done as of %s: %d customers in %d page(s), %d with a new segment (%s)\n",
		id, p.AsOf.UTC().Format(timeLayout), p.Customers, p.Pages, p.Changed, p.Finished.Sub(p.AsOf).Round(time.Millisecond))
	return writeSegmentCounts(a.stdout, p.Counts)
}

// followRecompute prints a line whenever the recompute's progress query shows more customers, and
// returns its result once it ended. The result follows the workflow through continue-as-new.
func (a *app) followRecompute(ctx context.Context, tc client.Client, run client.WorkflowRun) (workflows.SegmentRecomputeProgress, error) {
	type outcome struct {
		p   workflows.SegmentRecomputeProgress
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		o.err = run.Get(ctx, &o.p)
		done <- o
	}()
	id := run.GetID()
	ticker := time.NewTicker(pollEvery)
	defer ticker.Stop()
	last := -1
	for {
		select {
		case o := <-done:
			if o.err != nil {
				return workflows.SegmentRecomputeProgress{}, fmt.Errorf("segment recompute %s failed: %w", id, o.err)
			}
			return o.p, nil
		case <-ctx.Done():
			return workflows.SegmentRecomputeProgress{}, fmt.Errorf("stopped waiting; segment recompute %s goes on: %w", id, ctx.Err())
		case <-ticker.C:
			// A query needs a worker; when none answers in time the line waits for the next tick.
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			v, err := tc.QueryWorkflow(qctx, id, "", workflows.QuerySegmentProgress)
			cancel()
			var p workflows.SegmentRecomputeProgress
			if err != nil || v.Get(&p) != nil || p.Customers == last {
				continue
			}
			last = p.Customers
			fmt.Fprintf(a.stdout, "segment recompute %s: %d customers, %d page(s), %d with a new segment\n", id, p.Customers, p.Pages, p.Changed)
		}
	}
}
