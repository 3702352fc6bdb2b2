package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"
)

// The data-in benchmark (issue 15, bench/run.sh --mode orders): in one run, on one server,
//
//  1. the baseline: SignalWithStart into a no-op workflow, as in the campaign benchmark;
//  2. `starter import orders`: one order per customer, none of whose workflows exists yet,
//     recorded in chunks with the signals they owe and delivered at --concurrency while the
//     next chunks are recorded;
//  3. a sale to the same customers, whose workflows now exist (the realistic case);
//  4. the HTTP API: batches of new orders POSTed to the worker's /api/v1/events, each applied
//     through the event layer and delivered before the answer.

// ordersResult is everything one orders run measured; results.json holds it.
type ordersResult struct {
	Started     time.Time `json:"started"`
	Customers   int       `json:"customers"`
	Concurrency int       `json:"concurrency"`
	Expected    int       `json:"expected"` // customers with consent: the sale's audience
	Raw         rawResult `json:"raw"`
	// Shape compares the bare SignalWithStart of Raw with one shaped like the event layer's.
	Shape  shapeResult `json:"shape"`
	Import importRun   `json:"import"`
	// ProcessedIn is the import's trigger to the moment visibility listed every customer's workflow
	// at stage purchased (each has run the workflow task and the activity of its purchase).
	ProcessedIn   time.Duration `json:"processed_ns"`
	ImportHistory historyCost   `json:"import_history"` // per customer after the import
	Sale          saleRun       `json:"sale"`
	Deliveries    deliveries    `json:"deliveries"`
	SaleHistory   historyCost   `json:"sale_history"` // per customer after the sale: import and sale
	CampaignDone  time.Duration `json:"campaign_done_ns"`
	API           apiRun        `json:"api"`
	Worker        procStats     `json:"worker"`
	Server        procStats     `json:"server"`
	Phases        []phaseUse    `json:"phases"`
	// WithoutWorker: Tailor's worker was stopped before the shape probe and the run ended after the import.
	WithoutWorker bool `json:"without_worker,omitempty"`
}

// importRun is what happened when the starter imported the orders.
type importRun struct {
	Args        []string      `json:"args"`
	Trigger     time.Time     `json:"trigger"`
	StarterTook time.Duration `json:"starter_took_ns"`
	StarterErr  string        `json:"starter_error,omitempty"`
	Owed        int64         `json:"owed"`         // purchase signals in signal_outbox
	Delivered   int64         `json:"delivered"`    // of them delivered when the wait ended
	FirstIn     time.Duration `json:"first_ns"`     // trigger to the first of the import's rows being visible (polled)
	RecordedIn  time.Duration `json:"recorded_ns"`  // trigger to all of the import's rows being visible (polled)
	DeliveredIn time.Duration `json:"delivered_ns"` // trigger to the last delivered_at
	GaveUp      string        `json:"gave_up,omitempty"`
}

// apiRun is the API phase: Events order events in batches of Batch, Concurrency requests in flight.
type apiRun struct {
	Events      int           `json:"events"`
	Batch       int           `json:"batch"`
	Concurrency int           `json:"concurrency"`
	Took        time.Duration `json:"took_ns"` // first request sent to last answer read
	Applied     int           `json:"applied"` // events the answers say were applied
	NotApplied  int           `json:"not_applied"`
	Retries     int           `json:"retries"`   // 503s sent again
	Delivered   int64         `json:"delivered"` // their purchase signals delivered when the phase ended
	P50         time.Duration `json:"p50_ns"`    // per request (one batch)
	P99         time.Duration `json:"p99_ns"`
	Max         time.Duration `json:"max_ns"`
	FirstError  string        `json:"first_error,omitempty"`
}

// phaseUse is the CPU the worker and the server used in one phase, and how busy the machine was.
type phaseUse struct {
	Name      string        `json:"name"`
	Wall      time.Duration `json:"wall_ns"`
	WorkerCPU time.Duration `json:"worker_cpu_ns"`
	ServerCPU time.Duration `json:"server_cpu_ns"`
	Busy      float64       `json:"busy_cores"`
	Server    *serverUse    `json:"server,omitempty"` // with --server-metrics
}

type ordersConfig struct {
	orders    string // the orders CSV
	api       string // base URL of the worker's HTTP_ADDR
	apiToken  string
	apiEvents int
	apiBatch  int
	apiFlight int // requests in flight
	// withoutWorker stops Tailor's worker before the shape probe and ends the run after the import.
	withoutWorker bool
}

// stopProcess ends the process pid with SIGTERM and waits until it is gone.
func stopProcess(pid int) error {
	if pid <= 0 {
		return errors.New("--import-without-worker needs --worker-pid")
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop the worker (pid %d): %w", pid, err)
	}
	for deadline := time.Now().Add(time.Minute); syscall.Kill(pid, 0) == nil; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the worker (pid %d) is still running a minute after SIGTERM", pid)
		}
	}
	return nil
}

// phaseMeter samples the worker, the server and the machine at the start of each phase.
type phaseMeter struct {
	workerPID, serverPID int
	metricsURL           string // the server's Prometheus listener; "" when not known
	metrics              serverMetrics
	name                 string
	at                   time.Time
	w, s                 procStats
	m                    machineCPU
	done                 []phaseUse
}

func (p *phaseMeter) start(name string) {
	p.end()
	p.name, p.at = name, time.Now()
	p.w, p.s, p.m = procOrZero(p.workerPID), procOrZero(p.serverPID), readMachineCPU()
	p.metrics = p.scrape()
}

// scrape reads the server's metrics, or nil when there is no listener to read or it failed (the
// phase is then reported without them).
func (p *phaseMeter) scrape() serverMetrics {
	if p.metricsURL == "" {
		return nil
	}
	m, err := readServerMetrics(context.Background(), p.metricsURL)
	if err != nil {
		return nil
	}
	return m
}

func (p *phaseMeter) end() {
	if p.name == "" {
		return
	}
	w, s, m := procOrZero(p.workerPID), procOrZero(p.serverPID), readMachineCPU()
	use := phaseUse{Name: p.name, Wall: time.Since(p.at), WorkerCPU: w.CPU - p.w.CPU, ServerCPU: s.CPU - p.s.CPU, Busy: busyCores(p.m, m)}
	if after := p.scrape(); p.metrics != nil && after != nil {
		u := summarise(after.since(p.metrics), use.Wall)
		use.Server = &u
	}
	p.done = append(p.done, use)
	p.name = ""
}

func measureOrders(ctx context.Context, cfg measureConfig, oc ordersConfig, c client.Client, db *pgxpool.Pool, progress io.Writer) (res ordersResult, err error) {
	res = ordersResult{Started: time.Now().UTC(), Customers: cfg.customers, Concurrency: cfg.concurrency}
	expected, err := expectedCustomers(ctx, db)
	if err != nil {
		return res, err
	}
	res.Expected = len(expected)
	// The deferred function completes res on every return (a named result).
	meter := &phaseMeter{workerPID: cfg.workerPID, serverPID: cfg.serverPID, metricsURL: cfg.serverMetrics}
	defer func() {
		meter.end()
		res.Phases = meter.done
		res.Worker, res.Server = procOrZero(cfg.workerPID), procOrZero(cfg.serverPID)
	}()

	meter.start("baseline")
	fmt.Fprintf(progress, "baseline: %d SignalWithStarts into a no-op workflow, %d in flight\n", cfg.rawCount, cfg.concurrency)
	if res.Raw, err = runRaw(ctx, c, cfg.rawCount, cfg.concurrency, cfg.stall, progress); err != nil {
		return res, err
	}

	if oc.withoutWorker {
		// How much of the import's rate the workflows' own work costs: with no worker none of
		// them runs its purchase while the import delivers. Stopped before the shape probe, so
		// that the probe can also send Tailor's own calls into customers' workflows.
		meter.end()
		if err := stopProcess(cfg.workerPID); err != nil {
			return res, err
		}
		res.WithoutWorker = true
		fmt.Fprintf(progress, "shape: Tailor's worker (pid %d) stopped first; the run ends after the import\n", cfg.workerPID)
	}
	meter.start("shape")
	if res.Shape, err = runShape(ctx, c, min(shapeBlock, cfg.customers), cfg.concurrency, oc.withoutWorker, cfg.stall, progress); err != nil {
		return res, err
	}

	meter.start("import")
	if res.Import, err = runImport(ctx, cfg, oc.orders, db, progress); err != nil {
		return res, err
	}
	if res.Import.GaveUp != "" {
		return res, fmt.Errorf("import: %s", res.Import.GaveUp)
	}
	if res.WithoutWorker {
		return res, nil // the rest needs the worker
	}
	// The import's phase ends with its deliveries; the workflows' processing of them goes on.
	meter.start("processing")
	const processed = "WorkflowType = 'CustomerLifecycle' AND LifecycleStage = 'purchased'"
	if err := waitForCount(ctx, c, processed, int64(cfg.customers), cfg.stall, progress, "orders processed by their workflows"); err != nil {
		return res, err
	}
	res.ProcessedIn = time.Since(res.Import.Trigger)
	fmt.Fprintf(progress, "import: every customer's workflow at stage purchased %s after the trigger\n", round(res.ProcessedIn))
	meter.end()
	if res.ImportHistory, err = sampleHistories(ctx, c, expected, cfg.samples); err != nil {
		return res, err
	}

	meter.start("sale")
	res.Sale, err = runSale(ctx, saleOptions{
		starter: cfg.starter, concurrency: cfg.concurrency, rate: cfg.rate, category: cfg.category, discount: cfg.discount,
		expected: int64(len(expected)), stall: cfg.stall, settle: cfg.settle, outDir: cfg.outDir,
	}, db, progress)
	if err != nil {
		return res, err
	}
	meter.end()
	msgs, err := sinkMessages(ctx, cfg.sink)
	if err != nil {
		return res, err
	}
	res.Deliveries = analyse(msgs, expected, res.Sale.Trigger)
	if res.SaleHistory, err = sampleHistories(ctx, c, expected, cfg.samples); err != nil {
		return res, err
	}
	if cc, err := campaignHistories(ctx, c); err != nil {
		return res, err
	} else if !cc.Closed.IsZero() {
		res.CampaignDone = cc.Closed.Sub(res.Sale.Trigger)
	}

	if oc.apiEvents > 0 {
		meter.start("api")
		if res.API, err = runAPI(ctx, oc, cfg.customers, db, progress); err != nil {
			return res, err
		}
		meter.end()
	}
	return res, nil
}

// shapeBlock is how many SignalWithStarts each of the shape probe's six blocks makes: enough for
// a stable rate, few enough to leave the server as the baseline left it.
const shapeBlock = 1000

// runImport runs `starter import orders` and waits until every purchase signal it owes is
// delivered (by the starter or by the worker's relay) and the starter has returned.
func runImport(ctx context.Context, cfg measureConfig, orders string, db *pgxpool.Pool, progress io.Writer) (importRun, error) {
	r := importRun{Args: []string{"import", "--concurrency", fmt.Sprint(cfg.concurrency), "orders", orders}}
	started, err := startStarter(ctx, cfg.starter, r.Args, filepath.Join(cfg.outDir, "starter-import.log"), "import", progress)
	if err != nil {
		return r, err
	}
	defer started.close()
	r.Trigger = started.trigger
	exited, cancel := started.exited, started.cancel

	var (
		starterDone bool
		last        int64 = -1
		moved             = time.Now()
		shown             = time.Now()
		lastAt      *time.Time
	)
	for {
		select {
		case err := <-exited:
			starterDone, exited = true, nil
			r.StarterTook = time.Since(r.Trigger)
			if err != nil {
				r.StarterErr = err.Error()
			}
			fmt.Fprintf(progress, "import: starter returned after %s (%v)\n", round(r.StarterTook), errOrOK(err))
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(pollEvery):
		}
		if err := db.QueryRow(ctx, `
			SELECT count(*), count(delivered_at), max(delivered_at) FROM signal_outbox
			WHERE signal = 'purchase' AND event_id NOT LIKE 'purchase/api-%'`).Scan(&r.Owed, &r.Delivered, &lastAt); err != nil {
			return r, fmt.Errorf("count the owed signals: %w", err)
		}
		// The import records in chunks and delivers while it records: the first chunk starts
		// the deliveries, the last ends the recording.
		if r.Owed > 0 && r.FirstIn == 0 {
			r.FirstIn = time.Since(r.Trigger)
			fmt.Fprintf(progress, "import: the first %d orders recorded with their signals %s after the trigger\n", r.Owed, round(r.FirstIn))
		}
		if r.Owed >= int64(cfg.customers) && r.RecordedIn == 0 {
			r.RecordedIn = time.Since(r.Trigger)
			fmt.Fprintf(progress, "import: all %d orders recorded with their signals %s after the trigger\n", r.Owed, round(r.RecordedIn))
		}
		progressed := r.Owed + r.Delivered
		if progressed != last {
			last, moved = progressed, time.Now()
		}
		if time.Since(shown) >= 5*time.Second {
			fmt.Fprintf(progress, "import: %s after the trigger, %d/%d signals delivered\n", round(time.Since(r.Trigger)), r.Delivered, cfg.customers)
			shown = time.Now()
		}
		switch {
		case starterDone && r.Owed >= int64(cfg.customers) && r.Delivered == r.Owed:
			r.DeliveredIn = lastAt.Sub(r.Trigger)
			return r, nil
		case starterDone && r.StarterErr != "" && r.Owed == 0:
			r.GaveUp = "the starter failed before recording anything; see starter-import.log"
			return r, nil
		case time.Since(moved) > cfg.stall:
			r.GaveUp = fmt.Sprintf("%d of %d signals delivered and nothing moved for %s", r.Delivered, cfg.customers, cfg.stall)
			if !starterDone {
				cancel()
				<-exited
			}
			return r, nil
		}
	}
}

// runAPI posts oc.apiEvents new orders (api-o..., one line each, spread over the customers) in
// batches of oc.apiBatch, concurrency requests in flight, and times each request.
//
// A 503 (more batches at once than the API handles) is sent again after its Retry-After, as a
// client should; the request's latency then counts from its first attempt.
func runAPI(ctx context.Context, oc ordersConfig, customers int, db *pgxpool.Pool, progress io.Writer) (apiRun, error) {
	concurrency := oc.apiFlight
	r := apiRun{Events: oc.apiEvents, Batch: oc.apiBatch, Concurrency: concurrency}
	at := time.Now().UTC().Format(time.RFC3339)
	var bodies [][]byte
	for start := 0; start < oc.apiEvents; start += oc.apiBatch {
		var evs []string
		for i := start; i < min(start+oc.apiBatch, oc.apiEvents); i++ {
			evs = append(evs, fmt.Sprintf(`{"id":"api-e%07d","type":"order","order_id":"api-o%07d","customer_id":%q,"ordered_at":%q,"lines":[{"sku":"CH-BLUE-50","price_cents":6900}]}`,
				i, i, customerID(i%customers+1), at))
		}
		bodies = append(bodies, []byte(`{"events":[`+strings.Join(evs, ",")+`]}`))
	}
	fmt.Fprintf(progress, "api: %d order events in %d batches of %d, %d requests in flight, to %s\n", oc.apiEvents, len(bodies), oc.apiBatch, concurrency, oc.api)
	lat := make([]time.Duration, len(bodies))
	var mu sync.Mutex
	client := &http.Client{Timeout: 2 * time.Minute}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	start := time.Now()
	for i, body := range bodies {
		g.Go(func() error {
			sent := time.Now()
			var resp *http.Response
			for {
				req, err := http.NewRequestWithContext(gctx, http.MethodPost, strings.TrimRight(oc.api, "/")+"/api/v1/events", bytes.NewReader(body))
				if err != nil {
					return err
				}
				req.Header.Set("Authorization", "Bearer "+oc.apiToken)
				req.Header.Set("Content-Type", "application/json")
				resp, err = client.Do(req)
				if err != nil {
					return fmt.Errorf("POST batch %d: %w", i, err)
				}
				if resp.StatusCode != http.StatusServiceUnavailable {
					break
				}
				resp.Body.Close()
				mu.Lock()
				r.Retries++
				mu.Unlock()
				wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
				select {
				case <-gctx.Done():
					return gctx.Err()
				case <-time.After(time.Duration(max(wait, 1)) * time.Second):
				}
			}
			var answer struct {
				Applied, Invalid, Failed int
				Results                  []struct{ Status, Error string }
			}
			decErr := json.NewDecoder(resp.Body).Decode(&answer)
			resp.Body.Close()
			lat[i] = time.Since(sent)
			mu.Lock()
			defer mu.Unlock()
			r.Applied += answer.Applied
			r.NotApplied += answer.Invalid + answer.Failed
			if (resp.StatusCode != http.StatusOK || decErr != nil) && r.FirstError == "" {
				r.FirstError = fmt.Sprintf("batch %d: %s (%v) %+v", i, resp.Status, decErr, answer.Results[:min(1, len(answer.Results))])
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return r, err
	}
	r.Took = time.Since(start)
	slices.Sort(lat)
	if len(lat) > 0 {
		r.P50, r.P99, r.Max = percentile(lat, 50), percentile(lat, 99), lat[len(lat)-1]
	}
	if err := db.QueryRow(ctx, `SELECT count(delivered_at) FROM signal_outbox WHERE event_id LIKE 'purchase/api-o%'`).Scan(&r.Delivered); err != nil {
		return r, fmt.Errorf("count the API's delivered signals: %w", err)
	}
	fmt.Fprintf(progress, "api: %d applied, %d not, in %s; %d signals delivered\n", r.Applied, r.NotApplied, round(r.Took), r.Delivered)
	return r, nil
}

// reportOrders prints the summary for a person, then the markdown rows docs/BENCHMARKS.md quotes.
func reportOrders(w io.Writer, r ordersResult) {
	rawAcc, rawDone := r.Raw.acceptedPerSec(), r.Raw.completedPerSec()
	im := r.Import
	delivered := perSec(int(im.Delivered), im.DeliveredIn)
	processed := perSec(r.Customers, r.ProcessedIn)
	d := r.Deliveries
	emails := perSec(d.Emails, d.Last)
	campaign := perSec(r.Expected, r.CampaignDone)
	apiRate := perSec(r.API.Applied, r.API.Took)

	fmt.Fprintf(w, "\n== data-in benchmark: %d customers, %d in flight ==\n", r.Customers, r.Concurrency)
	fmt.Fprintf(w, "baseline:          %d SignalWithStart into a no-op workflow: %.0f accepted/s (%s), %.0f completed/s (%s); per call p50 %s, p99 %s%s\n",
		r.Raw.Count, rawAcc, round(r.Raw.Accepted), rawDone, round(r.Raw.Completed), round(r.Raw.CallP50), round(r.Raw.CallP99), failedCount(r.Raw.Failed))
	if sh := r.Shape; sh.Block > 0 {
		order := "bare, shaped, unsearchable, unsearchable, shaped, bare"
		if sh.Tailor.Calls > 0 {
			order = "bare, shaped, unsearchable, Tailor's, Tailor's, unsearchable, shaped, bare"
		}
		fmt.Fprintf(w, "shape:             %d SignalWithStarts of each kind, in blocks of %d (%s): bare %.0f/s (mean %s), shaped like the event layer's (two search attributes, the input, a recorded purchase) %.0f/s (%s), the same without the search attributes %.0f/s (%s); the shape runs at %.2f of the bare rate, %.2f without its search attributes%s\n",
			2*sh.Block, sh.Block, order, sh.Bare.perSec(), round(sh.Bare.Mean), sh.Shaped.perSec(), round(sh.Shaped.Mean), sh.NoSearch.perSec(), round(sh.NoSearch.Mean),
			sh.rateRatio(), ratio(sh.NoSearch.perSec(), sh.Bare.perSec()), failedCount(sh.Failed))
		if sh.Tailor.Calls > 0 {
			fmt.Fprintf(w, "                   Tailor's own calls (lifecycleclient.Signal into customers' workflows, no worker running) %.0f/s (mean %s): %.2f of the bare rate\n",
				sh.Tailor.perSec(), round(sh.Tailor.Mean), ratio(sh.Tailor.perSec(), sh.Bare.perSec()))
		}
	}
	fmt.Fprintf(w, "import:            starter %s (returned after %s%s)\n", strings.Join(im.Args, " "), round(im.StarterTook), failedNote(im.StarterErr))
	fmt.Fprintf(w, "                   %d orders recorded with their signals from %s to %s after the trigger; %d delivered %s after it: %.0f orders/s imported and delivered\n",
		im.Owed, round(im.FirstIn), round(im.RecordedIn), im.Delivered, round(im.DeliveredIn), delivered)
	if r.WithoutWorker {
		fmt.Fprintf(w, "                   Tailor's worker was stopped during the import, so no workflow ran its purchase; the run ended here\n")
		for _, p := range r.Phases {
			writePhase(w, p)
		}
		fmt.Fprintf(w, "ratio:             import delivered/s ÷ raw accepted/s = %.2f, without the worker\n", ratio(delivered, rawAcc))
		return
	}
	fmt.Fprintf(w, "                   every workflow at stage purchased after %s: %.0f orders/s processed\n", round(r.ProcessedIn), processed)
	h := r.ImportHistory
	fmt.Fprintf(w, "                   per customer: %.1f history events, %.1f workflow tasks, %.1f activities, %.1f local activities (mean of %d)\n",
		h.Events, h.WorkflowTasks, h.Activities, h.LocalActs, h.Samples)
	fmt.Fprintf(w, "                   e.g. %s\n", strings.Join(h.Example, " "))
	fmt.Fprintf(w, "sale:              starter %s (returned after %s%s) to %d customers whose workflows exist\n",
		strings.Join(r.Sale.Args, " "), round(r.Sale.StarterTook), failedNote(r.Sale.StarterErr), r.Expected)
	if r.Sale.GaveUp != "" {
		fmt.Fprintf(w, "GAVE UP:           %s\n", r.Sale.GaveUp)
	}
	if r.CampaignDone > 0 {
		fmt.Fprintf(w, "                   campaign workflow closed %s after the trigger: %.0f customers/s\n", round(r.CampaignDone), campaign)
	}
	fmt.Fprintf(w, "                   %d emails in %s: %.0f/s; trigger to email p50 %s, p99 %s; %d duplicates, %d misses, %d other emails\n",
		d.Emails, round(d.Last), emails, round(d.P50), round(d.P99), d.ExtraEmails, d.Misses, d.OtherKinds)
	s := r.SaleHistory
	fmt.Fprintf(w, "                   per customer after the sale: %.1f history events (%.1f for the sale), %.1f workflow tasks, %.1f activities, %.1f local activities\n",
		s.Events, s.Events-h.Events, s.WorkflowTasks, s.Activities, s.LocalActs)
	if r.API.Events > 0 {
		a := r.API
		fmt.Fprintf(w, "api:               %d order events in batches of %d, %d requests in flight: %d applied, %d not, in %s: %.0f events/s; per batch p50 %s, p99 %s, max %s; %d signals delivered; %d 503s sent again%s\n",
			a.Events, a.Batch, a.Concurrency, a.Applied, a.NotApplied, round(a.Took), apiRate, round(a.P50), round(a.P99), round(a.Max), a.Delivered, a.Retries, failedNote(a.FirstError))
	}
	for _, p := range r.Phases {
		writePhase(w, p)
	}
	fmt.Fprintf(w, "worker:            peak RSS %s; dev server peak RSS %s\n", mib(r.Worker.PeakRSS), mib(r.Server.PeakRSS))
	fmt.Fprintf(w, "ratio:             import delivered/s ÷ raw accepted/s = %.2f (target ≥ 0.80); processed/s ÷ raw completed/s = %.2f\n",
		ratio(delivered, rawAcc), ratio(processed, rawDone))
	fmt.Fprintf(w, "                   sale emails/s ÷ raw completed/s = %.2f; API events/s ÷ raw accepted/s = %.2f\n",
		ratio(emails, rawDone), ratio(apiRate, rawAcc))
	if r.Shape.Block > 0 {
		fmt.Fprintf(w, "                   import delivered/s ÷ (raw accepted/s × the shape's %.2f) = %.2f: the import against SignalWithStarts shaped like its own\n",
			r.Shape.rateRatio(), ratio(delivered, rawAcc*r.Shape.rateRatio()))
	}

	fmt.Fprintf(w, "\nmarkdown rows (docs/BENCHMARKS.md):\n")
	fmt.Fprintln(w, "| date | customers | raw SWS accepted/s | raw completed/s | import: delivered/s | ÷ accepted | processed/s | ÷ completed | events/customer | sale: emails/s | ÷ completed | p99 | events/customer (sale) | duplicates | misses |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| %s | %d | %.0f | %.0f | %.0f | %.2f | %.0f | %.2f | %.1f | %.0f | %.2f | %s | %.1f | %d | %d |\n",
		r.Started.Format("2006-01-02"), r.Customers, rawAcc, rawDone, delivered, ratio(delivered, rawAcc), processed, ratio(processed, rawDone), h.Events,
		emails, ratio(emails, rawDone), seconds(d.P99), s.Events-h.Events, d.ExtraEmails, d.Misses)
	if r.API.Events > 0 {
		a := r.API
		fmt.Fprintln(w, "| date | events × batch | in flight | API events/s | raw SWS accepted/s | ÷ accepted | API p50 per batch | API p99 per batch | raw SWS p99 per call | applied | delivered |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		fmt.Fprintf(w, "| %s | %d × %d | %d | %.0f | %.0f | %.2f | %s | %s | %s | %d | %d |\n",
			r.Started.Format("2006-01-02"), a.Events, a.Batch, a.Concurrency, apiRate, rawAcc, ratio(apiRate, rawAcc),
			millis(a.P50), millis(a.P99), millis(r.Raw.CallP99), a.Applied, a.Delivered)
	}
}

func writePhase(w io.Writer, p phaseUse) {
	fmt.Fprintf(w, "phase %-9s     %s wall; worker CPU %s, server CPU %s; %.2f of %d cores busy\n",
		p.Name+":", round(p.Wall), round(p.WorkerCPU), round(p.ServerCPU), p.Busy, runtime.NumCPU())
	if p.Server != nil {
		p.Server.write(w, "                   ")
	}
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
