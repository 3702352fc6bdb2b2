package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// EmailEvent is one event SendGrid reported about an email (delivered, open, click, bounce, ...).
type EmailEvent struct {
	// DedupeKey identifies the event across SendGrid's redeliveries; see sendgridwebhook.DedupeKey.
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
// reports whether e was new. A zero e.ReceivedAt means the database's current time.
func (s *Store) RecordEmailEvent(ctx context.Context, e EmailEvent) (bool, error) {
	if e.DedupeKey == "" {
		return false, errors.New("record email event: empty dedupe key")
	}
	var receivedAt *time.Time
	if !e.ReceivedAt.IsZero() {
		receivedAt = &e.ReceivedAt
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO email_events (dedupe_key, send_key, customer_id, kind, sg_message_id, email, event,
		                          occurred_at, url, reason, bounce_type, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, coalesce($12, now()))
		ON CONFLICT (dedupe_key) DO NOTHING`,
		e.DedupeKey, e.SendKey, e.CustomerID, e.Kind, e.SGMessageID, NormalizeEmail(e.Email), e.Event,
		e.OccurredAt, e.URL, e.Reason, e.BounceType, receivedAt)
	if err != nil {
		return false, fmt.Errorf("record %s event for %s: %w", e.Event, e.SendKey, err)
	}
	return tag.RowsAffected() == 1, nil
}

// EmailEventRecorded reports whether an event with dedupeKey is stored.
func (s *Store) EmailEventRecorded(ctx context.Context, dedupeKey string) (bool, error) {
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM email_events WHERE dedupe_key = $1)`, dedupeKey).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("look up email event %s: %w", dedupeKey, err)
	}
	return found, nil
}

// EmailEvents returns the events of the email with sendKey, ordered by when they happened.
func (s *Store) EmailEvents(ctx context.Context, sendKey string) ([]EmailEvent, error) {
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
func (s *Store) Suppress(ctx context.Context, email, reason string, at time.Time) error {
	addr := NormalizeEmail(email)
	if addr == "" {
		return errors.New("suppress: empty email address")
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO suppressions (email, reason, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (email) DO NOTHING`, addr, reason, at)
	if err != nil {
		return fmt.Errorf("suppress %s: %w", addr, err)
	}
	return nil
}

// IsSuppressed reports whether email (compared case-insensitively) is suppressed.
func (s *Store) IsSuppressed(ctx context.Context, email string) (bool, error) {
	var found bool
	addr := NormalizeEmail(email)
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM suppressions WHERE email = $1)`, addr).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("look up suppression of %s: %w", addr, err)
	}
	return found, nil
}
