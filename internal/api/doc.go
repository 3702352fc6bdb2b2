// Package api is the HTTP API the shop's own systems (order system, stock system, meter feed, CRM)
// send events to: POST /api/v1/events, a batch of typed events, and GET /api/v1/openapi.json, the
// OpenAPI 3 document that describes it.
//
// Contract:
//   - Every request under /api/v1/ needs a bearer token from Config.Tokens, compared in constant
//     time; New refuses a Config without tokens. Tokens never appear in a log or an answer.
//   - A batch is at most MaxBodyBytes and MaxEvents events; at most Config.MaxConcurrent batches
//     are handled at once, one more gets 503 with Retry-After without its body being read.
//   - Each event is checked on its own (ids through lifecycle.ValidateID, text through
//     lifecycle.CheckLine, addresses through lifecycle.ValidateEmail, times RFC 3339, numbers in
//     range); an invalid one gets its problems with field paths (events[3].lines[0].sku: required)
//     and the answer is 422, while the valid events of the batch are still applied, in order.
//   - The batch's events are applied one after another; then Events.Deliver tells their customers'
//     workflows, several customers at once, each customer's events in the order applied, before the
//     answer. For a caller nothing changes from each event delivering its own: the same answer, and
//     a signal that cannot be delivered stays owed for the worker's relay, never failing an event.
//   - Idempotent by event id: an applied event's result is kept (Ledger) and a retried batch gets
//     the same results without applying anything twice; an id reused for a different event is
//     refused. An event whose handling failed for a reason that may pass (Temporal or PostgreSQL
//     unreachable) is not kept, the answer is 503, and retrying the batch is safe.
//   - The package applies events only through the Events interface it declares; the worker wires
//     it to the event layer.
package api
