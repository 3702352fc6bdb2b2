// Package workflows holds Tailor's deterministic orchestration: one CustomerLifecycle workflow per
// customer that turns events (purchase, restock, sale, season, unsubscribe, usage, complaint,
// segment, check-in) into timed, personal follow-ups under the contact policy; the Campaign
// workflow that reaches every customer of an audience, page by page; and SegmentRecompute, which
// reclassifies every customer's value segment.
//
// # What it owns
//
//   - The workflows and their state: State, carried through continue-as-new, and the snapshot
//     structs the queries return (Status, CampaignProgress, SegmentRecomputeProgress).
//   - Every name a caller uses to reach a workflow: task queues, signal, query and update names,
//     search attributes and memo keys (messages.go, one list), and the workflow-ID helpers
//     (CustomerWorkflowID, CampaignWorkflowID) that every entry point uses.
//   - Decisions with a typed Outcome and reason for every follow-up sent, deferred, skipped or
//     dropped, which `starter explain` and the simulation read.
//
// # Contract
//
// Workflow code is replayed: on every worker that picks a workflow up, its whole history runs
// through the current code again, which must emit the same commands in the same order.
//
//   - Deterministic: time from workflow.Now and timers, concurrency from workflow.Go, selectors
//     and workflow channels, maps ranged over in sorted order; no time.Now, goroutines, Go
//     channels, math/rand or I/O. scripts/test.sh checks both: the import fence (this package
//     reaches no pgx, sendgrid, internal/store or internal/outbox) and workflowcheck (calls).
//   - I/O only through activities: the workflows call methods of activities.Activities, whose
//     dependencies are interfaces injected in worker/main.go, so this package imports activities
//     for method values and payload types only.
//   - Idempotent effects: every email a workflow asks for carries a business key,
//     lifecycle.SendKey(customer, kind, subject), built from the event (purchase ID, sale ID,
//     wish ID, collection), never from the run ID or the attempt, so it survives retries and
//     continue-as-new, and the send log sends it at most once.
//   - Errors: activities classify failures (activities.ErrType*); a workflow turns a
//     non-retryable one into a decision (failed, deferred) rather than failing itself, and fails
//     only on input it cannot use (InvalidInput).
//   - Versioned: any change to the commands a running workflow emits gets workflow.GetVersion
//     (or an input version) and a replay test on a history recorded from the previous code
//     (docs/VERSIONING.md, replay_test.go).
package workflows
