package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// sqlKeyEscape is lifecycle.KeyEscape in SQL, for queries that rebuild send keys from a customer
// id column: "%" first, so the "%" of %2F is not escaped again.
func sqlKeyEscape(column string) string {
	return `replace(replace(` + column + `, '%', '%25'), '/', '%2F')`
}

const sendColumns = `key, customer_id, kind, subject, status, provider_message_id, error, created_at, sent_at`

func scanSend(row pgx.Row) (lifecycle.SendRecord, error) {
	var (
		r      lifecycle.SendRecord
		sentAt *time.Time
	)
	err := row.Scan(&r.Key, &r.CustomerID, &r.Kind, &r.Subject, &r.Status, &r.MessageID, &r.Error, &r.CreatedAt, &sentAt)
	if sentAt != nil {
		r.SentAt = *sentAt
	}
	return r, err
}

// ClaimSend reserves r.Key in the send log with status claimed unless the key is already there,
// and returns the row as it stands afterwards, so a caller sees when the email already went out.
// A row already there for another customer or kind is an error wrapping
// lifecycle.ErrSendKeyConflict. A zero r.CreatedAt means the database's current time.
//
// The row keeps the customer's value segment at the claim, which the report groups by (the segment
// the email went out under). Claiming a confirmation marks the offer it confirms accepted (send_log.accepted_at, set by a
// trigger of migration 0026 in the same statement), which the report counts.
func (s *DB) ClaimSend(ctx context.Context, r lifecycle.SendRecord) (lifecycle.SendRecord, error) {
	var createdAt *time.Time
	if !r.CreatedAt.IsZero() {
		createdAt = &r.CreatedAt
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO send_log (key, customer_id, kind, subject, status, created_at, behaviour, segment)
		VALUES ($1, $2, $3, $4, 'claimed', coalesce($5, now()), $6,
			coalesce((SELECT segment FROM customer_segments WHERE customer_id = $2), ''))
		ON CONFLICT (key) DO NOTHING`, r.Key, r.CustomerID, string(r.Kind), r.Subject, createdAt, string(r.Behaviour))
	if err != nil {
		return lifecycle.SendRecord{}, fmt.Errorf("claim send %s: %w", r.Key, err)
	}
	got, err := scanSend(s.pool.QueryRow(ctx, `SELECT `+sendColumns+` FROM send_log WHERE key = $1`, r.Key))
	if err != nil {
		return lifecycle.SendRecord{}, fmt.Errorf("claim send %s: %w", r.Key, err)
	}
	// A key claimed for someone else must not answer for this send: its "sent" would be a lost
	// email. SendKey makes this impossible for new keys; rows written before it escaped ids may
	// still collide.
	if got.CustomerID != r.CustomerID || got.Kind != r.Kind {
		return lifecycle.SendRecord{}, fmt.Errorf("claim send %s for customer %q (%s): the send log has it for customer %q (%s): %w",
			r.Key, r.CustomerID, r.Kind, got.CustomerID, got.Kind, lifecycle.ErrSendKeyConflict)
	}
	return got, nil
}

// MarkSent records that the provider accepted the email under key with messageID.
func (s *DB) MarkSent(ctx context.Context, key, messageID string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE send_log SET status = 'sent', provider_message_id = $2, sent_at = $3, error = ''
		WHERE key = $1`, key, messageID, at)
	if err != nil {
		return fmt.Errorf("mark %s sent: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("send", key)
	}
	return nil
}

// MarkFailed records that the provider refused the email under key for good. A send already
// marked sent stays sent.
func (s *DB) MarkFailed(ctx context.Context, key, reason string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE send_log
		SET status = CASE WHEN status = 'sent' THEN status ELSE 'failed' END,
		    error  = CASE WHEN status = 'sent' THEN error ELSE $2 END
		WHERE key = $1`, key, reason)
	if err != nil {
		return fmt.Errorf("mark %s failed: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("send", key)
	}
	return nil
}

// SendLog returns the customer's send-log rows ordered by creation; customerID "" returns all.
func (s *DB) SendLog(ctx context.Context, customerID string) ([]lifecycle.SendRecord, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+sendColumns+` FROM send_log
		WHERE $1 = '' OR customer_id = $1
		ORDER BY created_at, key COLLATE "C"`, customerID)
	if err != nil {
		return nil, fmt.Errorf("read send log of %q: %w", customerID, err)
	}
	log, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lifecycle.SendRecord, error) { return scanSend(r) })
	if err != nil {
		return nil, fmt.Errorf("read send log of %q: %w", customerID, err)
	}
	return log, nil
}

// OutboxEmail is one email saved by SaveOutboxEmail.
type OutboxEmail struct {
	Key        string
	CustomerID string
	ToEmail    string
	ToName     string
	Subject    string
	Text       string
	HTML       string
	MessageID  string
	CreatedAt  time.Time
}

// SaveOutboxEmail stores e under its send-log key; saving the same key again keeps the first copy.
func (s *DB) SaveOutboxEmail(ctx context.Context, e lifecycle.Email, messageID string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO outbox (key, customer_id, to_email, to_name, subject, html, text, message_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (key) DO NOTHING`,
		e.Key, e.CustomerID, e.ToEmail, e.ToName, e.Subject, e.HTML, e.Text, messageID, at)
	if err != nil {
		return fmt.Errorf("save outbox email %s: %w", e.Key, err)
	}
	return nil
}

// Outbox returns the customer's saved emails ordered by creation then key; customerID "" returns
// all of them.
func (s *DB) Outbox(ctx context.Context, customerID string) ([]OutboxEmail, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT key, customer_id, to_email, to_name, subject, text, html, message_id, created_at
		FROM outbox
		WHERE $1 = '' OR customer_id = $1
		ORDER BY created_at, key COLLATE "C"`, customerID)
	if err != nil {
		return nil, fmt.Errorf("read outbox of %q: %w", customerID, err)
	}
	emails, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OutboxEmail, error) {
		var e OutboxEmail
		err := r.Scan(&e.Key, &e.CustomerID, &e.ToEmail, &e.ToName, &e.Subject, &e.Text, &e.HTML, &e.MessageID, &e.CreatedAt)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox of %q: %w", customerID, err)
	}
	return emails, nil
}
