package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tailorhq/tailor/internal/codec"
	"github.com/tailorhq/tailor/internal/erasure"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

const forgetDetails = `Erases the customer for good (GDPR art. 17). In PostgreSQL, in one transaction: the customer,
preferences, purchases, wishes, notes, segment, hand-offs, owed signals, outbox emails and the
suppression of their address are deleted; send_log, email_events, attributions and
followup_outcomes keep their rows for the reports' counts, with the customer id replaced by a random
tombstone and addresses, links and provider ids emptied (every table with a customer_id column is
covered, store.ForgetPlan). The workflow customer/<ID> is terminated. With TAILOR_CODEC_KEYS, the
customer's data key is destroyed: every payload of the customer's Temporal histories becomes
unreadable, whatever keys one holds (README: Forgetting a customer). The id is recorded as forgotten
(by hash): importing it again is refused and no late signal or webhook brings it back.
Without --yes, shows what it would erase and changes nothing.`

func runForget(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	yes := fs.Bool("yes", false, "erase for good (without it: show what would be erased, change nothing)")
	asJSON := fs.Bool("json", false, "print the result as JSON (customer_id, existed, tombstone, rows, anonymised, workflow_id, terminated, shredded, outbox_removed)")
	customerID, err := a.parseCustomerFlags(c, fs, args, "`ID` of the customer to forget (required)", nil)
	if err != nil {
		return err
	}
	cfg, st, err := a.configAndDB(ctx)
	if err != nil {
		return err
	}
	if !*yes {
		preview, err := st.ForgetPreview(ctx, customerID)
		if err != nil {
			return explainStoreError(err)
		}
		writeForgetPreview(a.stdout, customerID, preview, cfg.Codec.Enabled())
		return fmt.Errorf("nothing was erased: run `%s forget --customer %s --yes` to forget the customer for good", programName, customerID)
	}
	tc, err := a.temporalClient(ctx)
	if err != nil {
		return err
	}
	res, err := erasure.Forget(ctx, erasure.Deps{Store: st, Workflows: tc, OutboxDir: cfg.OutboxDir, Shredding: cfg.Codec.Enabled()}, customerID)
	if err != nil {
		return explainStoreError(fmt.Errorf("forget customer %s (running it again is safe): %w", customerID, err))
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	writeForgotten(a.stdout, res)
	return nil
}

// rowCounts lists "table n" for the tables with rows, deleted or anonymised.
func rowCounts(rows map[string]int64, action store.ForgetAction) string {
	var parts []string
	for table, n := range rows {
		planned, ok := store.ForgetPlan[table]
		if !ok {
			planned = store.ForgetDelete
		}
		if n > 0 && planned == action {
			parts = append(parts, fmt.Sprintf("%s %d", table, n))
		}
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func writeForgetPreview(w io.Writer, customerID string, f store.Forgotten, shredding bool) {
	if !f.Existed {
		fmt.Fprintf(w, "PostgreSQL has no customer %s (forgotten already, or never imported); forgetting erases whatever else holds the id.\n", customerID)
	}
	fmt.Fprintf(w, "starter forget --yes would, for customer %s:\n", customerID)
	fmt.Fprintf(w, "  delete rows:     %s\n", rowCounts(f.Rows, store.ForgetDelete))
	fmt.Fprintf(w, "  anonymise rows:  %s (kept for the reports' counts)\n", rowCounts(f.Rows, store.ForgetAnonymise))
	fmt.Fprintf(w, "  terminate:       workflow %s\n", workflows.CustomerWorkflowID(customerID))
	if shredding {
		fmt.Fprintln(w, "  destroy:         the customer's data key: every payload of the customer's Temporal histories becomes unreadable")
	} else {
		fmt.Fprintln(w, "  NOT shred:       TAILOR_CODEC_KEYS is not set, so the customer's Temporal histories are plaintext and stay readable until the namespace's retention")
	}
}

func writeForgotten(w io.Writer, r erasure.Result) {
	fmt.Fprintf(w, "forgot customer %s\n", r.CustomerID)
	if !r.Existed {
		fmt.Fprintln(w, "  (PostgreSQL had no customer row with this id: forgotten before, or never imported)")
	}
	fmt.Fprintf(w, "  deleted:     %s\n", rowCounts(r.Rows, store.ForgetDelete))
	if anonymised := rowCounts(r.Rows, store.ForgetAnonymise); anonymised == "none" {
		fmt.Fprintln(w, "  anonymised:  none")
	} else {
		fmt.Fprintf(w, "  anonymised:  %s, the customer id replaced by %s\n", anonymised, r.Tombstone)
	}
	if r.Terminated {
		fmt.Fprintf(w, "  workflow:    %s terminated\n", r.WorkflowID)
	} else {
		fmt.Fprintf(w, "  workflow:    %s had no open run\n", r.WorkflowID)
	}
	if r.Shredded {
		fmt.Fprintf(w, "  histories:   unreadable: the customer's data key is destroyed (a running worker drops its cached copy within %v)\n", codec.DataKeyCacheTTL)
	} else {
		fmt.Fprintln(w, "  histories:   NOT shredded: TAILOR_CODEC_KEYS is not set, so Temporal keeps them in plaintext until the namespace's retention;")
		fmt.Fprintf(w, "               delete every run now with: temporal workflow delete --query \"WorkflowId = '%s'\" --yes\n", r.WorkflowID)
	}
	if r.OutboxRemoved != "" {
		fmt.Fprintf(w, "  outbox:      removed %s\n", r.OutboxRemoved)
	}
	fmt.Fprintf(w, "  kept:        the workflow id %s and its search attribute CustomerId (the shop's opaque id, no personal data by design)\n", r.WorkflowID)
}
