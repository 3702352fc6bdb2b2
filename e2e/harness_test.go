package tailor_test

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
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/devserver"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/sendgridsink"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// The end-to-end tests run the real binaries against a real Temporal dev server, a fresh
// PostgreSQL database and a local SendGrid-compatible server, and drive them only through the
// starter's command line, as a shop would. The lifecycle policy is shrunk to seconds so that the
// whole tailor story (restock, sale, season) plays out in well under a minute.

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

// e2eBadCustomers would rename David and add Eve, but line 4 has an invalid email: nothing of it
// may be written.
const e2eBadCustomers = `id,name,email,locale,timezone,colors,sizes
david,David Renamed,david@example.com,en,America/New_York,,50
eve,Eve Adams,eve@example.com,en,Europe/London,,48
mallory,Mallory,not-an-address,en,Europe/London,,48
`

func TestTailorStoryEndToEnd(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()

	// Setup is idempotent: the second run finds everything in place.
	for range 2 {
		out := s.starter("setup")
		require.Contains(t, out, "schema is up to date", "starter setup")
	}
	require.Contains(t, s.starter("import", "products", s.file("products.csv", e2eProducts)), "imported 9 products")
	require.Contains(t, s.starter("import", "customers", s.file("customers.csv", e2eCustomers)), "imported 2 customers")

	// A file with one bad row is refused whole, naming the line.
	bad := s.run("import", "customers", s.file("bad-customers.csv", e2eBadCustomers))
	require.Equal(t, 1, bad.code, "a customers file with an invalid email must fail:\n%s", bad)
	require.Contains(t, bad.stderr, "line 4: email", "the bad row is named by its line:\n%s", bad)
	require.Contains(t, bad.stderr, "nothing from it was imported", "%s", bad)
	_, err := s.store.Customer(ctx, "eve")
	require.ErrorIs(t, err, lifecycle.ErrNotFound, "eve's good row must not be written when the file is refused")
	david, err := s.store.Customer(ctx, "david")
	require.NoError(t, err)
	require.Equal(t, "David Sable", david.Name, "david must not be renamed by a refused file")

	s.startWorker()

	// David buys the blue trousers and wanted them in grey.
	require.Contains(t, s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p1"),
		"recorded purchase p1")
	// No waiting: `starter purchase` records the wish in PostgreSQL before it returns, so a restock
	// right after finds it.
	require.Contains(t, s.starter("restock", "--sku", "TR-GREY-50", "--quantity", "3", "--wait"),
		"notified 1 customers with a matching wish")
	s.awaitMessages(1, "the restock email")
	// Kill the worker between follow-ups: once the workflow has recorded the restock email, so the
	// kill does not land in the send activity's documented at-least-once window (provider accepted,
	// send log not yet marked).
	s.awaitStatus("david", "the restock email recorded by the workflow", func(st e2eStatus) bool {
		return len(st.Emails) == 1
	})
	s.killWorker()

	// While no worker runs, the shop announces a sale, and everything is sent twice: the second
	// sale finds the campaign the first started.
	until := time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02")
	saleCampaign := "campaign/sale/trousers/" + strings.ReplaceAll(until, "-", "") + "-20"
	require.Contains(t, s.starter("sale", "--category", "trousers", "--discount", "20", "--until", until, "--dry-run"),
		"would reach 1 customers who bought or like trousers (david)", "only David bought trousers")
	require.Contains(t, s.starter("sale", "--category", "trousers", "--discount", "20", "--until", until),
		"started campaign "+saleCampaign)
	require.Contains(t, s.starter("sale", "--category", "trousers", "--discount", "20", "--until", until),
		"campaign "+saleCampaign+" already exists (running, reached 0)")
	require.Contains(t, s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p1"),
		"recorded purchase p1")

	s.startWorker()
	s.awaitMessages(2, "the sale email, min_gap after the restock")

	// The same events once more, now that the sale has gone out, and a restock no wish waits for.
	require.Contains(t, s.starter("sale", "--category", "trousers", "--discount", "20", "--until", until),
		"campaign "+saleCampaign+" already exists")
	require.Contains(t, s.starter("restock", "--sku", "TR-GREY-50", "--quantity", "1", "--wait"), "notified 0 customers",
		"the restock email closed David's wish")

	s.awaitMessages(3, "the season fallback email, season_fallback after the purchase")
	require.Never(t, func() bool { return len(s.sink.Messages()) > 3 }, quietWindow, e2ePoll,
		"no email may follow the three of the story")

	msgs := s.sink.Messages()
	require.Len(t, msgs, 3, "sink: %s", describeMessages(msgs))
	var kinds []string
	keys := map[string]bool{}
	for _, m := range msgs {
		kinds = append(kinds, m.Kind)
		require.Equal(t, davidEmail, m.To, "%s email", m.Kind)
		require.Equal(t, "david", m.CustomerID, "%s email", m.Kind)
		require.Equal(t, "shop@example.com", m.From, "%s email comes from MAIL_FROM", m.Kind)
		require.False(t, keys[m.Key], "idempotency key %s sent twice: %s", m.Key, describeMessages(msgs))
		keys[m.Key] = true
		require.True(t, strings.HasPrefix(m.Key, "customer/david/"+m.Kind+"/"), "%s email has key %q", m.Kind, m.Key)
		link := requireUnsubscribeLink(t, m.Text, "david", m.Kind+" email text")
		requireUnsubscribeLink(t, m.HTML, "david", m.Kind+" email HTML")
		require.Equal(t, "<"+link+">", m.Headers["List-Unsubscribe"], "%s email headers", m.Kind)
		require.Equal(t, "List-Unsubscribe=One-Click", m.Headers["List-Unsubscribe-Post"], "%s email headers", m.Kind)
	}
	require.Equal(t, []string{"restock", "sale", "season"}, kinds, "kinds in order: %s", describeMessages(msgs))
	restock, sale, season := msgs[0], msgs[1], msgs[2]

	require.Equal(t, "customer/david/restock/p1", restock.Key)
	require.Equal(t, "Now in stock in grey: Classic trousers", restock.Subject)
	require.Contains(t, restock.Text, "Dear David Sable")
	require.Contains(t, restock.Text, "your favourite grey. Classic trousers, size 50, for €89.00")

	require.Equal(t, "Sale: 20% off trousers in your size", sale.Subject)
	require.Contains(t, sale.Text, "until "+until)
	require.Contains(t, sale.Text, "Classic trousers, blue, size 50: €71.20 (was €89.00)")
	require.Contains(t, sale.Text, "Chinos, grey, size 50: €55.20 (was €69.00)")
	require.NotContains(t, sale.Text, "red", "not a colour David likes")
	require.Contains(t, sale.HTML, "<s>€89.00</s> <strong>€71.20</strong>")

	require.Equal(t, "customer/david/season/fallback-p1", season.Key)
	require.Contains(t, season.Text, "I know you like blue and grey, and that you wear size 50")
	require.NotContains(t, season.Text, "Tweed jacket", "not David's size")

	// The minimum gap held between the emails as they arrived.
	for i := 1; i < len(msgs); i++ {
		gap := msgs[i].ReceivedAt.Sub(msgs[i-1].ReceivedAt)
		require.GreaterOrEqual(t, gap, 4*time.Second-500*time.Millisecond,
			"%s came %v after %s, min_gap is 4s", msgs[i].Kind, gap, msgs[i-1].Kind)
	}

	st := s.status("david")
	require.Equal(t, "david", st.CustomerID)
	require.Equal(t, "followed-up", st.Stage)
	require.Len(t, st.Purchases, 1, "the repeated purchase p1 is one purchase")
	require.Empty(t, st.Wishes, "the restock email closed the wish")
	require.Empty(t, st.Pending, "nothing is left to send")
	require.Len(t, st.Emails, 3, "status emails: %+v", st.Emails)
	for i, e := range st.Emails {
		require.Equal(t, msgs[i].Kind, e.Kind, "status email %d", i)
		require.Equal(t, msgs[i].Subject, e.Subject, "status email %d (%s)", i, e.Kind)
		require.False(t, e.SentAt.IsZero(), "status email %d (%s) has sent_at", i, e.Kind)
	}

	// The send log agrees: one row per follow-up, all sent.
	log, err := s.store.SendLog(ctx, "david")
	require.NoError(t, err)
	require.Len(t, log, 3)
	for _, r := range log {
		require.Equal(t, lifecycle.SendSent, r.Status, "send log row %s", r.Key)
	}
}

// TestTailorOutboxEndToEnd runs without SENDGRID_API_KEY: the restock email lands in the local
// outbox, which `starter outbox` lists and OUTBOX_DIR holds as .html and .txt.
//
// Both binaries encrypt payloads here (TAILOR_CODEC_KEYS): the story, the campaign's progress and
// `starter status` all pass through the codec.
func TestTailorOutboxEndToEnd(t *testing.T) {
	s := newStack(t, false)
	s.env = append(s.env, "TAILOR_CODEC_KEYS=e2e:"+base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	s.starter("setup")
	s.starter("import", "products", s.file("products.csv", e2eProducts))
	s.starter("import", "customers", s.file("customers.csv", e2eCustomers))
	require.Contains(t, s.starter("outbox", "--customer", "david"), "the outbox has no emails for customer david yet")

	s.startWorker()
	s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p1")
	require.Contains(t, s.starter("restock", "--sku", "TR-GREY-50", "--quantity", "3", "--wait"), "notified 1 customers")

	const subject = "Now in stock in grey: Classic trousers"
	var out string
	ok := pollUntil(e2eTimeout, func() bool {
		r := s.run("outbox", "--customer", "david")
		out = r.String()
		return r.code == 0 && strings.Contains(r.stdout, subject)
	})
	require.True(t, ok, "waiting for the restock email in `starter outbox --customer david`; last answer:\n%s", out)
	require.Contains(t, out, davidEmail)
	require.Contains(t, out, "1 email(s)", "only the restock email so far:\n%s", out)
	require.Contains(t, s.starter("status", "--customer", "david"), subject, "the starter decodes the workflow's encrypted status")
	require.Contains(t, s.workerLog.String(), "payloads in Temporal are encrypted")

	html, err := filepath.Glob(filepath.Join(s.outboxDir, "david", "*.html"))
	require.NoError(t, err)
	require.Len(t, html, 1, "the outbox folder holds one .html for david")
	txt := strings.TrimSuffix(html[0], ".html") + ".txt"
	require.FileExists(t, txt)
	require.Contains(t, out, html[0], "starter outbox names the file")
	text, err := os.ReadFile(txt)
	require.NoError(t, err)
	require.Contains(t, string(text), "Dear David Sable")
	require.Contains(t, string(text), "your favourite grey. Classic trousers, size 50")
	page, err := os.ReadFile(html[0])
	require.NoError(t, err)
	requireUnsubscribeLink(t, string(page), "david", "outbox page")
}

var unsubscribeLink = regexp.MustCompile(regexp.QuoteMeta(e2eBaseURL+"/u/") + `[A-Za-z0-9_.-]+`)

// requireUnsubscribeLink finds the one-click unsubscribe link in text, checks that it is signed
// with the worker's LINK_SECRET for customerID, and returns it.
func requireUnsubscribeLink(t *testing.T, text, customerID, what string) string {
	t.Helper()
	link := unsubscribeLink.FindString(text)
	require.NotEmpty(t, link, "%s has no unsubscribe link under %s/u/", what, e2eBaseURL)
	signer, err := links.New([]byte(e2eLinkSecret), e2eBaseURL, 0, nil)
	require.NoError(t, err)
	c, err := signer.Verify(links.PurposeUnsubscribe, strings.TrimPrefix(link, e2eBaseURL+"/u/"))
	require.NoError(t, err, "%s: unsubscribe link %s", what, link)
	require.Equal(t, customerID, c.CustomerID, "%s: unsubscribe link %s", what, link)
	return link
}

// stack is one test's Tailor: built binaries, their environment, and the servers behind it.
type stack struct {
	t         *testing.T
	bin       string
	env       []string
	dir       string // for the test's files
	outboxDir string
	store     *store.Store       // the test's database, to check what the binaries wrote
	sink      *sendgridsink.Sink // nil without SendGrid
	baseURL   string             // PUBLIC_BASE_URL: where the links in the emails point
	serving   bool               // the worker's pages are reachable at baseURL (withHTTP)
	opsURL    string             // OPS_ADDR as a URL: /metrics and the detailed /healthz (withHTTP)
	webhook   *ecdsa.PrivateKey  // signs SendGrid Event Webhook deliveries (withWebhook); nil: off

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
	srv := devserver.Start(t)

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
		"TEMPORAL_NAMESPACE": "default",
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
		sink, baseURL := sendgridsink.Start(t, e2eSendGridKey)
		s.sink = sink
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

// buildBinaries builds ./worker and ./starter into a temporary folder.
func buildBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./worker", "./starter")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./worker ./starter:\n%s", out)
	return dir
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
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

// awaitStatus queries the customer's status until cond holds.
func (s *stack) awaitStatus(customer, what string, cond func(e2eStatus) bool) {
	s.t.Helper()
	var last string
	ok := pollUntil(e2eTimeout, func() bool {
		st, out, err := s.tryStatus(customer)
		last = out
		return err == nil && cond(st)
	})
	require.True(s.t, ok, "waiting for %s in `starter status --customer %s --json`; last answer:\n%s", what, customer, last)
}

// pollUntil polls cond every e2ePoll until it holds or timeout passes. Unlike
// require.Eventually it runs cond on the caller's goroutine, so the caller can keep what cond saw.
func pollUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(e2ePoll)
	}
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

func describeMessages(msgs []sendgridsink.Message) string {
	if len(msgs) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, m := range msgs {
		fmt.Fprintf(&b, "\n  %d. %s %s to %s key %s %q", i+1, m.ReceivedAt.Format("15:04:05.000"), m.Kind, m.To, m.Key, m.Subject)
	}
	return b.String()
}
