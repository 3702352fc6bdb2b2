package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/workflows"
)

// recordingTemporal records every SignalWithStart; the first failures fail.
type recordingTemporal struct {
	client.Client
	mu       sync.Mutex
	failures int
	signals  map[string][]any // by workflow ID
}

func (f *recordingTemporal) SignalWithStartWorkflow(_ context.Context, workflowID, signalName string, signalArg any,
	_ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.failures--
		return nil, errors.New("frontend unavailable")
	}
	if f.signals == nil {
		f.signals = map[string][]any{}
	}
	f.signals[workflowID] = append(f.signals[workflowID], signalArg)
	return nil, nil
}

func (f *recordingTemporal) Close() {}

func (f *recordingTemporal) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.signals {
		n += len(s)
	}
	return n
}

func importFixture(t *testing.T) (*app, *recordingTemporal, *bytes.Buffer, *bytes.Buffer, func(name, content string) string, time.Time) {
	t.Helper()
	_, dbURL := storetest.New(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	tc := &recordingTemporal{}
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut, now: func() time.Time { return now }, temporal: tc, getenv: func(name string) string {
		if name == "DATABASE_URL" {
			return dbURL
		}
		return ""
	}}
	t.Cleanup(a.close)
	ctx := context.Background()
	require.Equal(t, exitOK, a.main(ctx, []string{"import", "customers", write("c.csv", "id,name,email,locale,timezone,colors,sizes\n"+
		"ann,Ann,ann@example.com,en,UTC,,\nbob,Bob,bob@example.com,en,UTC,,\n")}), "stderr %q", errOut.String())
	require.Equal(t, exitOK, a.main(ctx, []string{"import", "products", write("p.csv", "sku,product,name,category,color,size,price,stock,collections\n"+
		"TR-BLU-32,chino,Chino,trousers,blue,32,79.95,3,\nSH-WHI-40,oxford,Oxford,shirts,white,40,59,2,\n")}), "stderr %q", errOut.String())
	out.Reset()
	errOut.Reset()
	return a, tc, &out, &errOut, write, now
}

// All or nothing on bad rows, with their line numbers; idempotent by order line; an old order is
// history (recorded, no signal); a signal that fails stays owed and the next import delivers it.
func TestImportOrders(t *testing.T) {
	a, tc, out, errOut, write, _ := importFixture(t)
	ctx := context.Background()
	run := func(args ...string) int {
		out.Reset()
		errOut.Reset()
		return a.main(ctx, args)
	}

	bad := write("bad.csv", "order_id,customer_id,sku,ordered_at,price\n"+
		"o1,ann,TR-BLU-32,2026-05-30T10:00:00Z,79.95\n"+
		"o2,nobody,TR-BLU-32,2026-05-30,10\n"+
		"o3,bob,TR-BLU-32,yesterday,-1\n")
	require.Equal(t, exitFailed, run("import", "orders", bad))
	assert.Contains(t, errOut.String(), "line 4: ordered_at \"yesterday\" is not a time")
	assert.Contains(t, errOut.String(), "line 4: price \"-1\"")
	assert.Contains(t, errOut.String(), "nothing from it was imported")
	require.Equal(t, exitFailed, run("import", "orders", write("unknown.csv", "order_id,customer_id,sku,ordered_at\n"+
		"o1,ann,TR-BLU-32,2026-05-30T10:00:00Z\no2,nobody,TR-BLU-32,2026-05-30\no3,bob,NO-SUCH-SKU,2026-05-30\n")))
	assert.Contains(t, errOut.String(), `line 3: no customer "nobody"`)
	assert.Contains(t, errOut.String(), `line 4: no product with SKU "NO-SUCH-SKU"`)
	st, err := a.db(ctx)
	require.NoError(t, err)
	n, _, err := st.OwedSignals(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing owed after refused files")
	require.Zero(t, tc.count(), "nothing signalled after refused files")

	orders := write("orders.csv", "order_id,customer_id,sku,ordered_at,price,wanted_color\n"+
		"o1,ann,TR-BLU-32,2026-05-30T10:00:00Z,79.95,grey\n"+
		"o1,ann,SH-WHI-40,2026-05-30T10:00:00Z,59,\n"+
		"o2,bob,TR-BLU-32,2026-05-29,79.95,\n"+
		"o0,bob,SH-WHI-40,2025-06-01,59,\n") // a year old: history
	tc.failures = 1 // the first customer's delivery fails
	require.Equal(t, exitFailed, run("import", "--concurrency", "1", "orders", orders), "stdout %q", out.String())
	assert.Contains(t, out.String(), "imported 4 new order line(s) of 4; 1 older than 30d 0h kept as history")
	assert.Contains(t, errOut.String(), "1 customer workflow(s) not told yet")
	assert.Contains(t, out.String(), "4/4 order line(s) recorded, 1/2 customers told (1 not yet)", "the progress, as plain lines")
	require.Equal(t, 1, tc.count(), "bob's recent order told; ann's failed")

	require.Equal(t, exitOK, run("import", "orders", orders), "stderr %q", errOut.String())
	assert.Contains(t, out.String(), "4 recorded before, nothing new owed")
	require.Equal(t, 3, tc.count(), "ann's two order lines, owed from the first import")
	ann := tc.signals[workflows.CustomerWorkflowID("ann")]
	require.Len(t, ann, 2)
	bought := ann[0].(workflows.PurchaseSignal)
	require.NotNil(t, bought.Recorded, "the order line as recorded travels with its signal")
	assert.Equal(t, "TR-BLU-32", bought.Recorded.Product.SKU)
	bought.Recorded = nil
	assert.Equal(t, workflows.PurchaseSignal{PurchaseID: "o1:TR-BLU-32", SKU: "TR-BLU-32", WantedColor: "grey", At: time.Date(2026, 5, 30, 10, 0, 0, 0, time.UTC)}, bought)
	require.Len(t, tc.signals[workflows.CustomerWorkflowID("bob")], 1, "bob's history order is not told")

	require.Equal(t, exitOK, run("import", "orders", orders), "stderr %q", errOut.String())
	require.Equal(t, 3, tc.count(), "a third import tells nothing")
	prefs, err := st.Preferences(ctx, "bob")
	require.NoError(t, err)
	assert.Contains(t, prefs.Categories, "shirts", "the history order teaches preferences")

	// explain says what was kept as history and why nothing was sent for it.
	n, history, err := st.HistoryPurchases(ctx, "bob", explainFollowUps)
	require.NoError(t, err)
	require.Equal(t, 1, n, "bob's order lines kept as history: %+v", history)
	var explained bytes.Buffer
	writeHistory(&explained, n, history)
	assert.Contains(t, explained.String(), "1 order line(s) kept as history: o0:SH-WHI-40 (SH-WHI-40, 2025-06-01).")
	assert.Contains(t, explained.String(), "nothing was sent late for them")
	n, _, err = st.HistoryPurchases(ctx, "ann", explainFollowUps)
	require.NoError(t, err)
	require.Zero(t, n, "ann's orders were news to her workflow, not history")
}

// An order id imported before for another customer is named with its line before anything of the
// file is written: the import records in chunks, and the store refusing it mid-way would leave the
// chunks before it.
func TestImportOrdersRefusesAnOrderIDOfAnotherCustomer(t *testing.T) {
	a, tc, out, errOut, write, _ := importFixture(t)
	ctx := context.Background()
	require.Equal(t, exitOK, a.main(ctx, []string{"import", "orders", write("first.csv", "order_id,customer_id,sku,ordered_at\n"+
		"o1,ann,TR-BLU-32,2026-05-30T10:00:00Z\n")}), "stderr %q", errOut.String())
	told := tc.count()
	out.Reset()
	errOut.Reset()
	require.Equal(t, exitFailed, a.main(ctx, []string{"import", "orders", write("second.csv", "order_id,customer_id,sku,ordered_at\n"+
		"o2,bob,SH-WHI-40,2026-05-30T11:00:00Z\n"+
		"o1,bob,TR-BLU-32,2026-05-30T11:00:00Z\n")}))
	assert.Contains(t, errOut.String(), "line 3: order o1 with SKU TR-BLU-32 was imported before for customer ann")
	assert.Contains(t, errOut.String(), "nothing from it was imported")
	st, err := a.db(ctx)
	require.NoError(t, err)
	owed, _, err := st.OwedSignals(ctx)
	require.NoError(t, err)
	assert.Zero(t, owed, "o2 not recorded either: it would owe bob's workflow its purchase")
	assert.Equal(t, told, tc.count(), "nobody told")
}

func TestImportUsage(t *testing.T) {
	a, tc, out, errOut, write, _ := importFixture(t)
	ctx := context.Background()
	readings := write("usage.csv", "customer_id,metric,used,limit,read_at,contract_ends\n"+
		"ann,data_mb,500,1000,2026-05-20T08:00:00Z,\n"+
		"ann,data_mb,950,1000,2026-05-28T08:00:00Z,2027-01-31\n"+
		"bob,data_mb,10,1000,2026-05-28T08:00:00Z,\n")
	require.Equal(t, exitOK, a.main(ctx, []string{"import", "usage", readings}), "stderr %q", errOut.String())
	assert.Contains(t, out.String(), "imported 3 new reading(s) of 3")
	require.Equal(t, 3, tc.count())
	ann := tc.signals[workflows.CustomerWorkflowID("ann")]
	require.Len(t, ann, 2)
	assert.Equal(t, 500.0, ann[0].(workflows.UsageSignal).Reading.Used, "ann's readings in the order of the file")
	assert.Equal(t, 950.0, ann[1].(workflows.UsageSignal).Reading.Used)

	out.Reset()
	require.Equal(t, exitOK, a.main(ctx, []string{"import", "usage", readings}), "stderr %q", errOut.String())
	assert.Contains(t, out.String(), "3 recorded before")
	require.Equal(t, 3, tc.count(), "a second import tells nothing")

	errOut.Reset()
	require.Equal(t, exitFailed, a.main(ctx, []string{"import", "usage", write("bad.csv", "customer_id,metric,used,limit,read_at\n"+
		"ann,data_mb,5,0,2026-05-20T08:00:00Z\nann,,5,10,2026-05-20T08:00:00Z\n")}))
	assert.Contains(t, errOut.String(), "line 2: limit \"0\"")
	assert.Contains(t, errOut.String(), "line 3: metric")
}
