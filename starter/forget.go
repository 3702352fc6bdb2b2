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
preferences, purchases, wishes, notes, segment, hand-offs, owed signals, reply addresses and
outbox emails are deleted; the suppression of their address is kept only as the address's SHA-256
(erased_suppressions), so the address is still not mailed under a new id; send_log, email_events, attributions and
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

// scrubCounts lists "table n" for the tables with rows scrubbed, "" when none.
func scrubCounts(rows map[string]int64) string {
	var parts []string
	for table, n := range rows {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", table, n))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func writeForgetPreview(w io.Writer, customerID string, f store.Forgotten, shredding bool) {
	if !f.Existed {
		fmt.Fprintf(w, "PostgreSQL has no customer %s (forgotten already, or never imported); forgetting erases whatever else holds the id.\n", customerID)
	}
	fmt.Fprintf(w, "starter forget --yes would, for customer %s:\n", customerID)
	fmt.Fprintf(w, "  delete rows:     %s\n", rowCounts(f.Rows, store.ForgetDelete))
	fmt.Fprintf(w, "  anonymise rows:  %s (kept for the reports' counts)\n", rowCounts(f.Rows, store.ForgetAnonymise))
	if scrubbed := scrubCounts(f.Scrubbed); scrubbed != "" {
		fmt.Fprintf(w, "  scrub rows:      %s (kept, the words naming the customer replaced)\n", scrubbed)
	}
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
	if scrubbed := scrubCounts(r.Scrubbed); scrubbed != "" {
		fmt.Fprintf(w, "  scrubbed:    %s (kept, the words naming the customer replaced)\n", scrubbed)
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
		if cmd, ok := deleteRunsCommand(r.WorkflowID); ok {
			fmt.Fprintf(w, "               delete every run now with: %s\n", cmd)
		} else {
			fmt.Fprintf(w, "               delete every run of %q now in the Temporal UI: the id holds a quote or a backslash, which no command line here quotes safely\n", r.WorkflowID)
		}
	}
	if r.OutboxRemoved != "" {
		fmt.Fprintf(w, "  outbox:      removed %s\n", r.OutboxRemoved)
	}
	fmt.Fprintf(w, "  kept:        the workflow id %s and its search attribute CustomerId (the shop's opaque id, no personal data by design)\n", r.WorkflowID)
}

// deleteRunsCommand is the temporal command that deletes every run of workflowID, to paste into a
// POSIX shell: the query is one single-quoted shell word and the id a double-quoted literal in it,
// so an id holding $, spaces, ; or " OR ..." stays one id. An id holding a quote or a backslash gets
// none (ok false): before, the id "z' OR WorkflowId != '" printed a command that deleted every
// workflow of the namespace, and Temporal's query parser reads ' inside "..." unevenly.
func deleteRunsCommand(workflowID string) (string, bool) {
	if strings.ContainsAny(workflowID, `"'\`) {
		return "", false
	}
	return `temporal workflow delete --query 'WorkflowId = "` + workflowID + `"' --yes`, true
}
