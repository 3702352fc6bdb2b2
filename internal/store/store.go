// Package store is Tailor's customer database on PostgreSQL (pgx/v5): customers, preferences,
// products, purchases, wishes, the send log and the outbox. It implements activities.Store and the
// imports and queries the worker and the starter CLI need.
//
// Colours, sizes and categories are stored normalized (lifecycle.Normalize) and every query
// normalizes its arguments the same way, so "Grey " matches "grey". Unknown ids come back as
// errors wrapping lifecycle.ErrNotFound. Sorted id lists use byte order, like sort.Strings.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// DB is a pool of connections to Tailor's database. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	// attributionWindow: RecordPurchase credits a purchase to a marketing email at most this long
	// before it (lifecycle.Policy.AttributionWindow).
	attributionWindow time.Duration
}

// Option configures a DB at Open.
type Option func(*DB)

// WithAttributionWindow sets the policy's attribution window (default
// lifecycle.DefaultAttributionWindow; zero or less keeps it).
func WithAttributionWindow(d time.Duration) Option {
	return func(db *DB) {
		if d > 0 {
			db.attributionWindow = d
		}
	}
}

// Open connects to databaseURL (a postgres:// URL or key=value DSN) and checks the server answers.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*DB, error) {
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := &DB{pool: pool, attributionWindow: lifecycle.DefaultAttributionWindow}
	for _, opt := range opts {
		opt(db)
	}
	return db, nil
}

// Close waits for queries in flight and closes all connections.
func (s *DB) Close() { s.pool.Close() }

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the pg_advisory_xact_lock key that serializes concurrent Migrate calls
// (several workers starting at once).
const migrationLockID int64 = 0x7461696c6f72 // "tailor"

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations ordered by version. Files are named NNNN_name.sql.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must look like 0001_description.sql", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: e.Name(), sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

// Migrate applies the embedded migrations that the database has not seen yet, in order, in one
// transaction, and records each in schema_migrations. It is idempotent, and concurrent callers
// wait for each other on an advisory lock.
func (s *DB) Migrate(ctx context.Context) error {
	all, err := migrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Lock before touching schema_migrations: two concurrent CREATE TABLE IF NOT EXISTS can
		// still collide on the catalog.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockID); err != nil {
			return err
		}
		// Migrations that need the store's attribution window (0026 fills each held-out
		// follow-up's purchases within it) read it from this setting, for this transaction only.
		if _, err := tx.Exec(ctx, `SELECT set_config('tailor.attribution_window', $1, true)`,
			fmt.Sprintf("%d microseconds", s.attributionWindow.Microseconds())); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		for _, m := range all {
			if slices.Contains(applied, m.version) {
				continue
			}
			// No arguments: pgx sends it as a simple query, so a file may hold many statements.
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// notFound builds the error for an unknown id: `customer "c42": not found`.
func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, lifecycle.ErrNotFound)
}

// isNoRows reports whether err says a query matched no row.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
