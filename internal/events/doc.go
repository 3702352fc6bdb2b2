// Package events is the one place where a shop event becomes a change in PostgreSQL and the
// signal the customer's lifecycle workflow is owed for it. Every entry point (the starter, the
// pages, the SendGrid Event Webhook, the API and the Shopify webhook, the simulation) calls a
// Service method; none signals a customer's workflow itself.
//
// Contract:
//   - Each use case writes its change and the signal it owes in one transaction (table
//     signal_outbox, migration 0009): once a method has recorded an event, a crash cannot lose its
//     signal.
//   - Every event has a business key, its EventID (purchase/<purchase id>,
//     usage/<customer>/<metric>/<at>, consent/<customer>/<micros>, note/<note id>,
//     suppress/<dedupe key>, preferences/<customer>/<nanos>). An EventID recorded before owes
//     nothing new: repeating an event, or a batch, is harmless.
//   - After the commit the method delivers what the customer is owed at once (best effort): a
//     delivery that fails is not the caller's error, the event is recorded and stays owed. The
//     result says whether it was delivered (Delivered) so a caller can tell a person.
//   - Relay (worker: RelayEvery, at start and every few seconds) delivers whatever is still owed,
//     per customer in the order written, several customers at once (RelayInFlight), with
//     SignalWithStart through Lifecycle, until delivered.
//     A signal may so arrive twice (a crash after the delivery, before it is marked): every signal
//     the layer owes is harmless when heard twice (workflows: TestDuplicateEventsSendNothingTwice; e2e: drill 6, DuplicateEvents).
//   - RelayEvery also deletes signals delivered more than DeliveredSignalRetention (7 days) ago,
//     once an hour, so the outbox does not keep every event ever recorded. An event repeated after
//     that is still recognised where its change has a record of its own (a purchase, a note, a
//     suppression); a meter reading or a recall repeated so late owes its signal again, harmlessly.
//
// Methods and their inputs (all exported for the entry points to build):
//
//	Purchases(ctx, []Purchase)   order lines; purchase/<ID>
//	Usages(ctx, []Usage)         meter readings; usage/<customer>/<metric>/<at, RFC 3339 nanos>
//	Consent(ctx, Consent)        marketing consent granted or withdrawn
//	Note(ctx, Note)              referral, exit or complaint; only a complaint owes a signal
//	Reply(ctx, Reply)            a verified reply by email: a note (exit, feedback, checkin) owing the reply signal
//	Suppression(ctx, Suppression) the mail provider gave up on an address
//	Preferences(ctx, Preferences) the customer's own edit on the preference page
//	ImportCustomers(ctx, io.Reader) customers upserted from CSV; consent changes owe their signal
//	ImportPurchases(ctx, []Purchase, ImportOptions), ImportUsages(ctx, []Usage, ImportOptions)
//	                             a file's rows, ImportChunk per transaction, each chunk's
//	                             customers told while the next chunks are recorded
//	Relay(ctx, customerIDs), RelayEvery(ctx, interval, logger)
package events
