package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// EmailEvent is one event SendGrid reported about an email (delivered, open, click, bounce, ...).
type EmailEvent struct {
	// DedupeKey identifies the event across SendGrid's redeliveries; see eventwebhook.DedupeKey.
	DedupeKey   string
	SendKey     string // lifecycle.SendKey of the email (custom arg idempotency_key); "" for other mail
	CustomerID  string // custom arg customer_id; "" when absent
	Kind        string // custom arg kind; "" when absent
	SGMessageID string
	Email       string // stored lower-cased
	Event       string
	OccurredAt  time.Time
	URL         string // click
	Reason      string // bounce, dropped
	BounceType  string // bounce: "bounce" (permanent) or "blocked" (temporary)
	ReceivedAt  time.Time
}

// NormalizeEmail is how addresses are compared: trimmed and lower-cased. Strictly only the domain
// is case-insensitive, but no mailbox provider Tailor mails treats Ann@ and ann@ differently.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// RecordEmailEvent stores e under e.DedupeKey unless an event with that key is there already, and
// reports whether e was new. A zero e.ReceivedAt means the database's current time. A new
// delivered, open or click event of one of Tailor's emails also sets, in the same statement, the
// email's send_log delivered_at, opened_at or clicked_at to the earliest such event (migration
// 0016): the report counts them there.
func (s *DB) RecordEmailEvent(ctx context.Context, e EmailEvent) (bool, error) {
	if e.DedupeKey == "" {
		return false, errors.New("record email event: empty dedupe key")
	}
	var receivedAt *time.Time
	if !e.ReceivedAt.IsZero() {
		receivedAt = &e.ReceivedAt
	}
	var inserted int
	err := s.pool.QueryRow(ctx, `
		WITH inserted AS (
			INSERT INTO email_events (dedupe_key, send_key, customer_id, kind, sg_message_id, email, event,
			                          occurred_at, url, reason, bounce_type, received_at)
			SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::timestamptz, $9::text, $10::text, $11::text, coalesce($12::timestamptz, now())
			-- A late event about a forgotten customer is dropped (starter forget).
			WHERE $3 = '' OR NOT EXISTS (SELECT 1 FROM forgotten_customers WHERE id_hash = $13)
			ON CONFLICT (dedupe_key) DO NOTHING
			RETURNING send_key, event, occurred_at
		), engaged AS (
			UPDATE send_log sl SET
				delivered_at = CASE WHEN i.event = 'delivered' THEN least(sl.delivered_at, i.occurred_at) ELSE sl.delivered_at END,
				opened_at = CASE WHEN i.event = 'open' THEN least(sl.opened_at, i.occurred_at) ELSE sl.opened_at END,
				clicked_at = CASE WHEN i.event = 'click' THEN least(sl.clicked_at, i.occurred_at) ELSE sl.clicked_at END
			FROM inserted i
			WHERE sl.key = i.send_key AND i.send_key <> '' AND i.event IN ('delivered', 'open', 'click')
		)
		SELECT count(*) FROM inserted`,
		e.DedupeKey, e.SendKey, e.CustomerID, e.Kind, e.SGMessageID, NormalizeEmail(e.Email), e.Event,
		e.OccurredAt, e.URL, e.Reason, e.BounceType, receivedAt, ForgetIDHash(e.CustomerID)).Scan(&inserted)
	if err != nil {
		return false, fmt.Errorf("record %s event for %s: %w", e.Event, e.SendKey, err)
	}
	return inserted == 1, nil
}

// EmailEventRecorded reports whether an event with dedupeKey is stored.
func (s *DB) EmailEventRecorded(ctx context.Context, dedupeKey string) (bool, error) {
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM email_events WHERE dedupe_key = $1)`, dedupeKey).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("look up email event %s: %w", dedupeKey, err)
	}
	return found, nil
}

// EmailEvents returns the events of the email with sendKey, ordered by when they happened.
func (s *DB) EmailEvents(ctx context.Context, sendKey string) ([]EmailEvent, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT dedupe_key, send_key, customer_id, kind, sg_message_id, email, event, occurred_at,
		       url, reason, bounce_type, received_at
		FROM email_events WHERE send_key = $1
		ORDER BY occurred_at, received_at, dedupe_key COLLATE "C"`, sendKey)
	if err != nil {
		return nil, fmt.Errorf("read email events of %s: %w", sendKey, err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (EmailEvent, error) {
		var e EmailEvent
		err := r.Scan(&e.DedupeKey, &e.SendKey, &e.CustomerID, &e.Kind, &e.SGMessageID, &e.Email, &e.Event,
			&e.OccurredAt, &e.URL, &e.Reason, &e.BounceType, &e.ReceivedAt)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read email events of %s: %w", sendKey, err)
	}
	return events, nil
}

// Suppress stops all marketing mail to email (compared case-insensitively) because of reason, e.g.
// bounce or spamreport. Suppressing an address again keeps the first reason and time.
func (s *DB) Suppress(ctx context.Context, email, reason string, at time.Time) error {
	_, err := s.SuppressOwing(ctx, email, reason, at, nil)
	return err
}

// SuppressOwing suppresses email as Suppress does and owes signal (if not nil) in the same
// transaction; a signal whose event id is recorded already owes nothing new. It reports whether
// signal was new.
func (s *DB) SuppressOwing(ctx context.Context, email, reason string, at time.Time, signal *OwedSignal) (bool, error) {
	addr := NormalizeEmail(email)
	if addr == "" && signal == nil {
		return false, errors.New("suppress: empty email address")
	}
	owedNew := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if addr != "" {
			if _, err := tx.Exec(ctx, `
				INSERT INTO suppressions (email, reason, created_at) VALUES ($1, $2, $3)
				ON CONFLICT (email) DO NOTHING`, addr, reason, at); err != nil {
				return err
			}
		}
		if signal != nil {
			n, err := owe(ctx, tx, *signal)
			owedNew = n == 1
			return err
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("suppress %s: %w", addr, err)
	}
	return owedNew, nil
}

// IsSuppressed reports whether email (compared case-insensitively) is suppressed, also when the
// suppression outlived a forgotten customer (erased_suppressions, migration 0021).
func (s *DB) IsSuppressed(ctx context.Context, email string) (bool, error) {
	var found bool
	addr := NormalizeEmail(email)
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM suppressions WHERE email = $1)
		OR EXISTS (SELECT 1 FROM erased_suppressions WHERE email_sha256 = sha256(convert_to($1, 'UTF8')))`, addr).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("look up suppression of %s: %w", addr, err)
	}
	return found, nil
}

// CustomerExists reports whether a customer with id is in the customers table. The webhook asks
// before signalling: a suppression for an id Tailor does not know must not start a workflow.
func (s *DB) CustomerExists(ctx context.Context, id string) (bool, error) {
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)`, id).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("look up customer %s: %w", id, err)
	}
	return found, nil
}

// RejectedEmailEvent is a SendGrid event the webhook refused to apply (see migration 0006).
type RejectedEmailEvent struct {
	DedupeKey  string // eventwebhook's content hash, or "raw:" + SHA-256 of Raw when the event is not a JSON object
	Reason     string // undecodable, invalid_text, too_long or database
	ErrorCode  string // SQLSTATE when the database refused it; "" otherwise
	Detail     string // what was wrong, for a person
	Raw        string // the event's JSON as received
	ReceivedAt time.Time
}

// MaxRejectedRawBytes caps the JSON kept of one rejected event.
const MaxRejectedRawBytes = 16 << 10

// RecordRejectedEmailEvent keeps r once per r.DedupeKey and reports whether it was new. Raw and
// Detail are made storable first (NUL bytes and invalid UTF-8 replaced by U+FFFD, Raw capped at
// MaxRejectedRawBytes, Detail at 1 KiB), since the event is here because its text may not be.
// A zero r.ReceivedAt means the database's current time.
func (s *DB) RecordRejectedEmailEvent(ctx context.Context, r RejectedEmailEvent) (bool, error) {
	if r.DedupeKey == "" {
		return false, errors.New("record rejected email event: empty dedupe key")
	}
	var receivedAt *time.Time
	if !r.ReceivedAt.IsZero() {
		receivedAt = &r.ReceivedAt
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO rejected_email_events (dedupe_key, reason, error_code, detail, raw, received_at)
		VALUES ($1, $2, $3, $4, $5, coalesce($6, now()))
		ON CONFLICT (dedupe_key) DO NOTHING`,
		StorableText(r.DedupeKey, 200), StorableText(r.Reason, 100), StorableText(r.ErrorCode, 5),
		StorableText(r.Detail, 1<<10), StorableText(r.Raw, MaxRejectedRawBytes), receivedAt)
	if err != nil {
		return false, fmt.Errorf("record rejected email event %s: %w", r.DedupeKey, err)
	}
	return tag.RowsAffected() == 1, nil
}

// StorableText is s as a PostgreSQL text value can hold it: invalid UTF-8 and NUL bytes replaced by
// U+FFFD, then cut to at most maxBytes on a rune boundary.
func StorableText(s string, maxBytes int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) <= maxBytes {
		return s
	}
	cut := maxBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// RefusedContent reports whether err is PostgreSQL refusing a value for what it holds rather than
// for the state of the connection or the database: SQLSTATE class 22 (data exception, e.g. 22021
// for a NUL byte in text, 22001 for a string too long, 22008 for a timestamp out of range) or
// 23514 (a CHECK constraint). Retrying such a write fails the same way. It returns the SQLSTATE.
func RefusedContent(err error) (code string, ok bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return "", false
	}
	if strings.HasPrefix(pgErr.Code, "22") || pgErr.Code == "23514" {
		return pgErr.Code, true
	}
	return "", false
}
