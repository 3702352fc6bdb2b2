// Package temporaltest gives tests a real Temporal server: the pinned dev server, started per test,
// or, when TAILOR_TEST_TEMPORAL_ADDRESS is set, a server already running there (the
// PostgreSQL-backed one of scripts/temporal-postgres.sh), in a namespace of the test's own.
//
// It is a test helper: only _test.go files import it (scripts/test.sh fails when a production
// package does, as it fails for any package outside a *test helper that imports testing).
package temporaltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tailorhq/tailor/workflows"
)

// ExternalAddressEnv names the variable that points the tests at a running Temporal server
// instead of a dev server per test: scripts/test-postgres-temporal.sh sets it.
const ExternalAddressEnv = "TAILOR_TEST_TEMPORAL_ADDRESS"

// namespaceCacheRefresh is the server's system.namespaceCacheRefreshInterval (2 s by default, and
// in deploy/temporal-postgres/dynamicconfig.yaml), plus a margin: how long after a change to a
// namespace every service of the server may still use its cached copy.
const namespaceCacheRefresh = 2*time.Second + time.Second

// namespaceReadyTimeout bounds how long a new namespace, and its search attributes, may take to
// reach the server's caches (system.namespaceCacheRefreshInterval, 2 s by default).
const namespaceReadyTimeout = 60 * time.Second

// Server is a running Temporal server and a client of the test's namespace on it.
type Server struct {
	HostPort  string
	Namespace string // "default" on a dev server; a fresh one per test on an external server
	Client    client.Client
}

// External reports whether the tests run against the server at TAILOR_TEST_TEMPORAL_ADDRESS, and
// returns its address.
func External() (string, bool) {
	addr := os.Getenv(ExternalAddressEnv)
	return addr, addr != ""
}

// Start returns a Temporal server with Tailor's search attributes registered. With
// TAILOR_TEST_TEMPORAL_ADDRESS set it connects there and registers a namespace of the test's own
// (deleted when the test ends); otherwise it runs the Temporal CLI at TEMPORAL_CLI_PATH
// (scripts/test.sh builds the pinned version into .bin/) and stops it when the test ends. It never
// downloads: a missing CLI fails the test with the command that builds it.
func Start(t testing.TB) *Server {
	t.Helper()
	if addr, ok := External(); ok {
		return connect(t, addr)
	}
	path := CLIPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: path,
		ClientOptions: &client.Options{
			Namespace: "default",
			Logger:    quietLogger(),
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
	return &Server{HostPort: srv.FrontendHostPort(), Namespace: "default", Client: srv.Client()}
}

// connect registers a fresh namespace on the server at addr, with Tailor's search attributes, and
// waits until the server's caches know both: a new namespace is not usable at once on a real
// server, unlike the dev server's "default".
func connect(t testing.TB, addr string) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), namespaceReadyTimeout)
	defer cancel()
	started := time.Now()
	namespace := namespaceFor(t.Name())

	nsClient, err := client.NewNamespaceClient(client.Options{HostPort: addr, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("connect to the Temporal server at %s (%s): %v", addr, ExternalAddressEnv, err)
	}
	defer nsClient.Close()
	if err := nsClient.Register(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        namespace,
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	}); err != nil {
		t.Fatalf("register namespace %s on %s: %v", namespace, addr, err)
	}

	c, err := client.Dial(client.Options{HostPort: addr, Namespace: namespace, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("connect to namespace %s on %s: %v", namespace, addr, err)
	}
	t.Cleanup(func() {
		// Deleting runs the server's own deletion workflow; the test does not wait for it.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = c.OperatorService().DeleteNamespace(ctx, &operatorservice.DeleteNamespaceRequest{Namespace: namespace})
		c.Close()
	})

	attrs := map[string]enumspb.IndexedValueType{}
	var query []string
	for _, name := range workflows.SearchAttributes {
		attrs[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		query = append(query, name+" = 'probe'")
	}
	// Each step is retried until the namespace has reached the cache of the service that answers.
	err = retry(ctx, func() error {
		_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace: namespace, SearchAttributes: attrs,
		})
		return err
	})
	registered := time.Now()
	if err != nil {
		t.Fatalf("register search attributes %v in namespace %s on %s: %v", workflows.SearchAttributes, namespace, addr, err)
	}
	err = retry(ctx, func() error {
		_, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: namespace, Query: strings.Join(query, " AND "), PageSize: 1,
		})
		return err
	})
	if err != nil {
		t.Fatalf("namespace %s on %s: search attributes not usable after %v: %v", namespace, addr, time.Since(started).Round(time.Millisecond), err)
	}
	// The frontend answers the query, but the history service maps a workflow's upserted search
	// attributes with its own cached copy of the namespace, which it refreshes on a timer and which
	// no API shows from outside: a workflow upserting before then fails its task with "has no
	// mapping defined for search attribute" (measured: 0.2 s after the frontend knew them). So the
	// helper waits out one refresh from the registration.
	time.Sleep(time.Until(registered.Add(namespaceCacheRefresh)))
	t.Logf("temporaltest: namespace %s on %s ready in %v", namespace, addr, time.Since(started).Round(time.Millisecond))
	return &Server{HostPort: addr, Namespace: namespace, Client: c}
}

// retry calls f every 200 ms until it succeeds or ctx ends, and returns f's last error.
func retry(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// namespaceFor names a namespace after the test, with a random suffix: tests run side by side, and
// a rerun must not meet the namespace of a run before it.
func namespaceFor(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := b.String()
	if len(name) > 60 {
		name = name[:60]
	}
	name = strings.Trim(name, "-")
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	return fmt.Sprintf("t-%s-%s", name, hex.EncodeToString(suffix))
}

func quietLogger() log.Logger { return log.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

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

// RepoRoot returns the directory holding go.mod, so tests in any package find .bin/ and scripts/.
func RepoRoot() (string, error) { return repoRoot() }

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
