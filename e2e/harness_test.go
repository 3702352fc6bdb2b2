package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/sendgrid/sink"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/internal/temporaltest"
)

// The end-to-end tests run the real binaries against a real Temporal dev server, a fresh
// PostgreSQL database and a local SendGrid-compatible server, and drive them only through the
// starter's command line and the worker's HTTP listeners, as a shop, its customers and SendGrid
// would. The lifecycle policy is shrunk to seconds so that the whole tailor story (restock, sale,
// season) plays out in well under a minute.
//
// This file is the harness every test here shares: a stack (binaries, database, dev server, sink)
// per test, and waits on conditions, never on the clock alone. What a test watches for a while to
// see that nothing happens is a require.Never over that window.
//
//	go test ./e2e/                            # all of them, a few minutes
//	go test ./e2e/ -run Drills/SendGrid -v    # one drill, with its "drill:" measurements

const (
	// e2eTimeout bounds every wait for something the worker does, and every starter command.
	e2eTimeout = 60 * time.Second
	e2ePoll    = 250 * time.Millisecond
	// quietWindow is how long the test watches for an email that should not come: two min_gaps,
	// so a follow-up wrongly queued behind the last one would have had time to go out.
	quietWindow = 8 * time.Second

	e2eSendGridKey   = "test-key"
	e2eBaseURL       = "https://shop.example"
	e2eLinkSecret    = "2fd3036c078b150043ad54f72471b0365d5503b559586e637f6cf592fdc6b53d" // openssl rand -hex 32: the worker refuses patterned secrets
	davidEmail       = "david@example.com"
	workerStartedLog = `"msg":"worker started"`
)

// e2ePolicy: a follow-up at least 4s after the previous one, and the season fallback 15s after
// the purchase, which after a restock at ~1s and a sale at ~5s keeps the three emails in order.
const e2ePolicy = `min_gap: 4s
restock_window: 2m
season_fallback: 15s
`

// e2eStopPolicy: the season fallback comes 8s after the purchase, so that it is still pending
// when the test stops David's mail a few seconds after the restock email, and would go out inside
// the test's quiet window if stopping had not dropped it.
const e2eStopPolicy = `min_gap: 2s
restock_window: 2m
season_fallback: 8s
`

// stopMargin is how long after the moment a dropped follow-up would have gone out the test still
// watches for it.
const stopMargin = 3 * time.Second

// The tailor's catalogue, as in workflows/lifecycle_test.go: the trousers David bought (blue), the
// grey he wanted (out of stock), near misses in colour and size, and an autumn collection.
const e2eProducts = `sku,product,name,category,color,size,price,stock,collections
TR-BLUE-50,classic-trousers,Classic trousers,trousers,blue,50,89.00,5,
TR-GREY-50,classic-trousers,Classic trousers,trousers,grey,50,89.00,0,
TR-GREY-52,classic-trousers,Classic trousers,trousers,grey,52,89.00,0,
TR-GREEN-50,classic-trousers,Classic trousers,trousers,green,50,89.00,0,
CH-GREY-50,chinos,Chinos,trousers,grey,50,69.00,3,autumn
CH-RED-50,chinos,Chinos,trousers,red,50,69.00,3,
SU-GREY-50,suit,Flannel suit,suits,grey,50,399.00,2,autumn
SU-BLACK-50,suit,Flannel suit,suits,black,50,379.00,2,autumn
JK-BLUE-48,jacket,Tweed jacket,jackets,blue,48,249.00,2,autumn
`

// Els buys nothing, so no sale or season announcement concerns her.
const e2eCustomers = `id,name,email,locale,timezone,colors,sizes,consent
david,David Sable,david@example.com,en,America/New_York,,50,true
els,Els Peeters,els@example.com,nl,Europe/Brussels,,50,true
`

// stack is one test's Tailor: built binaries, their environment, and the servers behind it.
type stack struct {
	t         *testing.T
	bin       string
	env       []string
	dir       string // for the test's files
	outboxDir string
	store     *store.DB         // the test's database, to check what the binaries wrote
	sink      *sink.Sink        // nil without SendGrid
	baseURL   string            // PUBLIC_BASE_URL: where the links in the emails point
	serving   bool              // the worker's pages are reachable at baseURL (withHTTP)
	opsURL    string            // OPS_ADDR as a URL: /metrics and the detailed /healthz (withHTTP)
	webhook   *ecdsa.PrivateKey // signs SendGrid Event Webhook deliveries (withWebhook); nil: off
	temporal  *temporaltest.Server

	worker    *process
	workerLog *syncBuffer // every run of the worker, one after the other
	runs      int
}

// stackOptions change what newStack sets up; see withPolicy, withHTTP and withWebhook.
type stackOptions struct {
	policy  string
	http    bool
	webhook bool
}

type stackOption func(*stackOptions)

// withPolicy replaces e2ePolicy as the worker's LIFECYCLE_CONFIG.
func withPolicy(yaml string) stackOption { return func(o *stackOptions) { o.policy = yaml } }

// withHTTP serves the worker's pages on a free port of 127.0.0.1, with PUBLIC_BASE_URL pointing
// there, so that the test can follow the links in the emails.
func withHTTP() stackOption { return func(o *stackOptions) { o.http = true } }

// withWebhook gives the worker the public half of a fresh P-256 key as
// SENDGRID_WEBHOOK_PUBLIC_KEY, so that the test can sign Event Webhook deliveries like SendGrid.
func withWebhook() stackOption { return func(o *stackOptions) { o.webhook = true } }

// newStack builds the binaries and starts PostgreSQL, Temporal and, with sendGrid, the SendGrid
// sink. On failure it logs the worker's output and the emails sent so far.
func newStack(t *testing.T, sendGrid bool, opts ...stackOption) *stack {
	t.Helper()
	o := stackOptions{policy: e2ePolicy}
	for _, opt := range opts {
		opt(&o)
	}
	s := &stack{t: t, bin: buildBinaries(t), dir: t.TempDir(), workerLog: &syncBuffer{}, baseURL: e2eBaseURL}
	s.outboxDir = filepath.Join(s.dir, "outbox")
	st, databaseURL := storetest.New(t)
	s.store = st
	srv := temporaltest.Start(t)
	s.temporal = srv

	vars := map[string]string{
		"PATH":               os.Getenv("PATH"),
		"TEMPORAL_ADDRESS":   srv.HostPort,
		"DATABASE_URL":       databaseURL,
		"MAIL_FROM":          "Tailor <shop@example.com>",
		"LIFECYCLE_CONFIG":   s.file("lifecycle.yaml", o.policy),
		"OUTBOX_DIR":         s.outboxDir,
		"PUBLIC_BASE_URL":    e2eBaseURL,
		"LINK_SECRET":        e2eLinkSecret,
		"HTTP_ADDR":          "127.0.0.1:0", // any free port: tests run side by side
		"OPS_ADDR":           "127.0.0.1:0",
		"TEMPORAL_NAMESPACE": srv.Namespace,
	}
	if o.http {
		addr := freeAddr(t)
		s.baseURL, s.serving = "http://"+addr, true
		vars["HTTP_ADDR"], vars["PUBLIC_BASE_URL"] = addr, s.baseURL
		ops := freeAddr(t)
		s.opsURL, vars["OPS_ADDR"] = "http://"+ops, ops
	}
	if o.webhook {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		require.NoError(t, err)
		s.webhook = key
		vars["SENDGRID_WEBHOOK_PUBLIC_KEY"] = base64.StdEncoding.EncodeToString(der)
	}
	if sendGrid {
		fake, baseURL := sink.Start(t, e2eSendGridKey)
		s.sink = fake
		vars["SENDGRID_API_KEY"] = e2eSendGridKey
		vars["SENDGRID_BASE_URL"] = baseURL
	}
	// Only these variables: a developer's own SENDGRID_API_KEY or TEMPORAL_* must not leak in.
	for k, v := range vars {
		s.env = append(s.env, k+"="+v)
	}

	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		t.Logf("worker output:\n%s", s.workerLog.String())
		if s.sink != nil {
			t.Logf("emails in the sink: %s", describeMessages(s.sink.Messages()))
		}
	})
	return s
}

// binaries holds ./worker and ./starter, built once for all the tests of the package.
var binaries struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaries.dir != "" {
		_ = os.RemoveAll(binaries.dir)
	}
	os.Exit(code)
}

// buildBinaries builds ./worker and ./starter into a temporary folder the first time a test asks,
// and returns the folder.
func buildBinaries(t *testing.T) string {
	t.Helper()
	binaries.once.Do(func() {
		dir, err := os.MkdirTemp("", "tailor-e2e-")
		if err != nil {
			binaries.err = fmt.Errorf("make a folder for the binaries: %w", err)
			return
		}
		binaries.dir = dir
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./worker", "./starter")
		cmd.Dir = ".." // go test runs in e2e/; the binaries' packages are beside it
		if out, err := cmd.CombinedOutput(); err != nil {
			binaries.err = fmt.Errorf("go build ./worker ./starter: %w\n%s", err, out)
		}
	})
	require.NoError(t, binaries.err)
	return binaries.dir
}

// file writes content to name in the test's folder and returns its path.
func (s *stack) file(name, content string) string {
	s.t.Helper()
	path := filepath.Join(s.dir, name)
	require.NoError(s.t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// result is how one starter command ended.
type result struct {
	args           []string
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("$ starter %s\nexit status %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// run runs the starter and returns how it ended, whatever its exit status.
func (s *stack) run(args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "starter"), args...)
	cmd.Env = s.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode() // -1 when killed at the timeout
	case err != nil:
		r.code = -1
		r.stderr += "\n(test: " + err.Error() + ")"
	}
	return r
}

// starter runs the starter, requires exit status 0 and returns its stdout.
func (s *stack) starter(args ...string) string {
	s.t.Helper()
	r := s.run(args...)
	require.Equal(s.t, 0, r.code, "%s", r)
	return r.stdout
}

// startWorker starts the worker and waits until it polls the task queue.
func (s *stack) startWorker() {
	s.t.Helper()
	s.runs++
	fmt.Fprintf(s.workerLog, "--- worker run %d ---\n", s.runs)
	cmd := exec.Command(filepath.Join(s.bin, "worker"))
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = s.workerLog, s.workerLog
	require.NoError(s.t, cmd.Start(), "start the worker")
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.t.Cleanup(p.kill)
	s.worker = p

	runs := s.runs
	require.Eventually(s.t, func() bool {
		return p.exited() || strings.Count(s.workerLog.String(), workerStartedLog) >= runs
	}, e2eTimeout, e2ePoll, "waiting for the worker to log %s", workerStartedLog)
	require.False(s.t, p.exited(), "the worker exited at start: %v\n%s", p.err, s.workerLog.String())
	if s.serving {
		require.Eventually(s.t, func() bool {
			if p.exited() {
				return true
			}
			resp, err := http.Get(s.baseURL + "/healthz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}, e2eTimeout, e2ePoll, "waiting for the worker to serve %s/healthz", s.baseURL)
		require.False(s.t, p.exited(), "the worker exited at start: %v\n%s", p.err, s.workerLog.String())
	}
}

// freeAddr returns 127.0.0.1:PORT with a port that was free a moment ago: the worker's
// HTTP_ADDR and PUBLIC_BASE_URL must name the same port, so the test chooses it.
func freeAddr(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + listenablePort(t)
}

// listenablePort returns a port on 127.0.0.1 that is free now, below Linux's ephemeral range
// (32768-60999). The port is closed again before the worker or server binds it, and an ephemeral
// port may meanwhile be taken by any outgoing connection of the test run: a full run once lost a dev
// server's port that way, and CI once lost a worker's OPS_ADDR chosen with 127.0.0.1:0.
func listenablePort(t *testing.T) string {
	t.Helper()
	for range 100 {
		port := strconv.Itoa(20000 + mathrand.IntN(12000))
		if ln, err := net.Listen("tcp", "127.0.0.1:"+port); err == nil {
			require.NoError(t, ln.Close())
			return port
		}
	}
	t.Fatal("no free port in 20000-31999 on 127.0.0.1 after 100 tries")
	return ""
}

// killWorker kills the worker with SIGKILL, as a crash would.
func (s *stack) killWorker() {
	s.t.Helper()
	s.worker.kill()
	fmt.Fprintf(s.workerLog, "--- worker run %d killed: %v ---\n", s.runs, s.worker.err)
}

// awaitMessages waits until the sink has accepted at least n emails.
func (s *stack) awaitMessages(n int, what string) {
	s.t.Helper()
	require.Eventually(s.t, func() bool { return len(s.sink.Messages()) >= n }, e2eTimeout, e2ePoll,
		"waiting for %s (email %d in the sink)", what, n)
}

// awaitStatus queries the customer's status until cond holds; on timeout it shows the last answer.
func (s *stack) awaitStatus(customer, what string, cond func(e2eStatus) bool) {
	s.t.Helper()
	require.EventuallyWithT(s.t, func(c *assert.CollectT) {
		st, out, err := s.tryStatus(customer)
		if assert.NoError(c, err, "last answer:\n%s", out) {
			assert.True(c, cond(st), "last answer:\n%s", out)
		}
	}, e2eTimeout, e2ePoll, "waiting for %s in `starter status --customer %s --json`", what, customer)
}

// e2eStatus is the part of `starter status --json` the tests read, by its documented names.
type e2eStatus struct {
	CustomerID string `json:"customer_id"`
	Stage      string `json:"stage"`
	Purchases  []struct {
		ID string `json:"id"`
	} `json:"purchases"`
	Wishes []struct {
		Color string `json:"color"`
		Size  string `json:"size"`
	} `json:"wishes"`
	Pending []struct {
		Kind string    `json:"kind"`
		Due  time.Time `json:"due"`
	} `json:"pending"`
	Emails []struct {
		Kind    string    `json:"kind"`
		Key     string    `json:"key"`
		Subject string    `json:"subject"`
		SentAt  time.Time `json:"sent_at"`
	} `json:"emails"`
	Decisions []struct {
		Kind    string `json:"kind"`
		Key     string `json:"key"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	} `json:"decisions"`
	Goals []string `json:"goals"`
}

// tryStatus runs `starter status --json`; it returns what the starter printed in any case.
func (s *stack) tryStatus(customer string) (e2eStatus, string, error) {
	r := s.run("status", "--customer", customer, "--json")
	if r.code != 0 {
		return e2eStatus{}, r.String(), fmt.Errorf("exit status %d", r.code)
	}
	var st e2eStatus
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		return e2eStatus{}, r.String(), fmt.Errorf("decode status: %w", err)
	}
	return st, r.String(), nil
}

func (s *stack) status(customer string) e2eStatus {
	s.t.Helper()
	st, out, err := s.tryStatus(customer)
	require.NoError(s.t, err, "%s", out)
	return st
}

// process is a running child process; kill may be called any number of times.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's error, once done is closed
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) kill() {
	if !p.exited() {
		_ = p.cmd.Process.Kill() // it may have exited since; Wait below is what counts
	}
	<-p.done
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func describeMessages(msgs []sink.Message) string {
	if len(msgs) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, m := range msgs {
		fmt.Fprintf(&b, "\n  %d. %s %s to %s key %s %q", i+1, m.ReceivedAt.Format("15:04:05.000"), m.Kind, m.To, m.Key, m.Subject)
	}
	return b.String()
}

type (
	pendingItem = struct {
		Kind string    `json:"kind"`
		Due  time.Time `json:"due"`
	}
	decisionItem = struct {
		Kind    string `json:"kind"`
		Key     string `json:"key"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	}
)

// setupShop creates the schema and imports the catalogue and the two customers.
func (s *stack) setupShop() {
	s.t.Helper()
	s.starter("setup")
	require.Contains(s.t, s.starter("import", "products", s.file("products.csv", e2eProducts)), "imported 9 products")
	require.Contains(s.t, s.starter("import", "customers", s.file("customers.csv", e2eCustomers)), "imported 2 customers")
}

// restockEmail has David buy the blue trousers wishing for grey, restocks the grey and returns
// the restock email once the workflow has recorded it.
func (s *stack) restockEmail() sink.Message {
	s.t.Helper()
	require.Contains(s.t, s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p1"),
		"recorded purchase p1")
	// How the starter reports reaching the customers is not what these tests are about.
	s.starter("restock", "--sku", "TR-GREY-50", "--quantity", "3")
	s.awaitMessages(1, "the restock email")
	m := s.sink.Messages()[0]
	require.Equal(s.t, "restock", m.Kind, "sink: %s", describeMessages(s.sink.Messages()))
	require.Equal(s.t, davidEmail, m.To)
	require.Equal(s.t, "customer/david/restock/p1", m.Key)
	s.awaitStatus("david", "the restock email recorded by the workflow", func(st e2eStatus) bool { return len(st.Emails) == 1 })
	return m
}

// awaitSeasonPending waits until David's season fallback is pending and returns when it is due.
func (s *stack) awaitSeasonPending() time.Time {
	s.t.Helper()
	var due time.Time
	s.awaitStatus("david", "the season fallback pending", func(st e2eStatus) bool {
		for _, p := range st.Pending {
			if p.Kind == "season" {
				due = p.Due
				return st.Stage == "followed-up"
			}
		}
		return false
	})
	return due
}

// customersHeader is the header of the customers file the crowd tests import.
const customersHeader = "id,name,email,locale,timezone,colors,sizes,categories,consent\n"

// crowd makes n customers with ids prefix01, prefix02, ... who wear size 50, like category and
// consented: their ids and their customers-file rows (without the header).
func crowd(prefix string, n int, category string) ([]string, string) {
	var rows strings.Builder
	ids := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("%s%02d", prefix, i)
		ids = append(ids, id)
		fmt.Fprintf(&rows, "%s,Customer %d,%s@example.com,en,Europe/Brussels,,50,%s,true\n", id, i, id, category)
	}
	return ids, rows.String()
}

// weekSale returns the --until of a 20% sale on category that ends a week from today, and the
// sale's id, which the starter derives from both.
func weekSale(category string) (until, saleID string) {
	until = time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02")
	return until, "sale/" + category + "/" + strings.ReplaceAll(until, "-", "") + "-20"
}

// announceSale announces a week's sale on trousers.
func (s *stack) announceSale(pct int) {
	s.t.Helper()
	until, _ := weekSale("trousers")
	s.starter("sale", "--category", "trousers", "--discount", strconv.Itoa(pct), "--until", until)
}

// requireNoMoreMail watches the sink until the later of until and quietWindow from now, and
// requires it to hold no more than n emails all along.
func (s *stack) requireNoMoreMail(n int, until time.Time, what string) {
	s.t.Helper()
	window := max(time.Until(until), quietWindow)
	require.Never(s.t, func() bool { return len(s.sink.Messages()) > n }, window, e2ePoll,
		"no email may go out %s (watched %v)", what, window.Round(time.Second))
	require.Len(s.t, s.sink.Messages(), n, "sink: %s", describeMessages(s.sink.Messages()))
}

// awaitPendingDue waits until the customer's workflow has a follow-up of kind pending, and
// returns when it is due.
func (s *stack) awaitPendingDue(customer, kind string) time.Time {
	s.t.Helper()
	var due time.Time
	s.awaitStatus(customer, "a pending "+kind+" follow-up", func(st e2eStatus) bool {
		for _, p := range st.Pending {
			if p.Kind == kind {
				due = p.Due
				return true
			}
		}
		return false
	})
	return due
}

// requireDeliveries requires the sink to hold exactly want[key] emails for every key, and no other.
func (s *stack) requireDeliveries(want map[string]int) {
	s.t.Helper()
	got := map[string]int{}
	for _, m := range s.sink.Messages() {
		got[m.Key]++
	}
	require.Equal(s.t, want, got, "emails per idempotency key in the sink: %s", describeMessages(s.sink.Messages()))
}

// requireSendLogSent requires the send log to hold exactly keys, each once and sent.
func (s *stack) requireSendLogSent(keys ...string) {
	s.t.Helper()
	log, err := s.store.SendLog(context.Background(), "")
	require.NoError(s.t, err)
	var got []string
	for _, r := range log {
		require.Equal(s.t, lifecycle.SendSent, r.Status, "send log row %s", r.Key)
		got = append(got, r.Key)
	}
	slices.Sort(got)
	keys = slices.Sorted(slices.Values(keys))
	require.Equal(s.t, keys, got, "send log keys")
}

// requireSentOnce requires the sink to hold exactly one email for each of keys and no other, and the
// send log to hold exactly keys, each sent.
func (s *stack) requireSentOnce(keys ...string) {
	s.t.Helper()
	want := map[string]int{}
	for _, key := range keys {
		want[key] = 1
	}
	s.requireDeliveries(want)
	s.requireSendLogSent(keys...)
}

// saleKeys are the idempotency keys of sale saleID's emails to customers ids.
func saleKeys(saleID string, ids []string) []string {
	keys := make([]string, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, "customer/"+id+"/sale/"+saleID)
	}
	return keys
}

// envValue returns the value of the variable key in the binaries' environment.
func (s *stack) envValue(key string) string {
	s.t.Helper()
	for i := len(s.env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(s.env[i], key+"="); ok {
			return v
		}
	}
	s.t.Fatalf("%s is not in the stack's environment", key)
	return ""
}

// setEnv overrides key for the binaries started from now on (os/exec keeps the last duplicate).
func (s *stack) setEnv(key, value string) { s.env = append(s.env, key+"="+value) }

// response is what the worker's HTTP server answered.
type response struct {
	code   int
	header http.Header
	body   string
}

// httpClient has no cookie jar and does not follow redirects, like a mailbox provider's
// one-click unsubscribe.
var httpClient = &http.Client{
	Timeout:       e2eTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// page sends one request to the worker's server.
func (s *stack) page(method, url, contentType, body string) response {
	s.t.Helper()
	return s.do(method, url, contentType, strings.NewReader(body), nil)
}

func (s *stack) do(method, url, contentType string, body io.Reader, header http.Header) response {
	s.t.Helper()
	resp, err := tryDo(method, url, contentType, body, header)
	require.NoError(s.t, err)
	return resp
}

// tryDo sends one request and returns the answer. Unlike stack.do it does not fail the test, so a
// require.Eventually condition may call it.
func tryDo(method, url, contentType string, body io.Reader, header http.Header) (response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read the answer: %w", method, url, err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: string(b)}, nil
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
