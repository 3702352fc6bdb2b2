// Package eventwebhook receives SendGrid's Event Webhook: what happened to the emails Tailor
// sent (delivered, opened, clicked, bounced, dropped, reported as spam, unsubscribed).
//
// # Trust
//
// Every request must carry SendGrid's signature (the "Signed Event Webhook"): the
// X-Twilio-Email-Event-Webhook-Signature header is an ASN.1 DER ECDSA P-256 signature, base64, over
// SHA-256 of the X-Twilio-Email-Event-Webhook-Timestamp header value followed by the raw body; the
// public key is the one SendGrid shows under Mail Settings (base64 DER, see ParsePublicKey).
// A request without a valid signature answers 401 and changes nothing; when the headers are
// missing, malformed or stale, that is decided before the body is read.
//
// # Load
//
// At most Config.MaxConcurrent deliveries (default 8) are read and processed at once, each body
// at most MaxBodyBytes. One more answers 503 with Retry-After at once, without reading its body;
// SendGrid retries it.
//
// As a replay guard, a request whose timestamp (unix seconds) lies more than Config.Tolerance
// (default 10 minutes) before or after Config.Now also answers 401: a captured request cannot be
// played back later. SendGrid signs every delivery attempt when it makes it, so its own retries
// carry fresh timestamps; keep the host clock synchronised.
//
// # Exactly one effect per event
//
// SendGrid delivers at least once: it retries a batch whenever it does not get a 2xx in time, and
// the retried events carry new sg_event_ids. DedupeKey therefore hashes what stays the same across
// deliveries: sg_message_id, event, timestamp, email and url (a click's link). Two clicks on the same
// link of the same email within one second count as one; nothing else is lost.
//
// Each event is stored once in the EventStore (email_events). delivered, open, click, processed,
// deferred and unknown types are only stored: they feed segments later. bounce (except type
// "blocked", a temporary refusal SendGrid itself does not suppress), dropped, spamreport,
// unsubscribe and group_unsubscribe also suppress the address (Customer.Suppressed) and, when the
// email carries a customer_id, signal the customer's workflow (workflows.SignalSuppress) so pending
// marketing stops at once.
//
// The order makes retries safe: for a suppressing event the handler first checks whether the event
// is already stored, then suppresses the address and owes the suppress signal in one transaction
// through the event layer (internal/events, event id suppress/<dedupe key>: owed once however often
// SendGrid redelivers), then stores the event. The layer delivers the signal at once; one that
// cannot be delivered stays owed and the worker delivers it, so Temporal being down does not make
// SendGrid retry. When the database fails half-way, the event is not stored, the handler answers
// 500, SendGrid retries, and the effects are applied again: suppressing twice changes nothing and
// the signal is not owed twice. The workflow may still hear a suppress signal twice (a relay that
// crashed after delivering, before marking it): its marketing is already stopped. Other events in
// the batch are processed regardless, so one failing event does not hold up the rest.
//
// A suppressing event whose customer_id is not in the customers table suppresses the address and
// is stored, but signals nothing: the signal is a SignalWithStart and would start a workflow for a
// customer who does not exist.
//
// # Poison events
//
// A retry only helps when the failure can pass. An event that is not a JSON object or has no usable
// timestamp, whose fields hold a NUL byte or invalid UTF-8 or exceed their caps (parseEvent), or
// that PostgreSQL refuses for its content (store.RefusedContent: SQLSTATE class 22, or 23514) is
// kept in rejected_email_events with its sanitized JSON, counted in
// tailor_webhook_events_rejected_total{reason} and answered 2xx. A bounce's reason is free text
// from the receiving server and is made storable rather than rejected, so its suppression holds.
// Any other store error (connection refused, timeout) still answers 500.
package eventwebhook
