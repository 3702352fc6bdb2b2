package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

const handoffColumns = `id, customer_id, kind, what, created_at, done_at, reminded`

func scanHandoff(row pgx.Row) (lifecycle.Handoff, error) {
	var h lifecycle.Handoff
	var kind string
	var done *time.Time
	if err := row.Scan(&h.ID, &h.CustomerID, &kind, &h.What, &h.CreatedAt, &done, &h.Reminded); err != nil {
		return lifecycle.Handoff{}, err
	}
	h.Kind = lifecycle.HandoffKind(kind)
	h.CreatedAt = h.CreatedAt.UTC()
	if done != nil {
		h.DoneAt = done.UTC()
	}
	return h, nil
}

// OpenHandoff inserts h unless a hand-off with its id exists, and returns the row as it stands:
// the workflow's activity calls it on every retry.
func (s *DB) OpenHandoff(ctx context.Context, h lifecycle.Handoff) (lifecycle.Handoff, error) {
	if h.ID == "" || h.CustomerID == "" {
		return lifecycle.Handoff{}, fmt.Errorf("open hand-off %q of customer %q: id and customer are required", h.ID, h.CustomerID)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO handoffs (id, customer_id, kind, what, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING`, h.ID, h.CustomerID, string(h.Kind), h.What, h.CreatedAt)
	if isForeignKeyViolation(err) {
		return lifecycle.Handoff{}, notFound("customer", h.CustomerID)
	}
	if err != nil {
		return lifecycle.Handoff{}, fmt.Errorf("open hand-off %s: %w", h.ID, err)
	}
	return s.Handoff(ctx, h.ID)
}

// Handoff returns the hand-off with id, or an error wrapping lifecycle.ErrNotFound.
func (s *DB) Handoff(ctx context.Context, id string) (lifecycle.Handoff, error) {
	h, err := scanHandoff(s.pool.QueryRow(ctx, `SELECT `+handoffColumns+` FROM handoffs WHERE id = $1`, id))
	if isNoRows(err) {
		return lifecycle.Handoff{}, notFound("hand-off", id)
	}
	if err != nil {
		return lifecycle.Handoff{}, fmt.Errorf("load hand-off %s: %w", id, err)
	}
	return h, nil
}

// NoteHandoffReminded records that reminder n of hand-off id went out (reminded never goes
// down) and returns the row as it stands.
func (s *DB) NoteHandoffReminded(ctx context.Context, id string, n int) (lifecycle.Handoff, error) {
	if _, err := s.pool.Exec(ctx, `UPDATE handoffs SET reminded = greatest(reminded, $2) WHERE id = $1`, id, n); err != nil {
		return lifecycle.Handoff{}, fmt.Errorf("note reminder %d of hand-off %s: %w", n, id, err)
	}
	return s.Handoff(ctx, id)
}

// Handoffs lists hand-offs, oldest first: only the open ones unless all.
func (s *DB) Handoffs(ctx context.Context, all bool) ([]lifecycle.Handoff, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+handoffColumns+` FROM handoffs
		WHERE $1 OR done_at IS NULL ORDER BY created_at, id COLLATE "C"`, all)
	if err != nil {
		return nil, fmt.Errorf("list hand-offs: %w", err)
	}
	defer rows.Close()
	var out []lifecycle.Handoff
	for rows.Next() {
		h, err := scanHandoff(rows)
		if err != nil {
			return nil, fmt.Errorf("read hand-offs: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read hand-offs: %w", err)
	}
	return out, nil
}

// CompleteHandoffOwing marks hand-off id done at at and, when it was open, owes signal (built
// from the hand-off by makeSignal) in the same transaction, so the customer's workflow hears of it
// and stops reminding. It returns the row and whether this call closed it.
func (s *DB) CompleteHandoffOwing(ctx context.Context, id string, at time.Time, makeSignal func(lifecycle.Handoff) (OwedSignal, error)) (lifecycle.Handoff, bool, error) {
	var h lifecycle.Handoff
	var closed bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE handoffs SET done_at = $2 WHERE id = $1 AND done_at IS NULL`, id, at)
		if err != nil {
			return err
		}
		closed = tag.RowsAffected() == 1
		h, err = scanHandoff(tx.QueryRow(ctx, `SELECT `+handoffColumns+` FROM handoffs WHERE id = $1`, id))
		if isNoRows(err) {
			return notFound("hand-off", id)
		}
		if err != nil || !closed {
			return err
		}
		sig, err := makeSignal(h)
		if err != nil {
			return err
		}
		_, err = owe(ctx, tx, sig)
		return err
	})
	if err != nil {
		return lifecycle.Handoff{}, false, fmt.Errorf("complete hand-off %s: %w", id, err)
	}
	return h, closed, nil
}
