package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// The export from end to end on a dev server and PostgreSQL: before the customer has a workflow
// the document says so plainly; once a purchase started it, the document holds the workflow's
// status next to every table's rows, written to a file only its owner can read. An unknown
// customer exports nothing.
func TestExportEndToEnd(t *testing.T) {
	shop := newTestShop(t, `sku,product,name,category,color,size,price,stock,collections
TR-BLUE-50,classic-trousers,Classic trousers,trousers,blue,50,89.00,5,autumn
`, `id,name,email,locale,timezone,colors,sizes,categories,consent
ann,Ann,ann@example.com,nl,Europe/Amsterdam,grey,50,,true
bob,Bob,bob@example.com,en,Europe/London,,,,true
`)
	decode := func(raw string) customerExport {
		t.Helper()
		var doc customerExport
		require.NoError(t, json.Unmarshal([]byte(raw), &doc), "the export is one JSON document:\n%s", raw)
		return doc
	}

	out, _ := starterAt(t, shop.env, exitOK, "export", "--customer", "ann")
	doc := decode(out)
	require.Equal(t, exportFormat, doc.Format)
	require.Equal(t, "ann", doc.CustomerID)
	require.False(t, doc.Workflow.Running, "no workflow yet: %+v", doc.Workflow)
	require.Nil(t, doc.Workflow.Status)
	require.Contains(t, doc.Workflow.Note, "has no workflow in Temporal")
	for _, table := range store.ExportTables() {
		require.Contains(t, doc.PostgreSQL, table, "every exported table has its key, even when empty")
	}
	require.Len(t, doc.PostgreSQL["customers"], 1)
	require.Contains(t, string(doc.PostgreSQL["customers"][0]), `"email": "ann@example.com"`)

	startWorker(t, shop.srv.Client, shop.activities(t, &countingMailer{}))
	starterAt(t, shop.env, exitOK, "purchase", "--customer", "ann", "--sku", "TR-BLUE-50", "--id", "o1")
	file := filepath.Join(t.TempDir(), "ann.json")
	var st workflows.Status
	// The worker handles the purchase signal on its own time: export until the status holds it.
	bought := func(p workflows.PurchaseRecord) bool { return p.ID == "o1" }
	require.Eventually(t, func() bool {
		_, errOut := starterAt(t, shop.env, exitOK, "export", "--customer", "ann", "--out", file)
		require.Contains(t, errOut, "wrote the export of ann to "+file)
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		doc = decode(string(raw))
		if doc.Workflow.Status == nil {
			return false
		}
		st = *doc.Workflow.Status
		return slices.ContainsFunc(st.Purchases, bought)
	}, 30*time.Second, 200*time.Millisecond, "the exported workflow state never held purchase o1: %+v", doc.Workflow)
	require.True(t, doc.Workflow.Running, "the workflow runs after the purchase: %+v", doc.Workflow)
	require.Equal(t, "Running", doc.Workflow.Execution)
	require.Equal(t, workflows.CustomerWorkflowID("ann"), doc.Workflow.WorkflowID)
	require.Equal(t, "ann", st.CustomerID)
	require.Len(t, doc.PostgreSQL["purchases"], 1)
	require.NotEmpty(t, doc.PostgreSQL["signal_outbox"], "the purchase signal owed and delivered")
	info, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the export is personal data: its owner only")

	_, errOut := starterAt(t, shop.env, exitFailed, "export", "--customer", "nobody")
	require.Contains(t, errOut, "no customer nobody in PostgreSQL")
}
