// Package sink is a stand-in for SendGrid's v3 mail send API, for tests, the end-to-end
// test, demos and benchmarks. It accepts POST /v3/mail/send like SendGrid does (Bearer API key,
// the same minimal validation, 202 with a fresh X-Message-Id), keeps every accepted message in
// memory, and can be told to fail or stall the next requests so callers can test their error
// handling. GET /messages lists what it accepted; DELETE /messages forgets it.
//
// It is not a mail server: nothing is delivered anywhere.
package sink
