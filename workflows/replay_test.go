package workflows_test

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/sendinggate"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/temporaltest"
	"github.com/tailorhq/tailor/workflows"
)

var record = flag.String("record", "", "record a history into testdata/histories from a dev server before replaying: tailor-story, contact-policy, usage-phase, campaign-outcomes, sending-paused, handoffs, customer-year, holdout, leaver-retention or purchase-recorded")

const historyDir = "testdata/histories"

// Every recorded history must replay against the current workflow code: a change to the commands a
// running customer's workflow emits breaks this test unless it is guarded with workflow.GetVersion.
// Record again with: go test ./workflows -run TestReplay -record tailor-story (or contact-policy).
// tailor-story.json predates quiet hours and local-activity sends, so it replays the default
// branches of the GetVersion changes; contact-policy.json replays the current ones;
// usage-phase-1.json and usage-phase-2.json are version 1 (no GetVersion marker): the moment of
// truth, care, check-in and service, segments, and a continue-as-new between the two runs.
func TestReplayRecordedHistories(t *testing.T) {
	switch *record {
	case "":
	case "tailor-story":
		recordTailorStory(t, filepath.Join(historyDir, "tailor-story.json"))
	case "contact-policy":
		recordContactPolicy(t, filepath.Join(historyDir, "contact-policy.json"))
	case "usage-phase":
		recordUsagePhase(t, filepath.Join(historyDir, "usage-phase-1.json"), filepath.Join(historyDir, "usage-phase-2.json"))
	case "campaign-outcomes":
		recordCampaignOutcomes(t, filepath.Join(historyDir, "campaign-outcomes.json"))
	case "sending-paused":
		recordSendingPaused(t, filepath.Join(historyDir, "sending-paused.json"))
	case "handoffs":
		recordHandoffs(t, filepath.Join(historyDir, "handoffs.json"))
	case "customer-year":
		recordCustomerYear(t, filepath.Join(historyDir, "customer-year.json"))
	case "holdout":
		recordHoldout(t, filepath.Join(historyDir, "holdout.json"))
	case "leaver-retention":
		recordLeaverRetention(t, filepath.Join(historyDir, "leaver-retention.json"), 3)
	case "purchase-recorded":
		recordPurchaseRecorded(t, filepath.Join(historyDir, "purchase-recorded.json"))
	default:
		t.Fatalf("-record %q: choose tailor-story, contact-policy, usage-phase, campaign-outcomes, sending-paused, handoffs, customer-year, holdout, leaver-retention or purchase-recorded", *record)
	}
	files, err := filepath.Glob(filepath.Join(historyDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no histories in %s: record one with -record", historyDir)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflow(workflows.CustomerLifecycle)
			err := replayer.ReplayWorkflowHistoryFromJSONFile(log.NewStructuredLogger(slog.New(slog.DiscardHandler)), file)
			require.NoError(t, err, "replay %s against the current CustomerLifecycle", file)
		})
	}
}

// recordTailorStory plays the tailor story on a dev server with a compressed policy, cancels the
// workflow once the three emails are out, and saves its history as the CLI exports it.
func recordTailorStory(t *testing.T, path string) {
	st, srv, mailer, send := recordingStack(t, lifecycle.Policy{MinGap: 2 * time.Second, RestockWindow: time.Minute, SeasonFallback: 6 * time.Second})
	ctx := context.Background()
	id := workflows.CustomerWorkflowID("david")
	send(workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50", WantedColor: "grey"})
	send(workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50", WantedColor: "grey"}) // duplicate
	require.Eventually(t, func() bool { return queryStatus(t, srv.Client, id).Stage == workflows.StagePurchased }, 30*time.Second, 50*time.Millisecond)
	p, err := st.Restock(ctx, "TR-GREY-50", 3)
	require.NoError(t, err)
	send(workflows.SignalRestock, workflows.RestockSignal{Product: p})
	send(workflows.SignalSale, workflows.SaleSignal{SaleID: "sale/trousers/1", Category: "trousers", DiscountPct: 20, Until: time.Now().Add(time.Hour)})       // deferred by min_gap
	send(workflows.SignalSale, workflows.SaleSignal{SaleID: "sale/trousers/2", Category: "trousers", DiscountPct: 30, Until: time.Now().Add(3 * time.Second)}) // expires while deferred
	require.Eventually(t, func() bool { return len(mailer.sent()) == 3 }, 60*time.Second, 100*time.Millisecond, "restock, sale and season emails")
	require.Eventually(t, func() bool { return len(queryStatus(t, srv.Client, id).Emails) == 3 }, 30*time.Second, 50*time.Millisecond)
	saveHistory(t, srv, id, path)
}

// recordContactPolicy plays consent, preferences and an accepted offer under quiet hours off and a
// cap, on the current code (local-activity sends, the contact loaded per run).
func recordContactPolicy(t *testing.T, path string) {
	_, srv, _, send := recordingStack(t, lifecycle.Policy{MinGap: time.Second, RestockWindow: time.Minute, SeasonFallback: time.Hour, MaxPerWindow: 3, CapWindow: time.Hour})
	ctx := context.Background()
	id := workflows.CustomerWorkflowID("david")
	send(workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50"})
	send(workflows.SignalSale, workflows.SaleSignal{SaleID: "s1", Category: "trousers", DiscountPct: 20})
	require.Eventually(t, func() bool { return len(queryStatus(t, srv.Client, id).Emails) == 1 }, 30*time.Second, 50*time.Millisecond)
	h, err := srv.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: workflows.UpdateInterested, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.InterestedRequest{OfferKey: "customer/david/sale/s1"}},
	})
	require.NoError(t, err)
	var res workflows.InterestedResult
	require.NoError(t, h.Get(ctx, &res))
	require.True(t, res.Accepted)
	require.Eventually(t, func() bool { return len(queryStatus(t, srv.Client, id).Emails) == 2 }, 30*time.Second, 50*time.Millisecond, "confirmation")
	send(workflows.SignalConsent, workflows.ConsentSignal{Granted: false, Source: "test"})
	send(workflows.SignalConsent, workflows.ConsentSignal{Granted: true, Source: "test"})
	send(workflows.SignalPreferences, workflows.PreferencesSignal{Preferences: lifecycle.Preferences{Colors: []string{"grey"}, Sizes: []string{"50"}, Categories: []string{"suits"}}})
	send(workflows.SignalSuppress, workflows.SuppressSignal{Event: "bounce"})
	require.Eventually(t, func() bool { return queryStatus(t, srv.Client, id).Stage == workflows.StageSuppressed }, 30*time.Second, 50*time.Millisecond)
	saveHistory(t, srv, id, path)
}

// recordUsagePhase plays, at version 1, a moment of truth with an accepted offer, the care tips and
// an unhappy check-in turning into service contact, a complaint, and the ambassador, loyal and
// leaver strategies; the workflow continues as new after 6 events. It saves the first run (ending in
// continue-as-new) and the second (cancelled).
func recordUsagePhase(t *testing.T, firstPath, secondPath string) {
	policy := lifecycle.Policy{MinGap: time.Second, RestockWindow: time.Minute, SeasonFallback: time.Hour,
		Usage: lifecycle.DefaultUsagePolicy(), Segments: lifecycle.DefaultSegmentPolicy(),
		Care: []lifecycle.CarePlan{{Category: "trousers", TipsAfter: time.Second, CheckinAfter: 3 * time.Second}}}
	policy.Usage.Offers = []lifecycle.BundleOffer{{Name: "Data saver 2 GB", PriceCents: 499, Allowance: "2 GB", For: []lifecycle.Behaviour{lifecycle.BehaviourCostConscious}}}
	policy.Segments.WinbackAfter = 2 * time.Second
	_, srv, _, _ := recordingStack(t, policy)
	ctx := context.Background()
	id := workflows.CustomerWorkflowID("david")
	var firstRun string
	signal := signalDavid(t, srv.Client, workflows.CustomerLifecycleInput{CustomerID: "david", Version: 1, ContinueAsNewAfter: 6})
	send := func(name string, arg any) {
		run := signal(name, arg)
		if firstRun == "" {
			firstRun = run.GetRunID()
		}
	}
	emails := func(n int, what string) {
		require.Eventually(t, func() bool { return len(queryStatus(t, srv.Client, id).Emails) >= n }, 30*time.Second, 50*time.Millisecond, what)
	}
	usage := func(ago time.Duration, used float64) {
		send(workflows.SignalUsage, workflows.UsageSignal{Reading: lifecycle.UsageReading{Metric: "data_mb", Used: used, Limit: 1000, At: time.Now().Add(-ago)}})
	}
	const d = 24 * time.Hour
	// Last month: warned at 80%, then slowed down and stayed within. This month: 80% now.
	usage(46*d, 0)
	usage(30*d, 800)
	usage(17*d, 900)
	usage(16*d, 10)
	usage(0, 810)
	emails(1, "the offer")
	offerKey := queryStatus(t, srv.Client, id).Emails[0].Key
	h, err := srv.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: workflows.UpdateInterested, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.InterestedRequest{OfferKey: offerKey}},
	})
	require.NoError(t, err)
	require.NoError(t, h.Get(ctx, nil))
	emails(2, "the confirmation")
	send(workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50"})
	emails(4, "care tips and check-in")
	h, err = srv.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: workflows.UpdateCheckin, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.CheckinAnswer{CheckinKey: "customer/david/checkin/p1", Happy: false}},
	})
	require.NoError(t, err)
	require.NoError(t, h.Get(ctx, nil))
	emails(5, "service contact")
	send(workflows.SignalComplaint, workflows.ComplaintSignal{Reason: "slow"})
	send(workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p2", SKU: "CH-GREY-50"}) // buys again: no longer unhappy
	send(workflows.SignalSegment, workflows.SegmentSignal{Segment: lifecycle.SegmentAmbassador, Reasons: []string{"referred 1 customers"}, At: time.Now()})
	emails(6, "the invitation")
	send(workflows.SignalSegment, workflows.SegmentSignal{Segment: lifecycle.SegmentLoyal, Reasons: []string{"2 purchases in 365 days"}, At: time.Now()})
	emails(7, "the feedback ask")
	send(workflows.SignalSegment, workflows.SegmentSignal{Segment: lifecycle.SegmentLeaver, Reasons: []string{"said they are leaving"}, At: time.Now()})
	require.Eventually(t, func() bool {
		st := queryStatus(t, srv.Client, id)
		return len(st.Emails) >= 9 && st.Emails[len(st.Emails)-1].Kind == lifecycle.KindWinback
	}, 30*time.Second, 50*time.Millisecond, "exit question and win-back")
	require.NoError(t, os.MkdirAll(historyDir, 0o755))
	exportRun(t, srv, id, firstRun, firstPath)
	saveHistory(t, srv, id, secondPath)
}

// recordCampaignOutcomes plays, at version 2, sales that are sent, deferred by min_gap, dropped
// when the customer unsubscribes, and skipped: the outcomes go to PostgreSQL in local activities.
func recordCampaignOutcomes(t *testing.T, path string) {
	_, srv, _, _ := recordingStack(t, lifecycle.Policy{MinGap: time.Hour, RestockWindow: time.Minute, SeasonFallback: 24 * time.Hour})
	id := workflows.CustomerWorkflowID("david")
	send := signalDavid(t, srv.Client, workflows.CustomerLifecycleInput{CustomerID: "david", Version: 2})
	decided := func(key string, outcome workflows.Outcome) { awaitDecision(t, srv.Client, id, key, outcome) }
	send(workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50"})
	send(workflows.SignalSale, workflows.SaleSignal{SaleID: "s1", Category: "trousers", DiscountPct: 10})
	require.Eventually(t, func() bool { return len(queryStatus(t, srv.Client, id).Emails) == 1 }, 30*time.Second, 50*time.Millisecond, "the first sale")
	send(workflows.SignalSale, workflows.SaleSignal{SaleID: "s2", Category: "trousers", DiscountPct: 20}) // deferred by min_gap
	decided("customer/david/sale/s2", workflows.OutcomeDeferred)
	send(workflows.SignalUnsubscribe, workflows.UnsubscribeSignal{Reason: "test"})                        // drops s2 and the season fallback
	send(workflows.SignalSale, workflows.SaleSignal{SaleID: "s3", Category: "trousers", DiscountPct: 30}) // skipped
	decided("customer/david/sale/s3", workflows.OutcomeSkipped)
	saveHistory(t, srv, id, path)
}

// recordSendingPaused plays, at version 2 with the "sending-paused" change, a restock email whose
// first two tries meet a refused API key: held twice (one GetVersion marker, a timer each), then sent.
func recordSendingPaused(t *testing.T, path string) {
	st := newStore(t)
	srv := temporaltest.Start(t)
	mailer := &refusingMailer{refusals: 2}
	gate, err := sendinggate.New(context.Background(),
		sendinggate.Config{ProbeInterval: time.Nanosecond, HoldMin: time.Second, HoldMax: time.Second}, sendinggate.Deps{Store: st})
	require.NoError(t, err)
	startRecordingWorker(t, srv.Client, &activities.Activities{Store: st, Mailer: mailer, Gate: gate, Links: testLinks(t),
		Policy: lifecycle.Policy{MinGap: time.Second, RestockWindow: time.Minute, SeasonFallback: time.Hour}})
	ctx := context.Background()
	id := workflows.CustomerWorkflowID("david")
	send := signalDavid(t, srv.Client, workflows.CustomerLifecycleInput{CustomerID: "david", Version: 2})
	send(workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50", WantedColor: "grey"})
	require.Eventually(t, func() bool { return queryStatus(t, srv.Client, id).Stage == workflows.StagePurchased }, 30*time.Second, 50*time.Millisecond)
	p, err := st.Restock(ctx, "TR-GREY-50", 3)
	require.NoError(t, err)
	send(workflows.SignalRestock, workflows.RestockSignal{Product: p})
	require.Eventually(t, func() bool { return len(queryStatus(t, srv.Client, id).Emails) == 1 }, 30*time.Second, 50*time.Millisecond, "the restock email after two refusals")
	require.Len(t, mailer.sent(), 1)
	saveHistory(t, srv, id, path)
}

// recordHandoffs plays, at version 2 with the "handoffs" change, an accepted offer that opens a
// hand-off (the version marker, NotifyHandoff), one reminder after handoff_remind_after, the shop
// marking it done (handoff-done signal), and a sale deferred by min_gap that a recall drops.
func recordHandoffs(t *testing.T, path string) {
	st := newStore(t)
	srv := temporaltest.Start(t)
	mailer := &recordingMailer{}
	startRecordingWorker(t, srv.Client, &activities.Activities{Store: st, Mailer: mailer, Links: testLinks(t), Handoffs: st, ShopEmail: "shop@tailor.example",
		Policy: lifecycle.Policy{MinGap: time.Hour, RestockWindow: time.Minute, SeasonFallback: 24 * time.Hour, HandoffRemindAfter: 2 * time.Second}})
	ctx := context.Background()
	id := workflows.CustomerWorkflowID("david")
	send := signalDavid(t, srv.Client, workflows.CustomerLifecycleInput{CustomerID: "david", Version: 2})
	decided := func(key string, outcome workflows.Outcome) { awaitDecision(t, srv.Client, id, key, outcome) }
	send(workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50"})
	send(workflows.SignalSale, workflows.SaleSignal{SaleID: "s1", Category: "trousers", DiscountPct: 20})
	require.Eventually(t, func() bool { return len(queryStatus(t, srv.Client, id).Emails) == 1 }, 30*time.Second, 50*time.Millisecond, "the first sale")
	u, err := srv.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: workflows.UpdateInterested, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.InterestedRequest{OfferKey: "customer/david/sale/s1"}},
	})
	require.NoError(t, err)
	require.NoError(t, u.Get(ctx, nil))
	handoff := lifecycle.HandoffID("david", "customer/david/sale/s1")
	require.Eventually(t, func() bool {
		hs := queryStatus(t, srv.Client, id).Handoffs
		return len(hs) == 1 && hs[0].Reminded == 1
	}, 30*time.Second, 50*time.Millisecond, "one reminder of %s", handoff)
	_, closed, err := st.CompleteHandoffOwing(ctx, handoff, time.Now(), func(h lifecycle.Handoff) (store.OwedSignal, error) {
		return store.OwedSignal{EventID: "handoff-done/" + h.ID, CustomerID: "david", Signal: workflows.SignalHandoffDone}, nil
	})
	require.NoError(t, err)
	require.True(t, closed)
	send(workflows.SignalHandoffDone, workflows.HandoffDoneSignal{HandoffID: handoff})
	decided(handoff, workflows.OutcomeAccepted)
	send(workflows.SignalSale, workflows.SaleSignal{SaleID: "s2", Category: "suits", DiscountPct: 50}) // deferred by min_gap (trousers: goal reached)
	decided("customer/david/sale/s2", workflows.OutcomeDeferred)
	send(workflows.SignalRecall, workflows.RecallSignal{Key: "customer/david/sale/s2", Campaign: "campaign/sale/s2"})
	decided("customer/david/sale/s2", workflows.OutcomeDropped)
	saveHistory(t, srv, id, path)
}

// recordHoldout plays, at version 2, a restock held out (a campaign holdout of 100%: SendFollowUp
// records held_out and returns HeldOut) and a sale that min_gap then defers, the follow-up held out
// counting as a contact.
func recordHoldout(t *testing.T, path string) {
	st, srv, mailer, _ := recordingStack(t, lifecycle.Policy{MinGap: time.Hour, RestockWindow: time.Minute, SeasonFallback: 24 * time.Hour})
	ctx := context.Background()
	id := workflows.CustomerWorkflowID("david")
	send := signalDavid(t, srv.Client, workflows.CustomerLifecycleInput{CustomerID: "david", Version: 2})
	send(workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50", WantedColor: "grey"})
	require.Eventually(t, func() bool { return queryStatus(t, srv.Client, id).Stage == workflows.StagePurchased }, 30*time.Second, 50*time.Millisecond)
	p, err := st.Restock(ctx, "TR-GREY-50", 3)
	require.NoError(t, err)
	send(workflows.SignalRestock, workflows.RestockSignal{Product: p, Holdout: &lifecycle.Holdout{Pct: 100, Key: "campaign/restock/TR-GREY-50/recorded"}})
	awaitDecision(t, srv.Client, id, "customer/david/restock/p1", workflows.OutcomeHeldOut)
	send(workflows.SignalSale, workflows.SaleSignal{SaleID: "s1", Category: "trousers", DiscountPct: 10})
	awaitDecision(t, srv.Client, id, "customer/david/sale/s1", workflows.OutcomeDeferred)
	require.Empty(t, mailer.sent(), "nothing was emailed")
	saveHistory(t, srv, id, path)
}

// recordLeaverRetention plays, at version 2, a leaver whose contract ends within
// contract_end_within: a reading with the contract's end, the leaver segment (the exit question
// and, with the "leaver-retention" change, the retention offer), then a reading with a later end
// (another retention offer). wantEmails is 3 with the change (offer, exit, offer) and 1 on the code
// before it (the exit question only), which recorded leaver-before-retention.json.
func recordLeaverRetention(t *testing.T, path string, wantEmails int) {
	policy := lifecycle.Policy{MinGap: time.Second, RestockWindow: time.Minute, SeasonFallback: time.Hour,
		Usage: lifecycle.DefaultUsagePolicy(), Segments: lifecycle.DefaultSegmentPolicy()}
	policy.Usage.Offers = []lifecycle.BundleOffer{{Name: "Stay-with-us 10 GB", PriceCents: 0, Allowance: "10 GB", For: []lifecycle.Behaviour{lifecycle.BehaviourChurnRisk}}}
	policy.Segments.WinbackAfter = time.Hour
	_, srv, _, _ := recordingStack(t, policy)
	id := workflows.CustomerWorkflowID("david")
	send := signalDavid(t, srv.Client, workflows.CustomerLifecycleInput{CustomerID: "david", Version: 2})
	const d = 24 * time.Hour
	firstEnd, laterEnd := time.Now().Add(20*d).Truncate(time.Second), time.Now().Add(25*d).Truncate(time.Second)
	send(workflows.SignalUsage, workflows.UsageSignal{Reading: lifecycle.UsageReading{Metric: "data_mb", Used: 100, Limit: 1000, At: time.Now(), ContractEndsAt: firstEnd}})
	send(workflows.SignalSegment, workflows.SegmentSignal{Segment: lifecycle.SegmentLeaver, Reasons: []string{"no purchase for 400 days"}, At: time.Now()})
	require.Eventually(t, func() bool {
		st := queryStatus(t, srv.Client, id)
		return len(st.Emails) >= 1 && st.Emails[len(st.Emails)-1].Kind == lifecycle.KindExit
	}, 30*time.Second, 50*time.Millisecond, "the exit question")
	send(workflows.SignalUsage, workflows.UsageSignal{Reading: lifecycle.UsageReading{Metric: "data_mb", Used: 200, Limit: 1000, At: time.Now(), ContractEndsAt: laterEnd}})
	require.Eventually(t, func() bool {
		st := queryStatus(t, srv.Client, id)
		return len(st.Usage) == 1 && st.Usage[0].ContractEndsAt.Equal(laterEnd) && len(st.Emails) == wantEmails
	}, 30*time.Second, 50*time.Millisecond, "the later contract end and %d emails", wantEmails)
	saveHistory(t, srv, id, path)
}

// recordPurchaseRecorded plays, at version 2 with the "purchase-recorded" change, purchases made
// through the event layer, whose signals carry what was recorded: p1 without RecordPurchase (the
// version marker), p2 recorded while a preference edit that removes blue was owed but not yet
// delivered (its carried preferences are stale: the activity reads what is stored), p3 without
// RecordPurchase again.
func recordPurchaseRecorded(t *testing.T, path string) {
	st, srv, _, _ := recordingStack(t, lifecycle.Policy{MinGap: time.Hour, RestockWindow: time.Minute, SeasonFallback: 24 * time.Hour})
	ctx := context.Background()
	id := workflows.CustomerWorkflowID("david")
	lc := &devLifecycle{c: srv.Client, in: workflows.CustomerLifecycleInput{CustomerID: "david", Version: 2}}
	ev := events.New(st, lc, nil)
	purchases := func(n int) {
		require.Eventually(t, func() bool { return len(queryStatus(t, srv.Client, id).Purchases) == n }, 30*time.Second, 50*time.Millisecond, "%d purchases", n)
	}
	_, err := ev.Purchase(ctx, events.Purchase{ID: "p1", CustomerID: "david", SKU: "TR-BLUE-50", WantedColor: "grey"})
	require.NoError(t, err)
	purchases(1)
	lc.down = true
	_, err = ev.Preferences(ctx, events.Preferences{CustomerID: "david", Signal: workflows.PreferencesSignal{
		Preferences: lifecycle.Preferences{Colors: []string{"grey"}, Sizes: []string{"50"}, Categories: []string{"trousers"}}}})
	require.NoError(t, err)
	_, err = ev.Purchase(ctx, events.Purchase{ID: "p2", CustomerID: "david", SKU: "CH-GREY-50"})
	require.NoError(t, err)
	lc.down = false
	_, err = ev.Relay(ctx, []string{"david"})
	require.NoError(t, err)
	purchases(2)
	_, err = ev.Purchase(ctx, events.Purchase{ID: "p3", CustomerID: "david", SKU: "SU-GREY-50"})
	require.NoError(t, err)
	purchases(3)
	require.NotContains(t, queryStatus(t, srv.Client, id).Preferences.Colors, "blue", "the colour removed stays removed")
	saveHistory(t, srv, id, path)
}

// devLifecycle delivers the event layer's signals to a dev server, starting the workflow with in;
// while down, every delivery fails and the signal stays owed.
type devLifecycle struct {
	c    client.Client
	in   workflows.CustomerLifecycleInput
	down bool
}

func (d *devLifecycle) Signal(ctx context.Context, customerID, name string, payload any) error {
	if d.down {
		return errors.New("frontend unavailable")
	}
	_, err := d.c.SignalWithStartWorkflow(ctx, workflows.CustomerWorkflowID(customerID), name, payload,
		client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue}, workflows.CustomerLifecycle, d.in)
	return err
}

// exportRun saves the history of one run of workflow id as the CLI exports it.
func exportRun(t *testing.T, srv *temporaltest.Server, id, runID, path string) {
	out, err := exec.Command(cliPath(t), "workflow", "show", "--address", srv.HostPort, "--namespace", srv.Namespace, "--workflow-id", id, "--run-id", runID, "--output", "json").Output()
	require.NoError(t, err, "export run %s with the Temporal CLI", runID)
	require.NoError(t, os.WriteFile(path, out, 0o644))
	t.Logf("recorded %s", path)
}

// recordCustomerYear plays one customer's year at the tailor's under the default policy (min_gap 7d,
// restock_window 60d, season_fallback 90d), a day squeezed into dayLength, for docs/CAPACITY.md's
// per customer-year figures. The year is an assumption, stated there: three purchases (the first
// with a wish), one restock, three sales, one season campaign, one segment change. It is a recording,
// not a test: the signals go out at their day on the wall clock, and the history holds whatever the
// workflow decided about them. The purchases go through the event layer, as every entry point's do,
// so their signals carry what was recorded (no RecordPurchase activity); the campaigns and the
// segment recompute signal directly, as their activities do.
func recordCustomerYear(t *testing.T, path string) {
	const dayLength = 150 * time.Millisecond
	days := func(n int) time.Duration { return time.Duration(n) * dayLength }
	st, srv, mailer, _ := recordingStack(t, lifecycle.Policy{MinGap: days(7), RestockWindow: days(60), SeasonFallback: days(90)})
	ctx := context.Background()
	id := workflows.CustomerWorkflowID("david")
	in := workflows.CustomerLifecycleInput{CustomerID: "david", Version: workflows.CurrentVersion}
	send := signalDavid(t, srv.Client, in)
	ev := events.New(st, &devLifecycle{c: srv.Client, in: in}, nil)
	start := time.Now()
	on := func(day int, name string, arg any) {
		time.Sleep(time.Until(start.Add(days(day))))
		if p, ok := arg.(workflows.PurchaseSignal); ok {
			res, err := ev.Purchase(ctx, events.Purchase{ID: p.PurchaseID, CustomerID: "david", SKU: p.SKU, WantedColor: p.WantedColor})
			require.NoError(t, err, "purchase %s", p.PurchaseID)
			require.NoError(t, res.DeliveryError, "purchase %s delivered", p.PurchaseID)
			return
		}
		send(name, arg)
	}
	on(0, workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50", WantedColor: "grey"})
	grey, err := st.Restock(ctx, "TR-GREY-50", 3)
	require.NoError(t, err)
	on(14, workflows.SignalRestock, workflows.RestockSignal{Product: grey})
	on(44, workflows.SignalSale, workflows.SaleSignal{SaleID: "sale/trousers/spring", Category: "trousers", DiscountPct: 20, Until: start.Add(days(60))})
	on(120, workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p2", SKU: "SU-GREY-50"})
	on(150, workflows.SignalSale, workflows.SaleSignal{SaleID: "sale/suits/summer", Category: "suits", DiscountPct: 15, Until: start.Add(days(170))})
	on(180, workflows.SignalSeason, workflows.SeasonSignal{Collection: "autumn"})
	on(200, workflows.SignalSegment, workflows.SegmentSignal{Segment: lifecycle.SegmentLoyal, Reasons: []string{"2 purchases in 365 days"}, At: time.Now()})
	on(240, workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p3", SKU: "CH-GREY-50"})
	on(270, workflows.SignalSale, workflows.SaleSignal{SaleID: "sale/trousers/autumn", Category: "trousers", DiscountPct: 25, Until: start.Add(days(290))})
	time.Sleep(time.Until(start.Add(days(365))))
	require.Eventually(t, func() bool {
		status := queryStatus(t, srv.Client, id)
		for _, p := range status.Pending {
			if p.Due.Before(time.Now()) {
				return false
			}
		}
		return len(status.Emails) > 0
	}, 30*time.Second, 50*time.Millisecond, "every follow-up due within the year decided")
	final := queryStatus(t, srv.Client, id)
	t.Logf("a customer-year: %d emails: %v; decisions: %+v", len(mailer.sent()), final.Emails, final.Decisions)
	saveHistory(t, srv, id, path)
}

// recordingStack starts a dev server and an in-process worker with policy, and returns a function
// that SignalWithStarts customer david's workflow; everything stops when the test ends.
func recordingStack(t *testing.T, policy lifecycle.Policy) (*store.DB, *temporaltest.Server, *recordingMailer, func(name string, arg any)) {
	t.Helper()
	st := newStore(t)
	srv := temporaltest.Start(t)
	mailer := &recordingMailer{}
	startRecordingWorker(t, srv.Client, &activities.Activities{Store: st, Mailer: mailer, Policy: policy, Links: testLinks(t)})
	signal := signalDavid(t, srv.Client, workflows.CustomerLifecycleInput{CustomerID: "david"})
	return st, srv, mailer, func(name string, arg any) { signal(name, arg) }
}

// startRecordingWorker runs a worker for the customers' workflows with acts until the test ends.
func startRecordingWorker(t *testing.T, c client.Client, acts *activities.Activities) {
	t.Helper()
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.CustomerLifecycle)
	w.RegisterActivity(acts)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
}

// signalDavid returns a function that SignalWithStarts customer david's workflow, started with in,
// and returns the run it reached.
func signalDavid(t *testing.T, c client.Client, in workflows.CustomerLifecycleInput) func(name string, arg any) client.WorkflowRun {
	id := workflows.CustomerWorkflowID(in.CustomerID)
	return func(name string, arg any) client.WorkflowRun {
		t.Helper()
		run, err := c.SignalWithStartWorkflow(context.Background(), id, name, arg,
			client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue}, workflows.CustomerLifecycle, in)
		require.NoError(t, err, "signal %s", name)
		return run
	}
}

// awaitDecision waits until workflow id has decided key with outcome.
func awaitDecision(t *testing.T, c client.Client, id, key string, outcome workflows.Outcome) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, d := range queryStatus(t, c, id).Decisions {
			if d.Key == key && d.Outcome == outcome {
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "%s %s", key, outcome)
}

func saveHistory(t *testing.T, srv *temporaltest.Server, id, path string) {
	ctx := context.Background()
	require.NoError(t, srv.Client.CancelWorkflow(ctx, id, ""))
	require.Error(t, srv.Client.GetWorkflow(ctx, id, "").Get(ctx, nil), "the workflow ends cancelled")
	out, err := exec.Command(cliPath(t), "workflow", "show", "--address", srv.HostPort, "--namespace", srv.Namespace, "--workflow-id", id, "--output", "json").Output()
	require.NoError(t, err, "export the history with the Temporal CLI")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, out, 0o644))
	t.Logf("recorded %s", path)
}

func queryStatus(t *testing.T, c client.Client, id string) workflows.Status {
	t.Helper()
	v, err := c.QueryWorkflow(context.Background(), id, "", workflows.QueryStatus)
	if err != nil {
		return workflows.Status{}
	}
	var st workflows.Status
	require.NoError(t, v.Get(&st))
	return st
}

func cliPath(t *testing.T) string {
	if p := os.Getenv("TEMPORAL_CLI_PATH"); p != "" {
		return p
	}
	return filepath.Join("..", ".bin", "temporal")
}

// The replay suite must catch an incompatible change: here, a timer added before the workflow's
// first command, without GetVersion, as a careless edit of CustomerLifecycle would.
func TestReplayCatchesAnIncompatibleChange(t *testing.T) {
	incompatible := func(ctx workflow.Context, in workflows.CustomerLifecycleInput) error {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return err
		}
		return workflows.CustomerLifecycle(ctx, in)
	}
	files, err := filepath.Glob(filepath.Join(historyDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		replayer := worker.NewWorkflowReplayer()
		replayer.RegisterWorkflowWithOptions(incompatible, workflow.RegisterOptions{Name: "CustomerLifecycle"})
		err := replayer.ReplayWorkflowHistoryFromJSONFile(log.NewStructuredLogger(slog.New(slog.DiscardHandler)), file)
		require.Error(t, err, "replaying %s against an incompatible change must fail", file)
		require.Contains(t, err.Error(), "TMPRL1100", "%s: want a nondeterminism error", file)
	}
}
