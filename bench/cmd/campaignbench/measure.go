package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tailorhq/tailor/bench/internal/benchcmd"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/api"
	"github.com/tailorhq/tailor/workflows"
)

type measureConfig struct {
	temporal    string
	namespace   string
	database    string
	sink        string
	starter     string
	customers   int
	category    string
	discount    int
	concurrency int
	rate        float64
	rawCount    int
	samples     int
	workerPID   int
	serverPID   int
	// serverMetrics is the server's Prometheus URL: each orders phase then reports where the
	// server's time went.
	serverMetrics string
	stall         time.Duration
	settle        time.Duration
	outDir        string
}

// result is everything one run measured; results.json holds it.
type result struct {
	Started     time.Time     `json:"started"`
	Customers   int           `json:"customers"`
	Concurrency int           `json:"concurrency"`    // in flight, in the baseline and in the sale
	Rate        float64       `json:"rate,omitempty"` // the campaign's --rate; 0: no limit
	Expected    int           `json:"expected"`       // customers the sale concerns: all of them, with consent
	Raw         rawResult     `json:"raw"`
	Sale        saleRun       `json:"sale"`
	Reached     int           `json:"reached"`    // customer workflows visibility lists
	ReachedIn   time.Duration `json:"reached_ns"` // trigger to the last customer workflow's start
	Deliveries  deliveries    `json:"deliveries"`
	History     historyCost   `json:"history"`
	Campaign    campaignCost  `json:"campaign"` // the campaign workflows' own histories
	// CampaignDoneIn is the trigger to the close of the campaign's last run.
	CampaignDoneIn time.Duration `json:"campaign_done_ns"`
	Worker         procStats     `json:"worker"`
	Server         procStats     `json:"server"`
	WorkerCPU      phaseCPU      `json:"worker_cpu"`
	ServerCPU      phaseCPU      `json:"server_cpu"`
	Load           phaseLoad     `json:"load"`
}

// phaseCPU is the CPU a process used during the baseline and during the sale.
type phaseCPU struct {
	Raw  time.Duration `json:"raw_ns"`
	Sale time.Duration `json:"sale_ns"`
}

// phaseLoad is how busy the whole machine was in each phase, and how much of that was the
// benchmark's own processes (dev server, worker, this program; PostgreSQL is shared and not
// counted as ours).
type phaseLoad struct {
	RawBusy, SaleBusy float64 // cores
	RawOurs, SaleOurs float64 // cores
}

func runMeasure(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg measureConfig
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.temporal, "temporal", "", "Temporal frontend `HOST:PORT` (required)")
	fs.StringVar(&cfg.namespace, "namespace", "default", "Temporal `namespace`")
	fs.StringVar(&cfg.database, "database", "", "PostgreSQL `URL` of the shop's database (required)")
	fs.StringVar(&cfg.sink, "sink", "", "base `URL` of the SendGrid sink the worker sends to (required)")
	fs.StringVar(&cfg.starter, "starter", "", "`path` of the starter binary (required)")
	fs.IntVar(&cfg.customers, "customers", 10000, "customers seeded")
	fs.StringVar(&cfg.category, "category", benchCategory, "category on sale")
	fs.IntVar(&cfg.discount, "discount", 20, "discount in percent")
	fs.IntVar(&cfg.concurrency, "concurrency", workflows.DefaultCampaignConcurrency, "SignalWithStarts in flight, in the baseline and in the sale")
	fs.Float64Var(&cfg.rate, "rate", 0, "the campaign's --rate, customers signalled per second at most (default: no limit; the baseline has none)")
	fs.IntVar(&cfg.rawCount, "raw-count", 0, "SignalWithStarts in the baseline (default min(customers, 20000))")
	fs.IntVar(&cfg.samples, "samples", 20, "customer workflows whose history is read")
	fs.IntVar(&cfg.workerPID, "worker-pid", 0, "`pid` of Tailor's worker, for its peak RSS and CPU")
	fs.IntVar(&cfg.serverPID, "server-pid", 0, "`pid` of the dev server, for its peak RSS and CPU")
	fs.StringVar(&cfg.serverMetrics, "server-metrics", "", "the server's Prometheus `url` (orders: where each phase's server time went)")
	fs.DurationVar(&cfg.stall, "stall", 2*time.Minute, "give up when nothing moves for this long")
	fs.DurationVar(&cfg.settle, "settle", 5*time.Second, "watch this long after the last expected email, for duplicates")
	fs.StringVar(&cfg.outDir, "out", ".", "`folder` for the starter's output and results.json")
	mode := fs.String("mode", "campaign", "campaign: the baseline and a sale; orders: the baseline, `starter import orders`, a sale and the HTTP API (issue 15)")
	var oc ordersConfig
	fs.StringVar(&oc.orders, "orders", "", "orders: the orders CSV to import (campaignbench gen --orders)")
	fs.StringVar(&oc.api, "api", "", "orders: base `URL` of the worker's HTTP_ADDR, for POST /api/v1/events; the token is in BENCH_API_TOKEN")
	fs.BoolVar(&oc.withoutWorker, "import-without-worker", false, "orders: stop Tailor's worker (--worker-pid) before the shape probe, which then also sends Tailor's own calls, and end after the import")
	fs.IntVar(&oc.apiEvents, "api-events", -1, "orders: order events to POST (default min(customers, 10000); 0: no API phase)")
	fs.IntVar(&oc.apiBatch, "api-batch", 10, "orders: events per POST")
	fs.IntVar(&oc.apiFlight, "api-concurrency", api.DefaultMaxConcurrent, "orders: POSTs in flight (default: as many batches as the API handles at once)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mode != "campaign" && *mode != "orders" {
		return fmt.Errorf("measure: --mode %q: want campaign or orders", *mode)
	}
	if *mode == "orders" {
		oc.apiToken = os.Getenv("BENCH_API_TOKEN")
		if oc.apiEvents < 0 {
			oc.apiEvents = min(cfg.customers, 10000)
		}
		if oc.orders == "" || (oc.apiEvents > 0 && (oc.api == "" || oc.apiToken == "")) || oc.apiBatch < 1 || oc.apiFlight < 1 {
			return errors.New("measure --mode orders: --orders is required, and for the API phase --api, BENCH_API_TOKEN and an --api-batch of at least 1")
		}
	}
	if cfg.temporal == "" || cfg.database == "" || cfg.sink == "" || cfg.starter == "" {
		return errors.New("measure: --temporal, --database, --sink and --starter are required")
	}
	if cfg.rawCount == 0 {
		cfg.rawCount = min(cfg.customers, 20000)
	}

	c, err := benchcmd.DialTemporal(cfg.temporal, cfg.namespace)
	if err != nil {
		return err
	}
	defer c.Close()
	db, err := pgxpool.New(ctx, cfg.database)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer db.Close()

	if *mode == "orders" {
		res, err := measureOrders(ctx, cfg, oc, c, db, stderr)
		if werr := writeJSON(filepath.Join(cfg.outDir, "results.json"), res); werr != nil {
			err = errors.Join(err, werr)
		}
		if err != nil {
			return err
		}
		reportOrders(stdout, res)
		return nil
	}
	res, err := measure(ctx, cfg, c, db, stderr)
	if werr := writeJSON(filepath.Join(cfg.outDir, "results.json"), res); werr != nil {
		err = errors.Join(err, werr)
	}
	if err != nil {
		return err
	}
	report(stdout, cfg, res)
	return nil
}

func measure(ctx context.Context, cfg measureConfig, c client.Client, db *pgxpool.Pool, progress io.Writer) (result, error) {
	res := result{Started: time.Now().UTC(), Customers: cfg.customers}
	expected, err := expectedCustomers(ctx, db)
	if err != nil {
		return res, err
	}
	res.Expected = len(expected)

	res.Concurrency, res.Rate = cfg.concurrency, cfg.rate

	w0, s0, b0, m0 := procOrZero(cfg.workerPID), procOrZero(cfg.serverPID), procOrZero(os.Getpid()), readMachineCPU()
	t0 := time.Now()
	fmt.Fprintf(progress, "baseline: %d SignalWithStarts into a no-op workflow, %d in flight\n", cfg.rawCount, cfg.concurrency)
	if res.Raw, err = runRaw(ctx, c, cfg.rawCount, cfg.concurrency, cfg.stall, progress); err != nil {
		return res, err
	}
	w1, s1, b1, m1 := procOrZero(cfg.workerPID), procOrZero(cfg.serverPID), procOrZero(os.Getpid()), readMachineCPU()
	t1 := time.Now()

	res.Sale, err = runSale(ctx, saleOptions{
		starter: cfg.starter, concurrency: cfg.concurrency, rate: cfg.rate, category: cfg.category, discount: cfg.discount,
		expected: int64(len(expected)), stall: cfg.stall, settle: cfg.settle, outDir: cfg.outDir,
	}, db, progress)
	if err != nil {
		return res, err
	}
	w2, s2, b2, m2 := procOrZero(cfg.workerPID), procOrZero(cfg.serverPID), procOrZero(os.Getpid()), readMachineCPU()
	t2 := time.Now()
	ours := func(w, s, b procStats, d time.Duration) float64 {
		return (w.CPU + s.CPU + b.CPU).Seconds() / d.Seconds()
	}
	res.Load = phaseLoad{
		RawBusy: busyCores(m0, m1), SaleBusy: busyCores(m1, m2),
		RawOurs:  ours(procStats{CPU: w1.CPU - w0.CPU}, procStats{CPU: s1.CPU - s0.CPU}, procStats{CPU: b1.CPU - b0.CPU}, t1.Sub(t0)),
		SaleOurs: ours(procStats{CPU: w2.CPU - w1.CPU}, procStats{CPU: s2.CPU - s1.CPU}, procStats{CPU: b2.CPU - b1.CPU}, t2.Sub(t1)),
	}
	res.Worker, res.Server = w2, s2
	res.WorkerCPU = phaseCPU{Raw: w1.CPU - w0.CPU, Sale: w2.CPU - w1.CPU}
	res.ServerCPU = phaseCPU{Raw: s1.CPU - s0.CPU, Sale: s2.CPU - s1.CPU}

	fmt.Fprintln(progress, "collecting: customer workflows, the sink's emails, sample histories")
	last, n, err := latestTimes(ctx, c, "WorkflowType = 'CustomerLifecycle'", true)
	if err != nil {
		return res, err
	}
	res.Reached, res.ReachedIn = n, last.Sub(res.Sale.Trigger)
	msgs, err := sinkMessages(ctx, cfg.sink)
	if err != nil {
		return res, err
	}
	res.Deliveries = analyse(msgs, expected, res.Sale.Trigger)
	if res.History, err = sampleHistories(ctx, c, expected, cfg.samples); err != nil {
		return res, err
	}
	if res.Campaign, err = campaignHistories(ctx, c); err != nil {
		return res, err
	}
	if !res.Campaign.Closed.IsZero() {
		res.CampaignDoneIn = res.Campaign.Closed.Sub(res.Sale.Trigger)
	}
	return res, nil
}

// expectedCustomers are the customers the sale concerns: every seeded customer likes the
// category and consents, so every one with consent.
func expectedCustomers(ctx context.Context, db *pgxpool.Pool) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT id FROM customers WHERE marketing_consent ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list the customers: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list the customers: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the customers: %w", err)
	}
	return ids, nil
}

func procOrZero(pid int) procStats {
	if pid == 0 {
		return procStats{}
	}
	s, err := readProc(pid)
	if err != nil {
		return procStats{PID: pid}
	}
	return s
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
