// Command worker runs Tailor's Temporal worker: it polls the task queue workflows.TaskQueue
// ("tailor") and executes the CustomerLifecycle workflow and its activities.
//
// It owns the wiring of the real dependencies into activities.Activities: the PostgreSQL store
// (internal/store), and a mailer, SendGrid (internal/email/sendgrid) when SENDGRID_API_KEY is set,
// else the local outbox (internal/email/outbox) that `starter outbox` lists.
//
// Contract:
//   - It reads the same environment as the starter (internal/config) and refuses to start when the
//     configuration is wrong, PostgreSQL or Temporal cannot be reached, or the database has no
//     schema yet; it does not migrate: `starter setup` does, once.
//   - It logs JSON to stderr and never logs the SendGrid key.
//   - On SIGINT or SIGTERM it stops polling and gives activities in flight a few seconds to
//     finish; an activity cut short is retried by Temporal and, through the send log, never sends
//     an email twice.
//   - Exit status: 0 after a clean stop or --help, 2 for an unknown argument, 1 for any failure.
package main
