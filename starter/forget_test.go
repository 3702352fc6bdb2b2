package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/erasure"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// terminatingTemporal is a Temporal client that records terminations; a workflow is open until
// its first termination.
type terminatingTemporal struct {
	client.Client // nil: any other call panics, so the test sees what the command uses
	mu            sync.Mutex
	terminated    []string
	reasons       []string
}

func (f *terminatingTemporal) TerminateWorkflow(_ context.Context, workflowID, _ string, reason string, _ ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range f.terminated {
		if id == workflowID {
			return serviceerror.NewNotFound("workflow execution already completed")
		}
	}
	f.terminated = append(f.terminated, workflowID)
	f.reasons = append(f.reasons, reason)
	return nil
}

func (f *terminatingTemporal) Close() {}

func TestForgetCommand(t *testing.T) {
	st, dbURL := storetest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	customers := filepath.Join(dir, "customers.csv")
	require.NoError(t, os.WriteFile(customers, []byte("id,name,email,locale,timezone,colors,sizes\n"+
		"ann,Ann,ann@example.com,en,Europe/London,,\nbob,Bob,bob@example.com,en,Europe/London,,\n"), 0o600))
	outboxDir := filepath.Join(dir, "outbox")
	require.NoError(t, os.MkdirAll(filepath.Join(outboxDir, "ann"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(outboxDir, "ann", "sale-x.html"), []byte("Dear Ann"), 0o600))

	tc := &terminatingTemporal{}
	var out, errOut bytes.Buffer
	env := map[string]string{"DATABASE_URL": dbURL, "OUTBOX_DIR": outboxDir}
	a := &app{stdout: &out, stderr: &errOut, now: time.Now, temporal: tc, getenv: func(name string) string { return env[name] }}
	defer a.close()
	run := func(args ...string) int {
		out.Reset()
		errOut.Reset()
		return a.main(ctx, args)
	}
	require.Equal(t, exitOK, run("import", "customers", customers), "stderr %q", errOut.String())
	// A Shopify order whose customer was refused, quoting ann's address.
	_, err := st.RecordShopifyDelivery(ctx, store.ShopifyDelivery{WebhookID: "d1", Topic: "orders/create", ReceivedAt: time.Now(),
		Skipped: []string{`order 1: customer shopify-1: email "Ann <ann@example.com>": not a valid address; nothing recorded`}})
	require.NoError(t, err)

	// Without --yes: what it would do, and nothing done.
	require.Equal(t, exitFailed, run("forget", "--customer", "ann"), "stdout %q", out.String())
	t.Logf("starter forget --customer ann:\n%s%s", out.String(), errOut.String())
	require.Contains(t, out.String(), "would, for customer ann")
	require.Contains(t, out.String(), "customers 1")
	require.Contains(t, out.String(), "scrub rows:      shopify_webhook_deliveries 1")
	require.Contains(t, out.String(), "TAILOR_CODEC_KEYS is not set")
	require.Contains(t, errOut.String(), "nothing was erased")
	require.Contains(t, errOut.String(), "--yes")
	_, err = st.Customer(ctx, "ann")
	require.NoError(t, err, "a preview keeps the customer")
	require.Empty(t, tc.terminated, "a preview terminates nothing")

	require.Equal(t, exitOK, run("forget", "--customer", "ann", "--yes"), "stderr %q", errOut.String())
	t.Logf("starter forget --customer ann --yes:\n%s", out.String())
	for _, want := range []string{"forgot customer ann", "customers 1", "scrubbed:    shopify_webhook_deliveries 1", "customer/ann terminated", "NOT shredded",
		`temporal workflow delete --query 'WorkflowId = "customer/ann"' --yes`, "removed " + filepath.Join(outboxDir, "ann")} {
		require.Contains(t, out.String(), want, "starter forget --yes output")
	}
	require.Equal(t, []string{"customer/ann"}, tc.terminated)
	require.Equal(t, []string{erasure.TerminateReason}, tc.reasons)
	_, err = st.Customer(ctx, "ann")
	require.Error(t, err, "ann is gone")
	_, err = st.Customer(ctx, "bob")
	require.NoError(t, err, "bob stays")
	require.NoDirExists(t, filepath.Join(outboxDir, "ann"))

	// Again, as JSON: nothing left to erase, and it says so.
	require.Equal(t, exitOK, run("forget", "--customer", "ann", "--yes", "--json"), "stderr %q", errOut.String())
	var res erasure.Result
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), "forget --json: %s", out.String())
	require.Equal(t, "ann", res.CustomerID)
	require.False(t, res.Existed)
	require.False(t, res.Terminated)
	require.False(t, res.Shredded)

	// The shop's next full export still lists ann: the import refuses it.
	require.Equal(t, exitFailed, run("import", "customers", customers))
	require.Contains(t, errOut.String(), "ann")
	require.Contains(t, errOut.String(), "starter forget")
}
