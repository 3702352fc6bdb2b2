// Command worker runs Tailor's Temporal worker: it polls the task queue workflows.TaskQueue
// ("tailor") for the CustomerLifecycle workflows and workflows.FanOutTaskQueue ("tailor-fanout")
// for the Campaign and SegmentRecompute workflows, and executes their activities. The fan-out has
// its own queue so that its workflow tasks do not wait behind the customer tasks it creates.
//
// It owns the wiring of the real dependencies into activities.Activities: the PostgreSQL store
// (internal/store), and a mailer, SendGrid (internal/sendgrid) when SENDGRID_API_KEY is set,
// else the local outbox (internal/outbox) that `starter outbox` lists; and the link signer
// (internal/links) every email's links come from; and the sending gate (internal/sendinggate),
// which pauses all sending while SendGrid refuses the API key (401/403).
//
// Next to the Temporal worker it serves HTTP on two listeners. HTTP_ADDR (internal/web) holds only
// what customers and the mail provider reach: the pages the emails link to (/u/ one-click
// unsubscribe, /p/ preferences, /i/ "yes, I'm interested", /c/ the check-in's one-click answers),
// a bare GET /healthz for load balancers, POST /webhooks/sendgrid and, with REPLY_DOMAIN, POST
// /webhooks/sendgrid/inbound (replies by email, internal/sendgrid/inboundparse). OPS_ADDR (internal/ops,
// loopback by default) holds what is for operators: GET /metrics (Prometheus, internal/metrics;
// docs/OBSERVABILITY.md), the Temporal UI's codec endpoint /codec/ and a GET /healthz that names
// each failing check. PUBLIC_BASE_URL is where customers reach the pages; LINK_SECRET signs the
// links and is required even with HTTP_ADDR=off, because every email carries links; workers
// sharing a database must share it.
//
// Contract:
//   - It reads the same environment as the starter (internal/config) and refuses to start when the
//     configuration is wrong (a LINK_SECRET that is an example or patterned, a codec endpoint on a
//     non-loopback OPS_ADDR without CODEC_AUTH_TOKEN), PostgreSQL or Temporal cannot be reached,
//     or the database has no schema yet; it does not migrate: `starter setup` does, once.
//   - It logs JSON to stderr with email addresses masked, and never logs the SendGrid key, the
//     link secret or the codec keys.
//   - On SIGINT or SIGTERM it stops polling and serving, and gives activities and HTTP requests in
//     flight a few seconds to finish; an activity cut short is retried by Temporal and, through
//     the send log, never sends an email twice.
//   - Exit status: 0 after a clean stop or --help, 2 for an unknown argument, 1 for any failure.
package main
