package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	temporallog "go.temporal.io/sdk/log"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// connectTimeout bounds connecting to PostgreSQL or Temporal, so a server that is down is
// reported instead of waited for.
const connectTimeout = 15 * time.Second

// app holds what a command needs; config and connections are made on first use and closed once.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time

	cfg      *config.Starter
	store    *store.DB
	temporal client.Client
	// payloads reads what the client cannot decode by itself, such as memos: the codec's data
	// converter when TAILOR_CODEC_KEYS is set. Set with temporal.
	payloads converter.DataConverter
}

func (a *app) close() {
	if a.temporal != nil {
		a.temporal.Close()
	}
	if a.store != nil {
		a.store.Close()
	}
}

// config reads the environment on first use; every problem is reported at once.
func (a *app) config() (config.Starter, error) {
	if a.cfg == nil {
		cfg, err := config.LoadStarter(a.getenv)
		if err != nil {
			return config.Starter{}, fmt.Errorf("configuration from the environment is wrong; fix these and run again:\n%w", err)
		}
		a.cfg = &cfg
	}
	return *a.cfg, nil
}

// db connects to PostgreSQL on first use.
func (a *app) db(ctx context.Context) (*store.DB, error) {
	if a.store != nil {
		return a.store, nil
	}
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	st, err := store.Open(ctx, cfg.DatabaseURL, store.WithAttributionWindow(cfg.Policy.AttributionWindow))
	if err != nil {
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s (DATABASE_URL): start PostgreSQL or set DATABASE_URL: %w",
			describeDatabase(cfg.DatabaseURL), err)
	}
	a.store = st
	return st, nil
}

// configAndDB is the configuration and the PostgreSQL connection, for the commands that need both.
func (a *app) configAndDB(ctx context.Context) (config.Starter, *store.DB, error) {
	st, err := a.db(ctx)
	if err != nil {
		return config.Starter{}, nil, err
	}
	cfg, err := a.config()
	return cfg, st, err
}

// temporalClient connects to the Temporal frontend on first use.
func (a *app) temporalClient(ctx context.Context) (client.Client, error) {
	if a.temporal != nil {
		return a.temporal, nil
	}
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	// The same keys as the worker: the starter's signals carry customer data, and status and
	// explain read the workflows' encrypted answers.
	codecCfg, opts := cfg.Codec, cfg.Temporal
	if codecCfg.Enabled() {
		// Each customer's payloads are under the customer's own data key, kept in PostgreSQL.
		st, err := a.db(ctx)
		if err != nil {
			return nil, err
		}
		codecCfg = codecCfg.WithDataKeys(st, workflows.CustomerIDOf)
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	// The SDK logs at info level by default; a command line only wants its warnings.
	logger := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.Logger = temporallog.NewStructuredLogger(logger)
	opts.DataConverter = codecCfg.DataConverter()
	opts.FailureConverter = codecCfg.FailureConverter()
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (TEMPORAL_ADDRESS), namespace %q (TEMPORAL_NAMESPACE): start the server (temporal server start-dev) or fix the variables (for TLS, API keys and mTLS: README, Connecting to Temporal Cloud or your own cluster): %w",
			opts.HostPort, opts.Namespace, err)
	}
	a.temporal = c
	a.payloads = codecCfg.DataConverter() // nil: the default
	return c, nil
}

// payloadConverter decodes payloads the client hands over raw, such as memos, with the same
// codec as the client.
func (a *app) payloadConverter() converter.DataConverter {
	if a.payloads == nil {
		return converter.GetDefaultDataConverter()
	}
	return a.payloads
}

// describeDatabase names a database without its password: host:port/dbname.
func describeDatabase(databaseURL string) string {
	pc, err := pgconn.ParseConfig(databaseURL)
	if err != nil {
		return "the DATABASE_URL (which does not parse)"
	}
	return fmt.Sprintf("%s:%d/%s", pc.Host, pc.Port, pc.Database)
}

// explainStoreError adds what to do to errors a fresh machine typically meets.
func explainStoreError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return fmt.Errorf("%w\nthe database has no Tailor tables yet: run `starter setup` first", err)
	}
	return err
}
