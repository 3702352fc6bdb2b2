// Package storetest gives each test its own freshly migrated Tailor database on a real
// PostgreSQL server, dropped again when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tailorhq/tailor/internal/store"
)

// DefaultURL is the server used when TEST_DATABASE_URL is unset: the local PostgreSQL with
// trust authentication.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// New creates a uniquely named database on the server at TEST_DATABASE_URL (default DefaultURL),
// opens a store on it and migrates it. It returns the store and the new database's URL, for
// binaries under test. Cleanup closes the store and drops the database.
func New(t testing.TB) (*store.DB, string) {
	t.Helper()
	adminURL := os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		adminURL = DefaultURL
	}
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("storetest: TEST_DATABASE_URL must be a postgres:// URL like %s", DefaultURL)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := connect(ctx, t, adminURL, u)
	defer admin.Close(ctx)

	name := "tailor_test_" + randomHex(t)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("storetest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { dropDatabase(t, adminURL, u, name) })

	dbURL := *u
	dbURL.Path = "/" + name
	s, err := store.Open(ctx, dbURL.String())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(s.Close)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return s, dbURL.String()
}

// connect opens an admin connection, failing the test with instructions when nothing answers.
func connect(ctx context.Context, t testing.TB, adminURL string, u *url.URL) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("storetest: cannot reach PostgreSQL at %s (TEST_DATABASE_URL): %v\n"+
			"Start the local server with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"+
			"or point TEST_DATABASE_URL at a server where this user may create databases.",
			u.Redacted(), err)
	}
	return conn
}

func dropDatabase(t testing.TB, adminURL string, u *url.URL, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := connect(ctx, t, adminURL, u)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("storetest: drop database %s: %v", name, err)
	}
}

func randomHex(t testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("storetest: random database name: %v", err)
	}
	return hex.EncodeToString(b)
}
