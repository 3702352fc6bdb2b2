package store

import (
	"context"
	"fmt"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// SendingPause returns the pause of all sending in force (the mail provider refuses the API key),
// and false when sending runs.
func (s *DB) SendingPause(ctx context.Context) (lifecycle.SendingPause, bool, error) {
	var p lifecycle.SendingPause
	err := s.pool.QueryRow(ctx, `
		SELECT since, provider_status, message, last_refused_at FROM sending_pause WHERE id = 1`).
		Scan(&p.Since, &p.Status, &p.Message, &p.LastRefusedAt)
	switch {
	case isNoRows(err):
		return lifecycle.SendingPause{}, false, nil
	case err != nil:
		return lifecycle.SendingPause{}, false, fmt.Errorf("read sending pause: %w", err)
	}
	return p, true, nil
}

// PauseSending records that the provider refused the API key. A pause already recorded keeps its
// Since (the outage began then) and takes p's status, message and last refusal.
func (s *DB) PauseSending(ctx context.Context, p lifecycle.SendingPause) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO sending_pause (id, since, provider_status, message, last_refused_at)
		VALUES (1, $1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET provider_status = EXCLUDED.provider_status,
		    message = EXCLUDED.message, last_refused_at = EXCLUDED.last_refused_at`,
		p.Since, p.Status, p.Message, p.LastRefusedAt)
	if err != nil {
		return fmt.Errorf("record sending pause: %w", err)
	}
	return nil
}

// ResumeSending ends the pause: the provider accepted an email. Without a pause it does nothing.
func (s *DB) ResumeSending(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sending_pause`); err != nil {
		return fmt.Errorf("end sending pause: %w", err)
	}
	return nil
}
