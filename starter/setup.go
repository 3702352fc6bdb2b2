package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// searchAttributeWait bounds how long setup waits for newly added attributes to become visible.
const searchAttributeWait = 15 * time.Second

func runSetup(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	cfg, st, err := a.configAndDB(ctx)
	if err != nil {
		return err
	}
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("database %s: %w", describeDatabase(cfg.DatabaseURL), err)
	}
	fmt.Fprintf(a.stdout, "database %s: schema is up to date\n", describeDatabase(cfg.DatabaseURL))

	tc, err := a.temporalClient(ctx)
	if err != nil {
		return err
	}
	ops := tc.OperatorService()
	ns := cfg.Temporal.Namespace
	listed, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return fmt.Errorf("list search attributes of namespace %q: %w", ns, err)
	}
	missing := map[string]enums.IndexedValueType{}
	for _, name := range workflows.SearchAttributes {
		typ, ok := listed.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = enums.INDEXED_VALUE_TYPE_KEYWORD
		case typ != enums.INDEXED_VALUE_TYPE_KEYWORD:
			return fmt.Errorf("namespace %q already has a search attribute %s of type %s, but Tailor needs Keyword: remove it (temporal operator search-attribute remove --name %s) or use another namespace (TEMPORAL_NAMESPACE)",
				ns, name, typ, name)
		default:
			fmt.Fprintf(a.stdout, "namespace %s: search attribute %s (Keyword) already registered\n", ns, name)
		}
	}
	if len(missing) > 0 {
		_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: ns, SearchAttributes: missing})
		var exists *serviceerror.AlreadyExists
		if err != nil && !errors.As(err, &exists) { // AlreadyExists: another setup won the race
			return fmt.Errorf("register search attributes on namespace %q: %w", ns, err)
		}
		if err := waitForSearchAttributes(ctx, ops, ns, missing); err != nil {
			return err
		}
		for _, name := range workflows.SearchAttributes {
			if _, ok := missing[name]; ok {
				fmt.Fprintf(a.stdout, "namespace %s: search attribute %s (Keyword) registered\n", ns, name)
			}
		}
	}
	if err := a.ensureSegmentSchedule(ctx, tc, ns, cfg.Policy.Segments); err != nil {
		return err
	}
	if err := a.reportRunsOnOldQueue(ctx, tc); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "setup done")
	return nil
}

// segmentCatchupWindow: a recompute the schedule missed while the Temporal service was down runs
// when it is back within this long; a longer outage waits for the next night.
const segmentCatchupWindow = 12 * time.Hour

// ensureSegmentSchedule creates the Temporal Schedule workflows.SegmentScheduleID that runs
// SegmentRecompute on the policy's cron in its time zone, or, when it exists, sets its cron, zone
// and action to this policy's, so that setup is safe to repeat and a changed segments.schedule or
// schedule_timezone takes effect. A pause someone set on the schedule stays.
func (a *app) ensureSegmentSchedule(ctx context.Context, tc client.Client, ns string, policy lifecycle.SegmentPolicy) error {
	cron := policy.Schedule
	if cron == "" {
		cron = lifecycle.DefaultSegmentPolicy().Schedule
	}
	zone := policy.ScheduleTimezone
	if zone == "" {
		zone = "UTC"
	}
	spec := client.ScheduleSpec{CronExpressions: []string{cron}, TimeZoneName: zone}
	action := &client.ScheduleWorkflowAction{
		ID:        workflows.SegmentRecomputeWorkflowID("nightly"), // the server appends -<time> per run
		Workflow:  workflows.SegmentRecompute,
		Args:      []any{workflows.SegmentRecomputeInput{}},
		TaskQueue: workflows.FanOutTaskQueue,
	}
	id := workflows.SegmentScheduleID
	_, err := tc.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:     id,
		Spec:   spec,
		Action: action,
		// A recompute still running when the next is due is enough: skip the next.
		Overlap:       enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: segmentCatchupWindow,
		Note:          "created by starter setup: recomputes the value segments (segments.schedule in LIFECYCLE_CONFIG)",
	})
	if err == nil {
		fmt.Fprintf(a.stdout, "namespace %s: schedule %s created: SegmentRecompute at %q (%s)\n", ns, id, cron, zone)
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s on namespace %q with cron %q (segments.schedule): %w", id, ns, cron, err)
	}
	err = tc.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec = &spec
			s.Action = action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = enums.SCHEDULE_OVERLAP_POLICY_SKIP
			s.Policy.CatchupWindow = segmentCatchupWindow
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update schedule %s on namespace %q to cron %q (segments.schedule): %w", id, ns, cron, err)
	}
	fmt.Fprintf(a.stdout, "namespace %s: schedule %s up to date: SegmentRecompute at %q (%s)\n", ns, id, cron, zone)
	return nil
}

// waitForSearchAttributes polls until the namespace lists every attribute in want: a workflow
// started before then would be refused.
func waitForSearchAttributes(ctx context.Context, ops operatorservice.OperatorServiceClient, ns string, want map[string]enums.IndexedValueType) error {
	ctx, cancel := context.WithTimeout(ctx, searchAttributeWait)
	defer cancel()
	for {
		listed, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
		if err == nil {
			var absent []string
			for name := range want {
				if _, ok := listed.GetCustomAttributes()[name]; !ok {
					absent = append(absent, name)
				}
			}
			if len(absent) == 0 {
				return nil
			}
			slices.Sort(absent)
			err = fmt.Errorf("still missing %v", absent)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("search attributes on namespace %q did not appear within %s (%v); run `starter setup` again", ns, searchAttributeWait, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
