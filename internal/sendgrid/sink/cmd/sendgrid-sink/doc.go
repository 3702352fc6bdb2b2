// Command sendgrid-sink serves a sink.Sink so demos, the end-to-end test and benchmarks can
// point Tailor's SendGrid adapter (SENDGRID_BASE_URL) at a local stand-in instead of SendGrid.
//
//	sendgrid-sink --addr 127.0.0.1:8025 --api-key KEY
//
// POST /v3/mail/send behaves like SendGrid's mail send; GET /messages returns every accepted
// message as JSON, in arrival order; DELETE /messages forgets them. Messages live in memory only.
// SIGINT or SIGTERM stops the server after in-flight requests finish.
package main
