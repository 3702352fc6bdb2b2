package workflows_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/internal/codec"
	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/erasure"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

// codecKeys is a TAILOR_CODEC_KEYS value with one fresh key.
func codecKeys(t *testing.T, id string) string {
	t.Helper()
	secret := make([]byte, codec.KeySize)
	_, err := rand.Read(secret)
	require.NoError(t, err)
	return id + ":" + base64.StdEncoding.EncodeToString(secret)
}

// masterCodec is the codec TAILOR_CODEC_KEYS=keys configures, before it meets the data keys.
func masterCodec(t *testing.T, keys string) config.CodecConfig {
	t.Helper()
	cfg, err := config.LoadStarter(func(name string) string {
		return map[string]string{"TAILOR_CODEC_KEYS": keys}[name]
	})
	require.NoError(t, err)
	return cfg.Codec
}

// Crypto-shredding on a real dev server: David and Els each run a workflow with the codec and the
// customers' data keys; David is forgotten. His history, exported with the Temporal CLI as anyone
// with access to Temporal could, then holds not one payload that decodes, neither with the master
// keys alone nor with the master keys and the database, while every payload of Els's decodes.
func TestForgetShredsTheCustomersHistory(t *testing.T) {
	keys := codecKeys(t, "test-1")
	st := newStore(t)
	codecCfg := masterCodec(t, keys).WithDataKeys(st, workflows.CustomerIDOf)
	srv, c, _ := startCodecWorker(t, st, codecCfg)

	ctx := context.Background()
	send := func(customer, name string, arg any) error {
		_, err := c.SignalWithStartWorkflow(ctx, workflows.CustomerWorkflowID(customer), name, arg,
			client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue},
			workflows.CustomerLifecycle, workflows.CustomerLifecycleInput{CustomerID: customer})
		return err
	}
	// David buys blue wishing for grey, and gets the restock email; Els buys blue wishing for green.
	require.NoError(t, send("david", workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50", WantedColor: "grey"}))
	require.NoError(t, send("els", workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p2", SKU: "TR-BLUE-50", WantedColor: "green"}))
	for _, customer := range []string{"david", "els"} {
		id := workflows.CustomerWorkflowID(customer)
		require.Eventually(t, func() bool { return len(queryStatus(t, c, id).Wishes) == 1 }, 30*time.Second, 50*time.Millisecond, "the wish of %s", customer)
	}
	p, err := st.Restock(ctx, "TR-GREY-50", 3)
	require.NoError(t, err)
	require.NoError(t, send("david", workflows.SignalRestock, workflows.RestockSignal{Product: p}))
	require.Eventually(t, func() bool { return len(queryStatus(t, c, workflows.CustomerWorkflowID("david")).Emails) == 1 },
		30*time.Second, 50*time.Millisecond, "david's restock email")

	outboxDir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(outboxDir, "david"), 0o755))
	res, err := erasure.Forget(ctx, erasure.Deps{Store: st, Workflows: c, OutboxDir: outboxDir, Shredding: true, Keys: codecCfg.Codec}, "david")
	require.NoError(t, err)
	require.True(t, res.Existed)
	require.True(t, res.Terminated, "david's workflow was running")
	require.NoDirExists(t, filepath.Join(outboxDir, "david"), "the local outbox's emails of david")
	desc, err := c.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID("david"), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, desc.WorkflowExecutionInfo.Status)

	// A late signal, as the relay or a page would send it, does not bring David back: no data key
	// is made for him, so it cannot even be encoded, and no run starts.
	err = send("david", workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p3", SKU: "TR-GREY-50"})
	require.ErrorContains(t, err, "forgotten", "a late signal to david")
	desc, err = c.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID("david"), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, desc.WorkflowExecutionInfo.Status, "no new run of david's workflow")

	export := func(customer string) string {
		out, err := exec.Command(cliPath(t), "workflow", "show", "--address", srv.HostPort, "--namespace", srv.Namespace,
			"--workflow-id", workflows.CustomerWorkflowID(customer), "--output", "json").Output()
		require.NoError(t, err, "export the history of %s with the Temporal CLI", customer)
		return string(out)
	}
	// Readers that have never seen a data key: what an operator with every key has after forget.
	withMasterKeys := masterCodec(t, keys).Codec
	withDatabase := masterCodec(t, keys).WithDataKeys(st, workflows.CustomerIDOf).Codec

	david := export("david")
	davidPayloads := encryptedPayloads(t, david)
	require.GreaterOrEqual(t, len(davidPayloads), 5, "david's history holds his purchase, wish, restock, email and state")
	requireOnlySearchAttributesInClear(t, "david", david)
	for i, p := range davidPayloads {
		require.True(t, strings.HasPrefix(string(p.Metadata[codec.MetadataKeyID]), codec.DataKeyPrefix),
			"david's payload %d is under his data key, not %q", i, p.Metadata[codec.MetadataKeyID])
		_, err := withMasterKeys.Decode([]*commonpb.Payload{p})
		require.Error(t, err, "david's payload %d decodes with the master keys", i)
		_, err = withDatabase.Decode([]*commonpb.Payload{p})
		require.ErrorContains(t, err, "its customer was forgotten", "david's payload %d after forget", i)
	}

	els := export("els")
	elsPayloads := encryptedPayloads(t, els)
	require.NotEmpty(t, elsPayloads)
	requireOnlySearchAttributesInClear(t, "els", els)
	var elsText strings.Builder
	for i, p := range elsPayloads {
		dec, err := withDatabase.Decode([]*commonpb.Payload{p})
		require.NoError(t, err, "els's payload %d still decodes", i)
		elsText.Write(dec[0].Data)
	}
	require.Contains(t, elsText.String(), `"green"`, "els's wish is readable to an operator")
	t.Logf("david: %d payloads, none decodes; els: %d payloads, all decode", len(davidPayloads), len(elsPayloads))
}

// requireOnlySearchAttributesInClear fails when a payload of the history is not encrypted, unless it
// is a search attribute (metadata "type"), which Temporal must index and which holds no personal
// data by design (README: Protecting customer data in Temporal).
func requireOnlySearchAttributesInClear(t *testing.T, who, history string) {
	t.Helper()
	marker := base64.StdEncoding.EncodeToString([]byte(codec.MetadataEncoding))
	eachPayload(t, history, func(payload, metadata map[string]any) bool {
		if metadata["encoding"] == marker {
			return true
		}
		_, searchAttribute := metadata["type"]
		require.True(t, searchAttribute, "%s's history holds a payload in clear that is no search attribute: %v", who, payload)
		return true
	})
}

// memDataKeys keeps data keys in memory, for replays that need no database.
type memDataKeys struct {
	mu   sync.Mutex
	keys map[string]lifecycle.WrappedDataKey
}

func (m *memDataKeys) CustomerDataKey(_ context.Context, customerID string) (lifecycle.WrappedDataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.keys[customerID]; ok {
		return k, nil
	}
	return lifecycle.WrappedDataKey{}, lifecycle.ErrNotFound
}

func (m *memDataKeys) CreateCustomerDataKey(ctx context.Context, k lifecycle.WrappedDataKey) (lifecycle.WrappedDataKey, error) {
	m.mu.Lock()
	if _, ok := m.keys[k.CustomerID]; !ok {
		m.keys[k.CustomerID] = k
	}
	m.mu.Unlock()
	return m.CustomerDataKey(ctx, k.CustomerID)
}

func (m *memDataKeys) DataKey(_ context.Context, id string) (lifecycle.WrappedDataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.keys {
		if k.ID == id {
			return k, nil
		}
	}
	return lifecycle.WrappedDataKey{}, lifecycle.ErrNotFound
}

// Histories written before data keys existed, their payloads under a master key, still decode and
// replay under the codec with data keys: every recorded history, its payloads encrypted with the
// master key as a worker of the previous version wrote them, replayed as customer/david's.
func TestReplayMasterKeyHistoriesWithDataKeys(t *testing.T) {
	keys := codecKeys(t, "old-1")
	old := masterCodec(t, keys).Codec
	dataKeys := &memDataKeys{keys: map[string]lifecycle.WrappedDataKey{}}
	current := masterCodec(t, keys).WithDataKeys(dataKeys, workflows.CustomerIDOf)
	files, err := filepath.Glob(filepath.Join(historyDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			f, err := os.Open(file)
			require.NoError(t, err)
			defer f.Close()
			history, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			require.NoError(t, err)
			encrypted := 0
			require.NoError(t, proxy.VisitPayloads(context.Background(), history, proxy.VisitPayloadsOptions{
				SkipSearchAttributes: true,
				Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
					encrypted += len(ps)
					return old.Encode(ps)
				},
			}))
			require.Positive(t, encrypted, "%s has payloads to encrypt", file)
			replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				DataConverter:    current.DataConverter(),
				FailureConverter: current.FailureConverter(),
			})
			require.NoError(t, err)
			replayer.RegisterWorkflow(workflows.CustomerLifecycle)
			err = replayer.ReplayWorkflowHistoryWithOptions(log.NewStructuredLogger(slog.New(slog.DiscardHandler)), history,
				worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: workflows.CustomerWorkflowID("david"), RunID: "replay"}})
			require.NoError(t, err, "replay %s, its %d payloads under master key old-1, with the data-key codec", file, encrypted)
		})
	}
	require.Contains(t, dataKeys.keys, "david", "what the replays encoded went under david's data key")
}
