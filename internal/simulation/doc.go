// Package simulation runs one customer's year through the real CustomerLifecycle workflow in
// Temporal's time-skipping test environment, in seconds and without the network.
//
// A scenario (YAML, see docs/SCENARIOS.md) declares a customer, a small catalogue, a timeline of
// shop events at day offsets and expectations about the emails, the workflow's decisions and the
// final stage. Run replays the events as the production callers would (a restock adds stock first,
// an unsubscribe or a consent change is saved first, a suppression is recorded first, then the
// signal; meter readings, complaints and segments are signals; "yes, I'm interested" and check-in
// answers go through the workflow's Updates), with the production activities, templates and
// contact policy, against an in-memory Catalogue that keeps internal/store's semantics and a
// recorder in place of the mail provider. It queries the workflow's status before every event and
// at the end, so the bounded decision list loses nothing, and returns a Result: the timeline of
// events and decisions, the rendered emails and the outcome of every expectation.
package simulation
