package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// recordingReacher passes signals on to the real client and remembers which customer got which.
type recordingReacher struct {
	next activities.Reacher
	mu   sync.Mutex
	got  []string // customer:signal
}

func (r *recordingReacher) Signal(ctx context.Context, customerID, name string, payload any) error {
	if err := r.next.Signal(ctx, customerID, name, payload); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, customerID+":"+name)
	return nil
}

func (r *recordingReacher) signalled() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.got)
	slices.Sort(out)
	return out
}

// starterAt runs the starter against the dev server and database in env and fails the test unless
// it exits with want.
func starterAt(t *testing.T, env map[string]string, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := run(ctx, args, &out, &errOut, func(k string) string { return env[k] })
	require.Equal(t, want, code, "starter %v\nstdout:\n%s\nstderr:\n%s", args, out.String(), errOut.String())
	return out.String(), errOut.String()
}

// signalsOf lists the signal names in the history of the customer's workflow.
func signalsOf(t *testing.T, c client.Client, customerID string) []string {
	t.Helper()
	hist := c.GetWorkflowHistory(context.Background(), workflows.CustomerWorkflowID(customerID), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var names []string
	for hist.HasNext() {
		ev, err := hist.Next()
		require.NoError(t, err, "history of %s", customerID)
		if s := ev.GetWorkflowExecutionSignaledEventAttributes(); s != nil {
			names = append(names, s.GetSignalName())
		}
	}
	return names
}

// Segments from end to end: stated signals with `starter note`, a recompute with --wait on a real
// dev server and PostgreSQL, the changed customers signalled and their Segment search attribute
// set, a second recompute that changes nothing, the counts, a complaint and a usage reading.
func TestSegmentsEndToEnd(t *testing.T) {
	shop := newTestShop(t, `sku,product,name,category,color,size,price,stock,collections
TR-BLUE-50,classic-trousers,Classic trousers,trousers,blue,50,89.00,5,autumn
SU-GREY-50,suit,Flannel suit,suits,grey,50,399.00,2,autumn
`, `id,name,email,locale,timezone,colors,sizes,categories,consent
amb,Amb,amb@example.com,en,Europe/Amsterdam,,50,trousers,true
exit,Exit,exit@example.com,en,Europe/Amsterdam,,50,trousers,true
lea,Lea,lea@example.com,en,Europe/Amsterdam,,50,trousers,true
loy,Loy,loy@example.com,nl,Europe/Amsterdam,,50,trousers,true
new,New,new@example.com,en,Europe/Amsterdam,,50,trousers,true
sho,Sho,sho@example.com,en,Europe/Amsterdam,,50,trousers,true
`)
	srv, st, env, ctx := shop.srv, shop.st, shop.env, context.Background()
	now := time.Now().UTC()
	for _, p := range []lifecycle.Purchase{
		{ID: "amb-1", CustomerID: "amb", SKU: "TR-BLUE-50", At: now.AddDate(0, 0, -20)},
		{ID: "exit-1", CustomerID: "exit", SKU: "TR-BLUE-50", At: now.AddDate(0, 0, -20)},
		{ID: "lea-1", CustomerID: "lea", SKU: "TR-BLUE-50", At: now.AddDate(0, 0, -400)}, // a year without buying
		{ID: "loy-1", CustomerID: "loy", SKU: "TR-BLUE-50", At: now.AddDate(0, 0, -40)},
		{ID: "loy-2", CustomerID: "loy", SKU: "SU-GREY-50", At: now.AddDate(0, 0, -10)},
		{ID: "sho-1", CustomerID: "sho", SKU: "TR-BLUE-50", At: now.AddDate(0, 0, -30)},
	} {
		_, _, err := st.RecordPurchase(ctx, p)
		require.NoError(t, err, "purchase %s", p.ID)
	}

	acts := shop.activities(t, &countingMailer{})
	reacher := &recordingReacher{next: acts.Reacher}
	acts.Reacher, acts.Segments = reacher, st
	startWorker(t, srv.Client, acts)

	// Stated signals; the same referral twice counts once.
	out, _ := starterAt(t, env, exitOK, "note", "--customer", "amb", "--kind", "referral", "--text", "brought Bob")
	require.Contains(t, out, "recorded referral note note/amb/referral/")
	out, _ = starterAt(t, env, exitOK, "note", "--customer", "amb", "--kind", "referral", "--text", "brought Bob")
	require.Contains(t, out, "was already recorded")
	starterAt(t, env, exitOK, "note", "--customer", "exit", "--kind", "exit", "--text", "moving abroad", "--id", "ticket-7")
	_, errOut := starterAt(t, env, exitFailed, "note", "--customer", "nobody", "--kind", "exit")
	require.Contains(t, errOut, `no customer "nobody"`)

	out, _ = starterAt(t, env, exitOK, "segments")
	require.Contains(t, out, "no segments computed yet")

	// The first recompute: every customer in the expected segment; the five that have one changed.
	out, _ = starterAt(t, env, exitOK, "segments", "recompute", "--wait", "--page-size", "4")
	t.Logf("starter segments recompute --wait:\n%s", out)
	require.Contains(t, out, "started segment recompute segments/recompute/", out)
	require.Contains(t, out, "done as of", out)
	require.Contains(t, out, "6 customers in 2 page(s), 5 with a new segment", out)
	for _, line := range []string{"ambassador  1", "loyal       1", "shopper     1", "leaver      2", "none        1"} {
		require.Contains(t, out, line, out)
	}
	want := map[string]lifecycle.Segment{
		"amb": lifecycle.SegmentAmbassador, "exit": lifecycle.SegmentLeaver, "lea": lifecycle.SegmentLeaver,
		"loy": lifecycle.SegmentLoyal, "new": lifecycle.SegmentNone, "sho": lifecycle.SegmentShopper,
	}
	for id, seg := range want {
		got, err := st.Segment(ctx, id)
		require.NoError(t, err, "segment of %s", id)
		require.Equal(t, seg, got.Segment, "segment of %s (%v)", id, got.Reasons)
		require.NotEmpty(t, got.Reasons, "reasons of %s", id)
	}
	exitSeg, err := st.Segment(ctx, "exit")
	require.NoError(t, err)
	require.Equal(t, []string{"said they are leaving: moving abroad"}, exitSeg.Reasons)
	require.Equal(t, []string{"amb:segment", "exit:segment", "lea:segment", "loy:segment", "sho:segment"}, reacher.signalled())

	// The customers' workflows took the segment: the Segment search attribute shows it.
	require.Eventually(t, func() bool {
		desc, err := srv.Client.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID("amb"), "")
		if err != nil {
			return false
		}
		var got string
		p := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[workflows.SearchAttrSegment]
		return p != nil && converter.GetDefaultDataConverter().FromPayload(p, &got) == nil && got == string(lifecycle.SegmentAmbassador)
	}, 20*time.Second, 200*time.Millisecond, "customer/amb should carry Segment=ambassador")
	_, err = srv.Client.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID("new"), "")
	require.Error(t, err, "a customer who bought nothing is not signalled, so has no workflow")

	// A second recompute changes nothing and signals no one.
	out, _ = starterAt(t, env, exitOK, "segments", "recompute", "--wait")
	require.Contains(t, out, "6 customers in 1 page(s), 0 with a new segment", out)
	require.Len(t, reacher.signalled(), 5, "no new signals: %v", reacher.signalled())

	out, _ = starterAt(t, env, exitOK, "segments", "list")
	for _, line := range []string{"SEGMENT     CUSTOMERS", "ambassador  1", "leaver      2", "none        1", "as of "} {
		require.Contains(t, out, line, out)
	}
	require.NotContains(t, out, "without a segment yet", out)

	// A complaint is stored once and goes to the workflow; a repeat is not counted again.
	out, _ = starterAt(t, env, exitOK, "note", "--customer", "loy", "--kind", "complaint", "--text", "late delivery")
	require.Contains(t, out, "told workflow customer/loy", out)
	out, _ = starterAt(t, env, exitOK, "note", "--customer", "loy", "--kind", "complaint", "--text", "late delivery")
	require.Contains(t, out, "already recorded", out)
	require.Contains(t, signalsOf(t, srv.Client, "loy"), workflows.SignalComplaint)

	// A usage reading goes to the workflow; a bad one sends nothing.
	out, _ = starterAt(t, env, exitOK, "usage", "--customer", "sho", "--metric", "data_mb", "--used", "850", "--limit", "1000")
	require.Contains(t, out, "sent usage reading to customer sho: data_mb 850 of 1000 (85%)", out)
	require.Contains(t, signalsOf(t, srv.Client, "sho"), workflows.SignalUsage)
	starterAt(t, env, exitUsage, "usage", "--customer", "new", "--metric", "data_mb", "--used", "850", "--limit", "0")
	_, errOut = starterAt(t, env, exitFailed, "usage", "--customer", "nobody", "--metric", "data_mb", "--used", "1", "--limit", "10")
	require.Contains(t, errOut, `nothing sent: no customer "nobody"`)
	for _, id := range []string{"new", "nobody"} {
		_, err = srv.Client.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID(id), "")
		require.Error(t, err, "nothing may reach customer %s", id)
	}
}

// `starter setup` creates the schedule segments-nightly once, with the cron and time zone from
// LIFECYCLE_CONFIG, and brings it up to date when run again.
func TestSetupCreatesTheSegmentSchedule(t *testing.T) {
	shop := newTestShop(t, "", "")
	srv, env := shop.srv, shop.env
	dir := t.TempDir()
	config := func(cron, zone string) string {
		path := filepath.Join(dir, strings.ReplaceAll(cron, " ", "_")+".yaml")
		yaml := "segments:\n  schedule: \"" + cron + "\"\n"
		if zone != "" {
			yaml += "  schedule_timezone: " + zone + "\n"
		}
		require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
		return path
	}
	env["LIFECYCLE_CONFIG"] = config("30 2 * * *", "")
	ctx := context.Background()

	out, _ := starterAt(t, env, exitOK, "setup")
	require.Contains(t, out, `schedule segments-nightly created: SegmentRecompute at "30 2 * * *" (UTC)`, out)
	out, _ = starterAt(t, env, exitOK, "setup")
	require.Contains(t, out, `schedule segments-nightly up to date: SegmentRecompute at "30 2 * * *" (UTC)`, out)
	requireSchedule(t, srv.Client, 2, 30, "UTC")

	env["LIFECYCLE_CONFIG"] = config("15 4 * * *", "America/New_York")
	out, _ = starterAt(t, env, exitOK, "setup")
	require.Contains(t, out, `schedule segments-nightly up to date: SegmentRecompute at "15 4 * * *" (America/New_York)`, out)
	requireSchedule(t, srv.Client, 4, 15, "America/New_York")

	// A zone the config does not know stops setup before it touches the schedule.
	bad := filepath.Join(dir, "bad-zone.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("segments:\n  schedule_timezone: Europe/Amstrdam\n"), 0o600))
	env["LIFECYCLE_CONFIG"] = bad
	_, errOut := starterAt(t, env, exitFailed, "setup")
	require.Contains(t, errOut, `segments.schedule_timezone: "Europe/Amstrdam": unknown time zone`, errOut)
	requireSchedule(t, srv.Client, 4, 15, "America/New_York")

	// One schedule, however often setup ran.
	require.Eventually(t, func() bool {
		iter, err := srv.Client.ScheduleClient().List(ctx, client.ScheduleListOptions{})
		if err != nil {
			return false
		}
		var ids []string
		for iter.HasNext() {
			s, err := iter.Next()
			if err != nil {
				return false
			}
			ids = append(ids, s.ID)
		}
		return slices.Equal(ids, []string{workflows.SegmentScheduleID})
	}, 10*time.Second, 200*time.Millisecond, "exactly one schedule")
}

// requireSchedule checks the schedule runs SegmentRecompute on the fan-out task queue daily at
// hour:minute in zone.
func requireSchedule(t *testing.T, c client.Client, hour, minute int, zone string) {
	t.Helper()
	desc, err := c.ScheduleClient().GetHandle(context.Background(), workflows.SegmentScheduleID).Describe(context.Background())
	require.NoError(t, err)
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok, "action %T", desc.Schedule.Action)
	require.Equal(t, "SegmentRecompute", action.Workflow)
	require.Equal(t, workflows.FanOutTaskQueue, action.TaskQueue)
	require.Equal(t, workflows.SegmentRecomputeWorkflowID("nightly"), action.ID)
	require.Equal(t, enums.SCHEDULE_OVERLAP_POLICY_SKIP, desc.Schedule.Policy.Overlap)
	require.Equal(t, zone, desc.Schedule.Spec.TimeZoneName)

	// The server keeps a cron as a calendar: every day, at hour:minute:00.
	cal := desc.Schedule.Spec.Calendars
	require.Len(t, cal, 1, "spec %+v", desc.Schedule.Spec)
	require.Equal(t, []client.ScheduleRange{{Start: hour, End: hour, Step: 1}}, cal[0].Hour, "hour of %+v", cal[0])
	require.Equal(t, []client.ScheduleRange{{Start: minute, End: minute, Step: 1}}, cal[0].Minute, "minute of %+v", cal[0])
	require.Equal(t, []client.ScheduleRange{{Start: 0, End: 0, Step: 1}}, cal[0].Second, "second of %+v", cal[0])

	// The server computes the next runs in the zone: 04:15 in New York is 09:15 or 08:15 UTC.
	loc, err := time.LoadLocation(zone)
	require.NoError(t, err)
	next := desc.Info.NextActionTimes
	require.NotEmpty(t, next)
	require.Equal(t, hour, next[0].In(loc).Hour(), "next run %s", next[0])
	require.Equal(t, minute, next[0].In(loc).Minute(), "next run %s", next[0])
}
