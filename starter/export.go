package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/workflows"
)

const exportDetails = `Writes one JSON document with everything Tailor holds about the customer (GDPR art. 15), to
standard output or to --out FILE (created with mode 0600: it is personal data). Top-level keys:
  format       "tailor.customer-export/v1"; a change to the keys below changes the version
  customer_id  the customer exported
  exported_at  when (UTC)
  postgresql   every table holding the customer's rows, by table name, each a list of rows as
               objects of the table's columns (empty when none): customers, preferences, purchases,
               wishes, customer_notes, customer_segments, send_log, outbox, email_events,
               followup_outcomes, attributions, handoffs, signal_outbox, reply_addresses,
               api_events (the HTTP API's events about the customer), customer_data_keys (the id
               of the key that encrypts their Temporal payloads, never the key), suppressions (by
               address), erased_suppressions (a suppression of the address kept, hashed, from a
               forgotten customer), rejected_email_events (those naming the address),
               shopify_webhook_deliveries (those whose skipped parts name the id or address)
  workflow     the customer's workflow in Temporal: workflow_id, running (true or false), execution
               (Running, Completed, Terminated, ...; "" when there is none), note (why there is no
               state, when there is none) and status (the status query's snapshot, as in
               starter status --json: preferences, purchases, emails, decisions, usage, ...)
The export fails, writing nothing, when Temporal cannot be reached or no worker answers the status
query of a workflow that exists: a document without the workflow's state would be incomplete.`

// exportFormat names the export's layout; exportDetails documents it.
const exportFormat = "tailor.customer-export/v1"

// customerExport is the document `starter export` writes.
type customerExport struct {
	Format     string                       `json:"format"`
	CustomerID string                       `json:"customer_id"`
	ExportedAt time.Time                    `json:"exported_at"`
	PostgreSQL map[string][]json.RawMessage `json:"postgresql"`
	Workflow   exportedWorkflow             `json:"workflow"`
}

// exportedWorkflow is what Temporal holds about the customer: the status query's snapshot.
type exportedWorkflow struct {
	WorkflowID string            `json:"workflow_id"`
	Running    bool              `json:"running"`
	Execution  string            `json:"execution"`
	Note       string            `json:"note,omitempty"`
	Status     *workflows.Status `json:"status,omitempty"`
}

func runExport(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	out := fs.String("out", "", "write the document to `FILE` (mode 0600) instead of standard output")
	customerID, err := a.parseCustomerFlags(c, fs, args, "`ID` of the customer (required)", nil)
	if err != nil {
		return err
	}
	st, err := a.db(ctx)
	if err != nil {
		return err
	}
	rows, err := st.Export(ctx, customerID)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return fmt.Errorf("no customer %s in PostgreSQL: nothing to export (check the id with starter status --customer ID)", customerID)
	}
	if err != nil {
		return explainStoreError(err)
	}
	wf, err := a.exportWorkflow(ctx, customerID)
	if err != nil {
		return fmt.Errorf("the export of %s needs the workflow's state and has none, so nothing was written: %w", customerID, err)
	}
	doc := customerExport{Format: exportFormat, CustomerID: customerID, ExportedAt: a.now().UTC(), PostgreSQL: rows, Workflow: wf}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the export of %s: %w", customerID, err)
	}
	b = append(b, '\n')
	if *out == "" {
		_, err := a.stdout.Write(b)
		return err
	}
	if err := writePrivateFile(*out, b); err != nil {
		return fmt.Errorf("write the export of %s: %w", customerID, err)
	}
	fmt.Fprintf(a.stderr, "starter: wrote the export of %s to %s (%d bytes, %d PostgreSQL rows; workflow %s)\n",
		customerID, *out, len(b), countRows(rows), describeExported(wf))
	return nil
}

// writePrivateFile writes b to path, readable by its owner only, replacing what was there.
func writePrivateFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	// An existing file keeps its mode on open: make it private too.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func countRows(rows map[string][]json.RawMessage) int {
	n := 0
	for _, r := range rows {
		n += len(r)
	}
	return n
}

func describeExported(wf exportedWorkflow) string {
	if wf.Status == nil {
		return "none"
	}
	return wf.Execution
}

// exportWorkflow reads the customer's workflow: whether there is one, and its status snapshot.
func (a *app) exportWorkflow(ctx context.Context, customerID string) (exportedWorkflow, error) {
	wf := exportedWorkflow{WorkflowID: workflows.CustomerWorkflowID(customerID)}
	tc, err := a.temporalClient(ctx)
	if err != nil {
		return wf, err
	}
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	desc, err := tc.DescribeWorkflowExecution(qctx, wf.WorkflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		wf.Note = "the customer has no workflow in Temporal (none was ever started, or its history was removed after retention): Temporal holds no state of theirs"
		return wf, nil
	}
	if err != nil {
		return wf, fmt.Errorf("describe workflow %s: %w", wf.WorkflowID, err)
	}
	status := desc.GetWorkflowExecutionInfo().GetStatus()
	wf.Execution = status.String()
	wf.Running = status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING
	st, err := a.queryStatus(ctx, customerID)
	if err != nil {
		return wf, err
	}
	if !wf.Running {
		wf.Note = fmt.Sprintf("the workflow is not running (%s); status is its state when it closed", wf.Execution)
	}
	wf.Status = &st
	return wf, nil
}
