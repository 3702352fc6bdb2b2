// Package outbox is the local mailbox Tailor uses when no SENDGRID_API_KEY is set: instead of
// sending, it records each email through a Recorder (the store's outbox table) and, when given a
// directory, writes it as <dir>/<customer id>/<kind>-<key>.html and .txt so a person can open it.
//
// It is idempotent on the email's key: the same key always yields the same message id and the
// same files, so an activity retry overwrites rather than duplicates.
package outbox
