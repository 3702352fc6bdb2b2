package workflows_test

import (
	"context"
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

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/devserver"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

var record = flag.Bool("record", false, "record testdata/histories/tailor-story.json from a dev server before replaying")

const historyDir = "testdata/histories"

// Every recorded history must replay against the current workflow code: a change to the commands a
// running customer's workflow emits breaks this test unless it is guarded with workflow.GetVersion.
// Record again with: go test ./workflows -run TestReplay -record
func TestReplayRecordedHistories(t *testing.T) {
	if *record {
		recordTailorStory(t, filepath.Join(historyDir, "tailor-story.json"))
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
	st := newStore(t)
	srv := devserver.Start(t)
	mailer := &recordingMailer{}
	policy := lifecycle.Policy{MinGap: 2 * time.Second, RestockWindow: time.Minute, SeasonFallback: 6 * time.Second}
	w := worker.New(srv.Client, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.CustomerLifecycle)
	w.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: policy, Links: testLinks(t)})
	require.NoError(t, w.Start())
	defer w.Stop()

	ctx := context.Background()
	id := workflows.CustomerWorkflowID("david")
	send := func(name string, arg any) {
		_, err := srv.Client.SignalWithStartWorkflow(ctx, id, name, arg, client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue},
			workflows.CustomerLifecycle, workflows.CustomerLifecycleInput{CustomerID: "david"})
		require.NoError(t, err, "signal %s", name)
	}
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
	require.NoError(t, srv.Client.CancelWorkflow(ctx, id, ""))
	require.Error(t, srv.Client.GetWorkflow(ctx, id, "").Get(ctx, nil), "the workflow ends cancelled")

	out, err := exec.Command(cliPath(t), "workflow", "show", "--address", srv.HostPort, "--workflow-id", id, "--output", "json").Output()
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
