package workflows_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/internal/temporaltest"
	"github.com/tailorhq/tailor/workflows"
)

// countingReacher wraps the real client: it counts signals per customer and the most in flight at
// once, and, with blockAfter > 0, blocks every signal after the first blockAfter until its context
// ends (a worker that hangs mid-page).
type countingReacher struct {
	next       activities.Reacher
	delay      time.Duration
	blockAfter int64

	calls    atomic.Int64
	inFlight atomic.Int64
	maxSeen  atomic.Int64
	mu       sync.Mutex
	per      map[string]int
}

func (r *countingReacher) Signal(ctx context.Context, customerID, name string, payload any) error {
	if r.blockAfter > 0 && r.calls.Load() >= r.blockAfter {
		<-ctx.Done()
		return ctx.Err()
	}
	n := r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	for {
		m := r.maxSeen.Load()
		if n <= m || r.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(r.delay) // lets concurrent signals overlap visibly
	if err := r.next.Signal(ctx, customerID, name, payload); err != nil {
		return err
	}
	r.calls.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.per == nil {
		r.per = map[string]int{}
	}
	r.per[customerID]++
	return nil
}

func (r *countingReacher) signalled() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.per {
		out[k] = v
	}
	return out
}

// campaignStack is one test's database, mailer and workers on the shared dev server.
type campaignStack struct {
	t      *testing.T
	srv    *temporaltest.Server
	store  *store.DB
	mailer *recordingMailer
}

func newCampaignStack(t *testing.T, srv *temporaltest.Server, customers string) *campaignStack {
	t.Helper()
	st, _ := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportProducts(ctx, strings.NewReader(testProducts))
	require.NoError(t, err)
	_, err = st.ImportCustomers(ctx, strings.NewReader(customers))
	require.NoError(t, err)
	return &campaignStack{t: t, srv: srv, store: st, mailer: &recordingMailer{}}
}

// startWorker runs a worker whose campaigns reach customers through reacher; stop ends it.
func (s *campaignStack) startWorker(reacher activities.Reacher) (stop func()) {
	s.t.Helper()
	return s.startNamedWorker("", reacher, s.mailer)
}

// startNamedWorker runs a worker process with its own identity (when not empty), reacher and
// mailer, as one of several polling the same task queues would: the customers' queue and the
// fan-out queue, as cmd worker does.
func (s *campaignStack) startNamedWorker(identity string, reacher activities.Reacher, mailer activities.Mailer) (stop func()) {
	s.t.Helper()
	policy := lifecycle.DefaultPolicy()
	policy.MinGap = 0
	acts := &activities.Activities{
		Store: s.store, Mailer: mailer, Policy: policy, Links: testLinks(s.t),
		Audience: s.store, Reacher: reacher,
	}
	opts := worker.Options{MaxHeartbeatThrottleInterval: time.Second, Identity: identity}
	customers := worker.New(s.srv.Client, workflows.TaskQueue, opts)
	customers.RegisterWorkflow(workflows.CustomerLifecycle)
	customers.RegisterActivity(acts)
	fanOut := worker.New(s.srv.Client, workflows.FanOutTaskQueue, opts)
	fanOut.RegisterWorkflow(workflows.Campaign)
	fanOut.RegisterActivity(acts)
	require.NoError(s.t, customers.Start())
	require.NoError(s.t, fanOut.Start())
	var once sync.Once
	stop = func() { once.Do(func() { fanOut.Stop(); customers.Stop() }) }
	s.t.Cleanup(stop)
	return stop
}

func (s *campaignStack) start(in workflows.CampaignInput) client.WorkflowRun {
	s.t.Helper()
	run, err := s.srv.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: workflows.CampaignWorkflowID(in), TaskQueue: workflows.FanOutTaskQueue,
	}, workflows.Campaign, in)
	require.NoError(s.t, err, "start %s", workflows.CampaignWorkflowID(in))
	return run
}

func (s *campaignStack) progress(id string) workflows.CampaignProgress {
	s.t.Helper()
	v, err := s.srv.Client.QueryWorkflow(context.Background(), id, "", workflows.QueryCampaignProgress)
	require.NoError(s.t, err, "query progress of %s", id)
	var p workflows.CampaignProgress
	require.NoError(s.t, v.Get(&p))
	return p
}

// emailsPerCustomer waits until want customers have an email, then returns the count per customer.
func (s *campaignStack) awaitEmails(want int) map[string]int {
	s.t.Helper()
	per := func() map[string]int {
		out := map[string]int{}
		for _, e := range s.mailer.sent() {
			out[e.CustomerID]++
		}
		return out
	}
	require.Eventually(s.t, func() bool { return len(per()) >= want }, 30*time.Second, 50*time.Millisecond,
		"waiting for %d customers to be emailed; got %v", want, per())
	return per()
}

// customersCSV makes n customers prefix-01.. who like category (with consent), plus others.
func customersCSV(prefix string, n int, category string, extra ...string) string {
	var b strings.Builder
	b.WriteString("id,name,email,locale,timezone,colors,sizes,categories,consent\n")
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("%s-%02d", prefix, i)
		fmt.Fprintf(&b, "%s,Customer %s,%s@example.com,en,Europe/Amsterdam,,50,%s,true\n", id, id, id, category)
	}
	for _, row := range extra {
		b.WriteString(row + "\n")
	}
	return b.String()
}

func saleCampaign(saleID string, pageSize, concurrency int) workflows.CampaignInput {
	in := workflows.SaleCampaign(workflows.SaleSignal{SaleID: saleID, Category: "trousers", DiscountPct: 20})
	in.PageSize, in.Concurrency = pageSize, concurrency
	return in
}

// TestCampaign runs campaigns on one real dev server, each subtest with its own database and its
// own customers (ids prefixed per subtest, since the customers' workflows share the server).
func TestCampaign(t *testing.T) {
	srv := temporaltest.Start(t)
	ctx := context.Background()

	t.Run("reaches only the matching customers, page by page, at bounded concurrency", func(t *testing.T) {
		s := newCampaignStack(t, srv, customersCSV("m", 7, "trousers",
			"m-suits,Suits Only,suits@example.com,en,Europe/Amsterdam,,50,suits,true",
			"m-noconsent,No Consent,nc@example.com,en,Europe/Amsterdam,,50,trousers,false"))
		reacher := &countingReacher{next: lifecycleclient.New(srv.Client), delay: 20 * time.Millisecond}
		s.startWorker(reacher)

		in := saleCampaign("sale/trousers/m-20", 3, 2)
		require.Equal(t, "campaign/sale/trousers/m-20", workflows.CampaignWorkflowID(in))
		var res workflows.CampaignResult
		require.NoError(t, s.start(in).Get(ctx, &res))
		require.Equal(t, workflows.CampaignDone, res.State)
		require.Equal(t, 7, res.Reached, "7 customers like trousers and consent")
		require.Equal(t, 3, res.Pages, "7 customers in pages of 3: 3, 3, 1")
		require.Equal(t, "m-07", res.Cursor)

		signalled := reacher.signalled()
		require.Len(t, signalled, 7, "signalled: %v", signalled)
		for id, n := range signalled {
			require.True(t, strings.HasPrefix(id, "m-0"), "%s does not match the sale", id)
			require.Equal(t, 1, n, "%s signalled %d times", id, n)
		}
		require.LessOrEqual(t, reacher.maxSeen.Load(), int64(2), "concurrency 2")
		require.Equal(t, int64(2), reacher.maxSeen.Load(), "two signals should have overlapped")

		emails := s.awaitEmails(7)
		require.Len(t, emails, 7, "emails: %v", emails)
		for id, n := range emails {
			require.Equal(t, 1, n, "%s emailed %d times", id, n)
		}
		for _, id := range []string{"m-suits", "m-noconsent"} {
			_, err := srv.Client.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID(id), "")
			require.Error(t, err, "%s must not be reached: no workflow", id)
		}

		// The campaign's state is visible without a worker: search attribute and memo.
		desc, err := srv.Client.DescribeWorkflowExecution(ctx, workflows.CampaignWorkflowID(in), "")
		require.NoError(t, err)
		var state string
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(
			desc.WorkflowExecutionInfo.SearchAttributes.IndexedFields[workflows.SearchAttrCampaignState], &state))
		require.Equal(t, string(workflows.CampaignDone), state)
		var memo workflows.CampaignProgress
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(
			desc.WorkflowExecutionInfo.Memo.Fields[workflows.MemoCampaignProgress], &memo))
		require.Equal(t, 7, memo.Reached)
		require.Equal(t, workflows.CampaignDone, s.progress(workflows.CampaignWorkflowID(in)).State, "the query answers after the end")

		// The send log finds the campaign's follow-ups by their keys.
		o, err := s.store.CampaignOutcomes(ctx, memo.Audience, memo.Subject, memo.Started)
		require.NoError(t, err)
		require.Equal(t, store.Outcomes{Sent: 7}, o)

		logCustomerCost(t, srv.Client, workflows.CustomerWorkflowID("m-01"))
	})

	t.Run("a last page that is full ends with an empty page", func(t *testing.T) {
		s := newCampaignStack(t, srv, customersCSV("x", 6, "trousers"))
		s.startWorker(lifecycleclient.New(srv.Client))
		var res workflows.CampaignResult
		require.NoError(t, s.start(saleCampaign("sale/trousers/x-20", 3, 4)).Get(ctx, &res))
		require.Equal(t, 6, res.Reached)
		require.Equal(t, 2, res.Pages, "6 customers in pages of 3: 3, 3, then an empty page")
		require.Len(t, s.awaitEmails(6), 6)
	})

	t.Run("resumes after a worker dies mid-page: everyone emailed once", func(t *testing.T) {
		s := newCampaignStack(t, srv, customersCSV("r", 7, "trousers"))
		hung := &countingReacher{next: lifecycleclient.New(srv.Client), blockAfter: 3}
		stop := s.startWorker(hung)
		in := saleCampaign("sale/trousers/r-20", 5, 1)
		run := s.start(in)
		require.Eventually(t, func() bool { return hung.calls.Load() == 3 }, 20*time.Second, 20*time.Millisecond)
		time.Sleep(1500 * time.Millisecond) // one heartbeat throttle interval: the mark reaches the server
		stop()                              // the worker dies while its ReachCustomers hangs on the 4th customer

		fresh := &countingReacher{next: lifecycleclient.New(srv.Client)}
		s.startWorker(fresh)
		var res workflows.CampaignResult
		require.NoError(t, run.Get(ctx, &res))
		require.Equal(t, 7, res.Reached, "every customer counted once")
		require.Equal(t, 2, res.Pages)

		first, again := hung.signalled(), fresh.signalled()
		for i := 1; i <= 7; i++ {
			id := fmt.Sprintf("r-%02d", i)
			require.Equal(t, 1, first[id]+again[id], "%s: signalled %d times before the crash and %d after", id, first[id], again[id])
		}
		emails := s.awaitEmails(7)
		require.Never(t, func() bool { return len(s.mailer.sent()) > 7 }, time.Second, 100*time.Millisecond)
		for id, n := range emails {
			require.Equal(t, 1, n, "%s emailed %d times", id, n)
		}
	})

	t.Run("cancel stops further pages and signals", func(t *testing.T) {
		s := newCampaignStack(t, srv, customersCSV("k", 7, "trousers"))
		hung := &countingReacher{next: lifecycleclient.New(srv.Client), blockAfter: 3}
		s.startWorker(hung)
		in := saleCampaign("sale/trousers/k-20", 2, 1)
		run := s.start(in)
		require.Eventually(t, func() bool { return hung.calls.Load() == 3 }, 20*time.Second, 20*time.Millisecond)
		require.NoError(t, srv.Client.CancelWorkflow(ctx, workflows.CampaignWorkflowID(in), ""))

		err := run.Get(ctx, nil)
		require.True(t, temporal.IsCanceledError(err), "the campaign ends cancelled, got %v", err)
		desc, err := srv.Client.DescribeWorkflowExecution(ctx, workflows.CampaignWorkflowID(in), "")
		require.NoError(t, err)
		require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_CANCELED, desc.WorkflowExecutionInfo.Status)
		p := s.progress(workflows.CampaignWorkflowID(in))
		require.Equal(t, workflows.CampaignCancelled, p.State)
		require.Equal(t, 3, p.Reached, "page 1 and the first of page 2")
		require.Equal(t, "k-03", p.Cursor)
		require.Len(t, hung.signalled(), 3, "no signal after the cancel")
		// The customers reached keep their follow-ups.
		require.Len(t, s.awaitEmails(3), 3)
		for _, id := range []string{"k-04", "k-07"} {
			_, err := srv.Client.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID(id), "")
			require.Error(t, err, "%s must not be reached after the cancel", id)
		}
	})
}

// countingMailer counts the emails one worker sent, passing them on to the stack's mailer.
type countingMailer struct {
	next activities.Mailer
	sent atomic.Int64
}

func (m *countingMailer) Send(ctx context.Context, e lifecycle.Email) (string, error) {
	id, err := m.next.Send(ctx, e)
	if err == nil {
		m.sent.Add(1)
	}
	return id, err
}

// TestCampaignTwoWorkers scales out: two workers (two processes in production) poll the one task
// queue while a sale campaign pages through 30 customers. The server hands the campaign's pages and
// the customers' tasks to both; every customer is still reached and emailed exactly once.
func TestCampaignTwoWorkers(t *testing.T) {
	srv := temporaltest.Start(t)
	ctx := context.Background()
	const customers = 30
	s := newCampaignStack(t, srv, customersCSV("w", customers, "trousers"))

	type counted struct {
		name    string
		reacher *countingReacher
		mailer  *countingMailer
	}
	workers := []*counted{{name: "worker-a"}, {name: "worker-b"}}
	for _, w := range workers {
		w.reacher = &countingReacher{next: lifecycleclient.New(srv.Client), delay: 5 * time.Millisecond}
		w.mailer = &countingMailer{next: s.mailer}
		s.startNamedWorker(w.name, w.reacher, w.mailer)
	}

	in := saleCampaign("sale/trousers/w-20", 5, 2) // 6 pages, each a run (continue-as-new) that either worker may pick up
	began := time.Now()
	var res workflows.CampaignResult
	require.NoError(t, s.start(in).Get(ctx, &res))
	require.Equal(t, workflows.CampaignDone, res.State)
	require.Equal(t, customers, res.Reached)
	t.Logf("campaign over %d customers done in %v", customers, time.Since(began).Round(time.Millisecond))

	// Reached once: the two workers' signals together cover every customer exactly once.
	a, b := workers[0].reacher.signalled(), workers[1].reacher.signalled()
	for i := 1; i <= customers; i++ {
		id := fmt.Sprintf("w-%02d", i)
		require.Equal(t, 1, a[id]+b[id], "%s: signalled %d times by worker-a and %d by worker-b", id, a[id], b[id])
	}
	// Emailed once, whichever worker ran the customer's workflow.
	emails := s.awaitEmails(customers)
	require.Never(t, func() bool { return len(s.mailer.sent()) > customers }, 500*time.Millisecond, 50*time.Millisecond)
	require.Len(t, emails, customers)
	for id, n := range emails {
		require.Equal(t, 1, n, "%s emailed %d times", id, n)
	}

	// Both workers did part of the work: campaign pages (signals) or customers' emails.
	for _, w := range workers {
		signals, sent := len(w.reacher.signalled()), w.mailer.sent.Load()
		t.Logf("%s: %d customers signalled, %d emails sent", w.name, signals, sent)
		require.Positive(t, int64(signals)+sent, "%s ran no campaign page and sent no email: the queue was not shared", w.name)
	}
	require.Equal(t, int64(customers), workers[0].mailer.sent.Load()+workers[1].mailer.sent.Load())

	// The server saw both pollers on both task queues.
	for _, queue := range []string{workflows.TaskQueue, workflows.FanOutTaskQueue} {
		desc, err := srv.Client.DescribeTaskQueue(ctx, queue, enums.TASK_QUEUE_TYPE_WORKFLOW)
		require.NoError(t, err)
		seen := map[string]bool{}
		for _, p := range desc.Pollers {
			seen[p.Identity] = true
		}
		require.True(t, seen["worker-a"] && seen["worker-b"], "pollers on %s: %v", queue, seen)
	}
}

// logCustomerCost logs what reaching one customer cost on the server: the history events of its
// workflow and the workflow tasks it took, for docs/BENCHMARKS.md.
func logCustomerCost(t *testing.T, c client.Client, workflowID string) {
	t.Helper()
	ctx := context.Background()
	desc, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	require.NoError(t, err)
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var tasks, activities, local int
	var kinds []string
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		kinds = append(kinds, strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_"))
		switch e.GetEventType() {
		case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			tasks++
		case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			activities++
		case enums.EVENT_TYPE_MARKER_RECORDED:
			local++
		}
	}
	t.Logf("per-customer cost of a sale campaign (%s, first contact): %d history events (HistoryLength), %d workflow tasks, %d activities, %d local activities/markers; events: %s",
		workflowID, desc.WorkflowExecutionInfo.HistoryLength, tasks, activities, local, strings.Join(kinds, " "))
}
