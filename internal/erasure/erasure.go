// Package erasure forgets a customer (GDPR art. 17, `starter forget`): the customer's personal data
// leaves PostgreSQL, the customer's workflow ends, and the customer's Temporal histories become
// unreadable for good by the destruction of the customer's data key (crypto-shredding: see
// internal/codec, datakeys.go).
//
// Contract:
//   - Forget terminates the customer's workflow, erases the customer in PostgreSQL in one
//     transaction (store.Forget: rows deleted, or anonymised where reports keep counts; the data key
//     destroyed; the id recorded as forgotten, by hash), terminates the workflow again (a signal
//     relayed between the two may have started a new run; when a relay held a lease on one of the
//     customer's signals, after that lease runs out), and removes the local outbox's files.
//   - After it, nothing brings the customer back: the signals owed to the workflow are deleted with
//     the customer, an import or a webhook naming the id is refused, and no new data key is made
//     for the id, so a late SignalWithStart fails to encode and starts nothing.
//   - It is idempotent: forgetting again erases whatever a write in flight added meanwhile.
package erasure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/tailorhq/tailor/internal/outbox"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// TerminateReason is what Temporal records, in clear, as the reason the workflow ended.
const TerminateReason = "customer forgotten (starter forget)"

// Store erases the customer in PostgreSQL; *store.DB is one.
type Store interface {
	Forget(ctx context.Context, customerID string) (store.Forgotten, error)
}

// Workflows ends a workflow; the Temporal client is one.
type Workflows interface {
	TerminateWorkflow(ctx context.Context, workflowID, runID, reason string, details ...any) error
}

// Deps are what Forget works on.
type Deps struct {
	Store     Store
	Workflows Workflows
	// OutboxDir is the local outbox's folder (OUTBOX_DIR); "" when there is none.
	OutboxDir string
	// Shredding is whether the customer's payloads are encrypted with a data key of their own
	// (TAILOR_CODEC_KEYS set); without it the histories stay readable until Temporal's retention.
	Shredding bool
	// Keys, when set, is this process's codec: it drops its cached copy of the destroyed key at
	// once (*codec.Codec is one). Other processes drop theirs within codec.DataKeyCacheTTL.
	Keys interface{ DropDataKey(customerID string) }
}

// Result is what Forget did.
type Result struct {
	CustomerID string `json:"customer_id"`
	// Existed is false when PostgreSQL held no customer with the id (already forgotten, or never
	// imported); the rest was done all the same.
	Existed bool `json:"existed"`
	// Tombstone replaced the customer id in the rows kept for reports.
	Tombstone string `json:"tombstone"`
	// Rows counts, per table, the rows deleted or anonymised.
	Rows map[string]int64 `json:"rows"`
	// Scrubbed counts, per table, the rows kept with the words that named the customer replaced.
	Scrubbed map[string]int64 `json:"scrubbed,omitempty"`
	// Anonymised lists the tables whose rows were kept anonymous rather than deleted.
	Anonymised []string `json:"anonymised"`
	// WorkflowID is the customer's workflow; Terminated whether a run of it was still open.
	WorkflowID string `json:"workflow_id"`
	Terminated bool   `json:"terminated"`
	// Shredded is whether the customer's histories are now unreadable (the data key is destroyed).
	Shredded bool `json:"shredded"`
	// WaitedForSignals is how long Forget waited for a signal a relay had in flight (empty: none).
	WaitedForSignals string `json:"waited_for_signals,omitempty"`
	// OutboxRemoved is the folder of the customer's emails removed from the local outbox, if any.
	OutboxRemoved string `json:"outbox_removed,omitempty"`
}

// Forget forgets the customer; see the package comment.
func Forget(ctx context.Context, d Deps, customerID string) (Result, error) {
	res := Result{CustomerID: customerID, WorkflowID: workflows.CustomerWorkflowID(customerID), Shredded: d.Shredding}
	terminated, err := terminate(ctx, d.Workflows, res.WorkflowID)
	if err != nil {
		return res, err
	}
	forgotten, err := d.Store.Forget(ctx, customerID)
	if err != nil {
		return res, err
	}
	res.Existed, res.Tombstone, res.Rows, res.Scrubbed = forgotten.Existed, forgotten.Tombstone, forgotten.Rows, forgotten.Scrubbed
	if d.Keys != nil {
		d.Keys.DropDataKey(customerID)
	}
	for table, action := range store.ForgetPlan {
		if action == store.ForgetAnonymise && forgotten.Rows[table] > 0 {
			res.Anonymised = append(res.Anonymised, table)
		}
	}
	slices.Sort(res.Anonymised)
	// A signal relayed before the erasure committed may have started a new run, or may still be on
	// its way while the relay's lease on it lasts (at most signalLease, 30 s): wait that out first.
	if wait := time.Until(forgotten.InFlightUntil); wait > 0 {
		res.WaitedForSignals = wait.Round(time.Millisecond).String()
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("wait for a signal in flight to customer %s: %w", customerID, ctx.Err())
		case <-time.After(wait):
		}
	}
	again, err := terminate(ctx, d.Workflows, res.WorkflowID)
	if err != nil {
		return res, err
	}
	res.Terminated = terminated || again
	if d.OutboxDir != "" {
		dir := outbox.CustomerDir(d.OutboxDir, customerID)
		if _, err := os.Stat(dir); err == nil {
			if err := os.RemoveAll(dir); err != nil {
				return res, fmt.Errorf("remove the customer's emails from the local outbox %s: %w", dir, err)
			}
			res.OutboxRemoved = dir
		}
	}
	return res, nil
}

// terminate ends the open run of workflowID and reports whether there was one.
func terminate(ctx context.Context, w Workflows, workflowID string) (bool, error) {
	err := w.TerminateWorkflow(ctx, workflowID, "", TerminateReason)
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &notFound): // never started, or already closed
		return false, nil
	default:
		return false, fmt.Errorf("terminate workflow %s: %w", workflowID, err)
	}
}
