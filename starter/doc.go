// Command starter is Tailor's command line: it prepares the database and the Temporal namespace,
// imports customers and products, and turns shop events (a purchase, a restock, a sale, a season
// campaign, an unsubscribe, a meter reading, a complaint) into signals to the customers' lifecycle
// workflows. It starts value-segment recomputes (and `setup` schedules them nightly), reads a
// customer's status and the local outbox, simulates a customer's year, and forgets a customer for
// good (`forget`, internal/erasure).
//
// Contract:
//   - Every shop event (purchase, meter reading, consent, unsubscribe, note, customers import) goes
//     through the event layer (internal/events, app.events): the change and the signal it owes
//     commit in one transaction, then the signal is delivered with one SignalWithStart; one that
//     fails stays owed and the worker delivers it. Workflow IDs come from workflows.CustomerWorkflowID.
//   - Restock, sale and season reach only the customers they concern, as found in PostgreSQL, and
//     repeating one of them is safe: the workflows ignore a follow-up they already know.
//   - Connections to PostgreSQL and Temporal are opened only by the commands that need them, so
//     --help and mistakes on the command line are answered without any server.
//   - Exit status: 0 on success or --help, 2 when the command line is wrong (the message says what
//     to run instead), 1 when the command failed at run time.
//
// The configuration is read from the environment by internal/config: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, DATABASE_URL, OUTBOX_DIR and LIFECYCLE_CONFIG; see `starter help`.
package main
