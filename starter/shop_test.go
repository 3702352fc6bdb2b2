package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/internal/temporaltest"
	"github.com/tailorhq/tailor/workflows"
)

// testShop is what the starter's end-to-end tests run against: a Temporal dev server, a fresh
// PostgreSQL database, and the environment that points the starter at both.
type testShop struct {
	srv *temporaltest.Server
	st  *store.DB
	env map[string]string
}

// newTestShop starts a dev server and a database and imports the products and customers CSVs
// that are not empty.
func newTestShop(t *testing.T, productsCSV, customersCSV string) *testShop {
	t.Helper()
	srv := temporaltest.Start(t)
	st, dbURL := storetest.New(t)
	ctx := context.Background()
	if productsCSV != "" {
		_, err := st.ImportProducts(ctx, strings.NewReader(productsCSV))
		require.NoError(t, err, "import products:\n%s", productsCSV)
	}
	if customersCSV != "" {
		_, err := st.ImportCustomers(ctx, strings.NewReader(customersCSV))
		require.NoError(t, err, "import customers:\n%s", customersCSV)
	}
	return &testShop{srv: srv, st: st,
		env: map[string]string{"TEMPORAL_ADDRESS": srv.HostPort, "TEMPORAL_NAMESPACE": srv.Namespace, "DATABASE_URL": dbURL}}
}

// activities are the worker's activities over the shop's store and dev server, sending through
// mailer and signing links with a test secret; a test sets the optional dependencies it needs.
func (s *testShop) activities(t *testing.T, mailer activities.Mailer) *activities.Activities {
	t.Helper()
	signer, err := links.New([]byte("test-secret-test-secret-test-secret!"), "https://shop.example", 0, nil)
	require.NoError(t, err)
	return &activities.Activities{Store: s.st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: signer,
		Audience: s.st, Reacher: lifecycleclient.New(s.srv.Client)}
}

// starter runs the starter with args against the shop, fails the test unless it exits OK, and
// returns its standard output.
func (s *testShop) starter(t *testing.T) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		out, _ := starterAt(t, s.env, exitOK, args...)
		return out
	}
}

type countingMailer struct {
	mu   sync.Mutex
	keys []string
}

func (m *countingMailer) Send(_ context.Context, e lifecycle.Email) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys = append(m.keys, e.Key)
	return fmt.Sprintf("msg-%d", len(m.keys)), nil
}

func (m *countingMailer) sent() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.keys...)
}

// startWorker polls both of the worker's task queues in the test, as cmd worker does: the
// customers' workflows on one, campaigns and segment recomputes on the other.
func startWorker(t *testing.T, c client.Client, acts *activities.Activities) {
	t.Helper()
	customers := worker.New(c, workflows.TaskQueue, worker.Options{MaxHeartbeatThrottleInterval: time.Second})
	customers.RegisterWorkflow(workflows.CustomerLifecycle)
	customers.RegisterActivity(acts)
	fanOut := worker.New(c, workflows.FanOutTaskQueue, worker.Options{MaxHeartbeatThrottleInterval: time.Second})
	fanOut.RegisterWorkflow(workflows.Campaign)
	fanOut.RegisterWorkflow(workflows.SegmentRecompute)
	fanOut.RegisterActivity(acts)
	for _, w := range []worker.Worker{customers, fanOut} {
		require.NoError(t, w.Start())
		t.Cleanup(w.Stop)
	}
}
