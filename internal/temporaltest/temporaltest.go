// Package temporaltest starts the pinned Temporal dev server for tests that need a real server.
//
// It is a test helper: only _test.go files import it (scripts/test.sh fails when a production
// package does, as it fails for any package outside a *test helper that imports testing).
package temporaltest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/workflows"
)

// Server is a running dev server.
type Server struct {
	HostPort string
	Client   client.Client
}

// Start runs the Temporal CLI at TEMPORAL_CLI_PATH (scripts/test.sh builds the pinned version into
// .bin/) with Tailor's search attributes registered, and stops it when the test ends. It never
// downloads: a missing CLI fails the test with the command that builds it.
func Start(t testing.TB) *Server {
	t.Helper()
	path := CLIPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: path,
		ClientOptions: &client.Options{
			Namespace: "default",
			Logger:    log.NewStructuredLogger(slog.New(slog.DiscardHandler)),
		},
		LogLevel:         "error",
		SearchAttributes: keywordAttributes(workflows.SearchAttributes),
		Stdout:           io.Discard,
		Stderr:           io.Discard,
	})
	if err != nil {
		t.Fatalf("start Temporal dev server from %s: %v", path, err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return &Server{HostPort: srv.FrontendHostPort(), Client: srv.Client()}
}

// CLIPath returns the absolute path of the Temporal CLI: TEMPORAL_CLI_PATH, or .bin/temporal in
// the repository root. A missing CLI fails the test with the command that builds it.
func CLIPath(t testing.TB) string {
	t.Helper()
	path := os.Getenv("TEMPORAL_CLI_PATH")
	if path == "" {
		if root, err := repoRoot(); err == nil {
			path = filepath.Join(root, ".bin", "temporal")
		}
	}
	abs, err := filepath.Abs(path)
	if err == nil {
		var info os.FileInfo
		if info, err = os.Stat(abs); err == nil && info.IsDir() {
			err = errors.New("a directory")
		}
	}
	if path == "" || err != nil {
		t.Fatalf("Temporal CLI not found at %q (TEMPORAL_CLI_PATH): run scripts/test.sh, or "+
			"GOBIN=$PWD/.bin go install github.com/temporalio/cli/cmd/temporal@v1.5.1", path)
	}
	return abs
}

// keywordAttributes declares names as Keyword search attributes (values are ignored).
func keywordAttributes(names []string) temporal.SearchAttributes {
	updates := make([]temporal.SearchAttributeUpdate, len(names))
	for i, name := range names {
		updates[i] = temporal.NewSearchAttributeKeyKeyword(name).ValueSet("")
	}
	return temporal.NewSearchAttributes(updates...)
}

// repoRoot finds the directory holding go.mod, so tests in any package find .bin/temporal.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
