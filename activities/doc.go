// Package activities does Tailor's I/O on behalf of the deterministic workflows: it records
// purchases, loads the policy and a customer's contact settings, picks products, renders and sends
// follow-up emails, records outcomes, pages through a campaign's audience and signals its
// customers, and recomputes segments.
//
// # What it owns
//
//   - The activity methods of Activities, each a verb with an XxxInput and an XxxResult struct,
//     and the email templates (templates/) it renders.
//   - The small interfaces it needs (Store, Mailer, Links, Audience, Reacher, SegmentStore,
//     SendingGate, EmailCounter), declared here by their consumer. The adapters (internal/store,
//     internal/sendgrid, internal/outbox, internal/links, internal/sendinggate, the Temporal client) are injected
//     from worker/main.go and prove they satisfy them in their own tests; this package imports
//     neither pgx nor SendGrid.
//   - The error types of non-retryable failures (ErrType*), which the workflows and the Temporal
//     UI see.
//
// # Contract
//
//   - Idempotent: Temporal runs an activity at least once. Every write is keyed by a business key
//     that survives retries and continue-as-new: a purchase by its ID, a follow-up by its
//     lifecycle.SendKey (ClaimSend reserves the key in the send log before the provider is called,
//     and a key already sent is not sent again), a segment by the customer's stored segment (a
//     retry finds it saved and signals nothing). Never the run ID or the attempt number.
//   - Errors classified at this boundary: a permanent failure (unknown customer or product, an
//     email the provider rejects, invalid input, a send key owned by another customer) becomes a
//     non-retryable temporal.ApplicationError with an ErrType*; a refused API key pauses all
//     sending (ErrTypeSendingPaused, with the time to try again); a rate limit retries after the
//     provider's reset time; anything else is returned as it is, so that Temporal retries it. No
//     retry loops here.
//   - Long activities heartbeat, so a lost worker is noticed within the heartbeat timeout:
//     ReachCustomers resumes from its heartbeat (a customer signalled twice is emailed once: both
//     follow-ups carry the same send key); RecomputeSegments redoes its page.
package activities
