package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// DataKeysByMasterKey counts the customers' data keys per master key id that wraps them.
func (s *DB) DataKeysByMasterKey(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT master_key_id, count(*) FROM customer_data_keys GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("count data keys per master key: %w", err)
	}
	out := map[string]int64{}
	var id string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("count data keys per master key: %w", err)
	}
	return out, nil
}

// DataKeysNotWrappedBy returns up to limit data keys wrapped by another master key than
// masterKeyID, in order of id after afterID ("" for the first page).
func (s *DB) DataKeysNotWrappedBy(ctx context.Context, masterKeyID, afterID string, limit int) ([]lifecycle.WrappedDataKey, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, customer_id, master_key_id, wrapped, created_at FROM customer_data_keys
		WHERE master_key_id <> $1 AND id > $2
		ORDER BY id LIMIT $3`, masterKeyID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list data keys not wrapped by %s: %w", masterKeyID, err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lifecycle.WrappedDataKey, error) {
		var k lifecycle.WrappedDataKey
		err := r.Scan(&k.ID, &k.CustomerID, &k.MasterKeyID, &k.Wrapped, &k.CreatedAt)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("list data keys not wrapped by %s: %w", masterKeyID, err)
	}
	return keys, nil
}

// ReplaceDataKeyWrapping stores rewrapped in place of old, the same data key wrapped by another
// master key, and reports whether it did: not when the row is gone (the customer was forgotten
// meanwhile) or no longer holds old (another rewrap came first).
func (s *DB) ReplaceDataKeyWrapping(ctx context.Context, old, rewrapped lifecycle.WrappedDataKey) (bool, error) {
	if old.ID != rewrapped.ID || old.CustomerID != rewrapped.CustomerID {
		return false, fmt.Errorf("rewrap data key %s: the new wrapping is of key %s of customer %s, not the same key", old.ID, rewrapped.ID, rewrapped.CustomerID)
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE customer_data_keys SET master_key_id = $3, wrapped = $4
		WHERE id = $1 AND master_key_id = $2 AND wrapped = $5`,
		old.ID, old.MasterKeyID, rewrapped.MasterKeyID, rewrapped.Wrapped, old.Wrapped)
	if err != nil {
		return false, fmt.Errorf("rewrap data key %s: %w", old.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}
