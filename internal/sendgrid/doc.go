// Package sendgrid delivers Tailor's emails through SendGrid's v3 mail send API.
//
// Every message carries its send-log idempotency key twice: in custom_args (so SendGrid's event
// webhook reports it back) and in an X-Tailor-Key header. Every entry of lifecycle.Email.Headers
// (List-Unsubscribe, List-Unsubscribe-Post) is sent as a mail header too. The adapter sends once per call and
// never retries; it classifies SendGrid's answer so the activity can decide: 2xx returns the
// X-Message-Id, 4xx other than 429 is a permanent *lifecycle.SendError, 429 and 5xx are transient
// ones (429 with RetryAfter from X-RateLimit-Reset), and network failures or timeouts are plain
// wrapped errors. The API key never appears in an error.
package sendgrid
