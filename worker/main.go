package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/client"
	temporallog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"golang.org/x/sync/errgroup"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/api"
	"github.com/tailorhq/tailor/internal/codec"
	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/metrics"
	"github.com/tailorhq/tailor/internal/ops"
	"github.com/tailorhq/tailor/internal/outbox"
	"github.com/tailorhq/tailor/internal/sendgrid"
	"github.com/tailorhq/tailor/internal/sendgrid/eventwebhook"
	"github.com/tailorhq/tailor/internal/sendinggate"
	"github.com/tailorhq/tailor/internal/shopwebhook"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/web"
	"github.com/tailorhq/tailor/workflows"
)

const (
	// connectTimeout bounds connecting to PostgreSQL and Temporal at start.
	connectTimeout = 30 * time.Second
	// stopTimeout is how long activities in flight, and HTTP requests in flight, may finish after
	// SIGINT/SIGTERM.
	stopTimeout = 10 * time.Second
	// readHeaderTimeout bounds a slow client's request headers; the pages answer within
	// writeTimeout, which covers waiting for the workflow's answer to "yes, I'm interested".
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := start(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// start builds the configuration, the logger and the clients, runs the worker until ctx is done
// and returns the exit status.
func start(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	for _, arg := range args {
		switch arg {
		case "-h", "-help", "--help", "help":
			printUsage(stdout)
			return 0
		default:
			fmt.Fprintf(stderr, "worker: unexpected argument %q: the worker takes no arguments, only environment variables\nrun `worker --help` to list them\n", arg)
			return 2
		}
	}
	logger := newLogger(stderr)
	cfg, err := config.LoadWorker(getenv)
	if err != nil {
		logger.Error("configuration from the environment is wrong; fix it and start the worker again", "error", err.Error())
		return 1
	}
	signer, err := links.New(cfg.HTTP.LinkSecret, cfg.HTTP.PublicBaseURL, cfg.HTTP.LinkTTL, nil)
	if err != nil {
		logger.Error("configuration from the environment is wrong; fix it and start the worker again", "error", err.Error())
		return 1
	}
	deps, err := connect(ctx, cfg, signer, logger)
	if err != nil {
		logger.Error("worker cannot start", "error", err.Error())
		return 1
	}
	defer deps.close()
	// Pauses all sending while the mail provider refuses the API key; the operator's /healthz
	// reports it (healthChecks).
	gate, err := sendinggate.New(ctx, cfg.SendingPause, sendinggate.Deps{Store: deps.store, Counter: deps.metrics, Logger: logger.With("component", "sending-gate")})
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		err = fmt.Errorf("the database predates the sending_pause table: run `starter setup`, then start the worker again: %w", err)
	}
	if err != nil {
		logger.Error("worker cannot start", "error", err.Error())
		return 1
	}
	deps.activities.Gate = gate
	deps.gate = gate
	publicLn, opsLn, err := listen(cfg.HTTP)
	if err != nil {
		logger.Error("worker cannot start", "error", err.Error())
		return 1
	}
	lc := lifecycleclient.New(deps.temporal)
	// One event layer for every entry point the worker serves and for the relay of what they owe.
	ev := events.New(deps.store, lc, nil)
	deps.events = ev
	stock := &stockLevels{store: deps.store, temporal: deps.temporal, restockWindow: cfg.Policy.RestockWindow, now: time.Now, logger: logger.With("component", "stock")}
	deps.api, err = apiRoute(cfg.API, &apiEvents{store: deps.store, events: ev, stock: stock, logger: logger}, deps.store, logger)
	if err != nil {
		logger.Error("worker cannot start", "error", err.Error())
		return 1
	}
	deps.shopify = shopifyHandler(cfg.Shopify, deps.store, ev, stock, logger)
	deps.inbound = inboundHandler(cfg.ReplyDomain, deps.store, signer, ev, deps.metrics, logger)
	public, operator := handlers(deps, lc, signer, cfg.Webhook, deps.codec, cfg.HTTP, logger)
	var servers []httpServer
	if publicLn != nil {
		servers = append(servers, httpServer{publicLn, public, logger.With("listener", "HTTP_ADDR", "public_base_url", cfg.HTTP.PublicBaseURL)})
	}
	if opsLn != nil {
		servers = append(servers, httpServer{opsLn, operator, logger.With("listener", "OPS_ADDR")})
	} else {
		logger.Info("OPS_ADDR=off: no /metrics, no codec endpoint, no detailed /healthz")
	}
	deps.activities.Reacher = lc // campaigns reach customers through the same client as the pages
	// Signals owed (an entry point whose delivery failed, or a process that died between the commit
	// and the delivery) are delivered at start and then every owedSignalRelayInterval, for as long
	// as the worker runs (internal/events).
	relayOwed := func(ctx context.Context) error {
		return ev.RelayEvery(ctx, owedSignalRelayInterval, logger.With("component", "signal-relay"))
	}
	if err := run(ctx, deps.temporal, deps.activities, cfg.WorkflowCacheSize, servers, logger, relayOwed); err != nil {
		logger.Error("worker stopped", "error", err.Error())
		return 1
	}
	return 0
}

// listen opens HTTP_ADDR and OPS_ADDR, those that are on (nil otherwise); on failure it closes
// what it opened.
func listen(c config.HTTPConfig) (public, operator net.Listener, err error) {
	if c.Enabled() {
		if public, err = net.Listen("tcp", c.Addr); err != nil {
			return nil, nil, fmt.Errorf("cannot listen on HTTP_ADDR %s: is another process using it? Choose another address, or HTTP_ADDR=%s: %w",
				c.Addr, config.HTTPOff, err)
		}
	}
	if c.OpsEnabled() {
		if operator, err = net.Listen("tcp", c.OpsAddr); err != nil {
			if public != nil {
				public.Close()
			}
			return nil, nil, fmt.Errorf("cannot listen on OPS_ADDR %s: is another process (another worker?) using it? Choose another address, or OPS_ADDR=%s: %w",
				c.OpsAddr, config.HTTPOff, err)
		}
	}
	return public, operator, nil
}

// handlers are what the two listeners serve. public (HTTP_ADDR) holds only what customers and
// the mail provider must reach: the pages the emails link to, a bare GET /healthz for load
// balancers, and the SendGrid Event Webhook. operator (OPS_ADDR) holds what would hand a
// stranger data or insight: /metrics, the codec endpoint that decrypts payloads, and a
// GET /healthz that says what is wrong.
func handlers(d *dependencies, lc *lifecycleclient.Client, signer *links.Signer, webhook config.WebhookConfig, codecCfg config.CodecConfig, httpCfg config.HTTPConfig, logger *slog.Logger) (public, operator http.Handler) {
	var words lifecycle.Vocabulary // the shop's labels on the pages, from the policy
	if d.activities != nil {
		words = d.activities.Policy.Vocabulary
	}
	public = web.New(web.Deps{
		Links:      signer,
		Customers:  d.store,
		Events:     d.events,
		Lifecycle:  lc,
		Vocabulary: words,
		Logger:     logger.With("component", "http"),
		Routes:     publicRoutes(d, lc, webhook, logger),
	})
	opsDeps := ops.Deps{Codec: codecHandler(codecCfg, httpCfg, logger), Checks: healthChecks(d)}
	if d.metrics != nil {
		opsDeps.Metrics = d.metrics.Handler()
	}
	return public, ops.New(opsDeps)
}

// healthChecks are what the operator's GET /healthz checks.
func healthChecks(d *dependencies) []ops.HealthCheck {
	var checks []ops.HealthCheck
	if d.temporal != nil {
		checks = append(checks, ops.HealthCheck{Name: "temporal", Check: func(ctx context.Context) error {
			_, err := d.temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}})
	}
	if d.gate != nil {
		checks = append(checks, ops.HealthCheck{Name: "sending", Check: d.gate.Check})
	}
	return checks
}

// publicRoutes are the handlers served next to the customers' pages, by http.ServeMux pattern:
// the SendGrid Event Webhook at "POST /webhooks/sendgrid", Shopify's at "POST /webhooks/shopify"
// and the HTTP API under /api/v1/.
func publicRoutes(d *dependencies, lc *lifecycleclient.Client, webhook config.WebhookConfig, logger *slog.Logger) map[string]http.Handler {
	r := map[string]http.Handler{}
	if d.api != nil {
		// On HTTP_ADDR, not OPS_ADDR: the shop's systems often run elsewhere (a hosted order
		// system), and OPS_ADDR holds the codec endpoint that decrypts payloads. Every path under
		// the prefix needs a token (api.New refuses to build without one).
		r[api.Prefix] = d.api
	}
	if webhook.Enabled() {
		deps := eventwebhook.Deps{Events: d.store, Suppressions: d.events, Logger: logger.With("component", "sendgrid-webhook")}
		if d.metrics != nil {
			deps.Rejections = d.metrics
		}
		r["POST /webhooks/sendgrid"] = eventwebhook.New(
			eventwebhook.Config{PublicKey: webhook.PublicKey, Tolerance: webhook.Tolerance},
			deps,
		)
	} else {
		logger.Info("no SENDGRID_WEBHOOK_PUBLIC_KEY: the SendGrid Event Webhook endpoint is off")
	}
	if d.shopify != nil {
		r["POST /webhooks/shopify"] = d.shopify
	}
	if d.inbound != nil {
		r["POST /webhooks/sendgrid/inbound"] = d.inbound
	}
	return r
}

// codecHandler serves the Temporal UI's remote codec on the operator listener (its
// --ui-codec-endpoint is http://OPS_ADDR/codec); nil without keys. A non-loopback OPS_ADDR
// without a token never gets here: config.CodecEndpointProblem refuses it.
func codecHandler(c config.CodecConfig, httpCfg config.HTTPConfig, logger *slog.Logger) http.Handler {
	if !c.Enabled() || !httpCfg.OpsEnabled() {
		return nil
	}
	if c.AuthToken == "" {
		logger.Warn("no CODEC_AUTH_TOKEN: whoever can connect to OPS_ADDR " + httpCfg.OpsAddr + " on this machine (other users, a proxy forwarding to it) can decrypt payloads through /codec/decode; set CODEC_AUTH_TOKEN unless only operators reach it")
	}
	return codec.Handler(c.Codec, codec.HandlerOptions{AuthToken: c.AuthToken, CORSOrigin: c.CORSOrigin, Logger: logger.With("component", "codec")})
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: worker\n\nRuns Tailor's Temporal worker on task queues %q (customers) and %q (campaigns, segment\nrecomputes) until SIGINT or SIGTERM.\n",
		workflows.TaskQueue, workflows.FanOutTaskQueue)
	fmt.Fprintf(w, "Run `starter setup` once before the first start.\n\nenvironment:\n")
	_ = config.WriteEnvironment(w, config.ForWorker)
}

// dependencies are the connections the worker holds for its whole life.
type dependencies struct {
	store      *store.DB
	temporal   client.Client
	activities *activities.Activities
	metrics    *metrics.Metrics  // served at GET /metrics on OPS_ADDR
	gate       *sendinggate.Gate // pauses sending while the provider refuses the API key
	events     *events.Service   // the event layer every entry point calls
	api        http.Handler      // the HTTP API on HTTP_ADDR; nil without API_TOKENS
	shopify    http.Handler      // POST /webhooks/shopify; nil when off
	inbound    http.Handler      // POST /webhooks/sendgrid/inbound; nil without REPLY_DOMAIN

	// codec is TAILOR_CODEC_KEYS with the customers' data keys in the store.
	codec config.CodecConfig
}

func (d *dependencies) close() {
	if d.temporal != nil {
		d.temporal.Close()
	}
	if d.metrics != nil {
		d.metrics.Close()
	}
	if d.store != nil {
		d.store.Close()
	}
}

// connect opens the store, checks its schema, picks the mailer and dials Temporal, with the
// payload codec when one is configured.
func connect(ctx context.Context, cfg config.Worker, signer *links.Signer, logger *slog.Logger) (*dependencies, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	d := &dependencies{}
	ok := false
	defer func() {
		if !ok {
			d.close()
		}
	}()

	db := describeDatabase(cfg.DatabaseURL)
	st, err := store.Open(ctx, cfg.DatabaseURL, store.WithAttributionWindow(cfg.Policy.AttributionWindow))
	if err != nil {
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s (DATABASE_URL): start PostgreSQL or set DATABASE_URL: %w", db, err)
	}
	d.store = st
	if err := checkSchema(ctx, st); err != nil {
		return nil, fmt.Errorf("database %s: %w", db, err)
	}

	var mailer activities.Mailer
	if cfg.SendGridAPIKey != "" {
		mailer = sendgrid.New(sendgrid.Config{
			APIKey:    cfg.SendGridAPIKey,
			BaseURL:   cfg.SendGridBaseURL,
			FromEmail: cfg.MailFrom.Address,
			FromName:  cfg.MailFrom.Name,
			// Timeout 0: the adapter's default per-request timeout; a timeout is retried.
		})
		logger.Info("mail via SendGrid at " + cfg.SendGridBaseURL)
	} else {
		dir := cfg.OutboxDir
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		mailer = outbox.New(st, dir, time.Now)
		logger.Info("no SENDGRID_API_KEY: emails go to the local outbox in " + dir + " and `starter outbox`")
	}
	d.activities = &activities.Activities{
		Store:  st,
		Mailer: mailer,
		Policy: cfg.Policy,
		Links:  signer,
		// Signature: the shop's name from MAIL_FROM under every email.
		Signature: cfg.Signature,
		// Audience: campaigns page through customers; Reacher is set once Temporal is dialled.
		Audience: st,
		// Segments: the segment recompute's facts and segments (it signals through Reacher too).
		Segments: st,
		// Hand-offs to the shop: the row, and the shop's email and/or signed webhook.
		Handoffs:  st,
		ShopEmail: cfg.Shop.NotifyEmail,
	}
	if cfg.ReplyDomain != "" {
		d.activities.Replies = replyAddresses{domain: cfg.ReplyDomain, signer: signer, store: st}
	}
	if cfg.Shop.WebhookURL != "" {
		d.activities.ShopWebhook = shopwebhook.New(cfg.Shop.WebhookURL, cfg.Shop.WebhookSecret, nil)
	}
	m, err := metrics.New()
	if err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	d.metrics = m
	d.activities.Emails = m

	// Each customer's payloads under the customer's own data key, so `starter forget` can shred them.
	codecCfg := cfg.Codec.WithDataKeys(st, workflows.CustomerIDOf)
	d.codec = codecCfg
	if codecCfg.Enabled() {
		if err := checkDataKeys(ctx, st); err != nil {
			return nil, err
		}
	}
	if codecCfg.Enabled() {
		logger.Info("payloads in Temporal are encrypted (AES-256-GCM)",
			"encrypt_with", codecCfg.Codec.EncryptingKeyID(), "key_ids", codecCfg.Codec.KeyIDs())
	} else {
		logger.Warn("no TAILOR_CODEC_KEYS: payloads (customer preferences, email subjects, sizes and colours) are stored in plaintext in Temporal's histories; set TAILOR_CODEC_KEYS to encrypt them (README: Protecting customer data in Temporal)")
	}
	opts := cfg.Temporal
	opts.Logger = temporallog.NewStructuredLogger(logger)
	opts.DataConverter = codecCfg.DataConverter()
	opts.FailureConverter = codecCfg.FailureConverter()
	opts.MetricsHandler = m.Temporal
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (TEMPORAL_ADDRESS), namespace %q (TEMPORAL_NAMESPACE): start the server (temporal server start-dev) or fix the variables (for TLS, API keys and mTLS: README, Connecting to Temporal Cloud or your own cluster): %w",
			opts.HostPort, opts.Namespace, err)
	}
	d.temporal = c
	logger.Info("connected",
		"database", db,
		"temporal", opts.HostPort,
		"namespace", opts.Namespace,
		"tls", opts.ConnectionOptions.TLS != nil,
		"api_key", opts.Credentials != nil,
		"min_gap", cfg.Policy.MinGap.String(),
		"restock_window", cfg.Policy.RestockWindow.String(),
		"season_fallback", cfg.Policy.SeasonFallback.String())
	ok = true
	return d, nil
}

// checkSchema fails when `starter setup` has not created the tables yet: the worker would
// otherwise start and fail every activity.
func checkSchema(ctx context.Context, st *store.DB) error {
	// Looking up a customer that cannot exist touches the customers table and nothing else.
	_, err := st.Customer(ctx, "")
	var pgErr *pgconn.PgError
	switch {
	case err == nil, errors.Is(err, lifecycle.ErrNotFound):
		return nil
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table
		return errors.New("no Tailor tables: run `starter setup` first, then start the worker again")
	default:
		return fmt.Errorf("check the schema: %w", err)
	}
}

// checkDataKeys fails when the database predates the customers' data keys (migration 0019):
// with TAILOR_CODEC_KEYS every customer's first payload needs that table.
func checkDataKeys(ctx context.Context, st *store.DB) error {
	_, err := st.DataKey(ctx, codec.DataKeyPrefix+"probe")
	var pgErr *pgconn.PgError
	switch {
	case err == nil, errors.Is(err, lifecycle.ErrNotFound):
		return nil
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table
		return errors.New("TAILOR_CODEC_KEYS is set but the database has no customer_data_keys table: run `starter setup`, then start the worker again")
	default:
		return fmt.Errorf("check the customers' data keys: %w", err)
	}
}

// httpServer is one listener and what it serves; logger names the listener.
type httpServer struct {
	ln      net.Listener
	handler http.Handler
	logger  *slog.Logger
}

// owedSignalRelayInterval is how often the worker delivers signals still owed (the starter's
// messages promise it: starter/signal.go relayInterval).
const owedSignalRelayInterval = 5 * time.Second

// run polls the task queues, serves every one of servers and runs each of background, until ctx
// is done or one of them fails for good; then it stops them all.
func run(ctx context.Context, c client.Client, acts *activities.Activities, cacheSize int, servers []httpServer, logger *slog.Logger, background ...func(context.Context) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return runWorker(ctx, c, acts, cacheSize, logger) })
	for _, f := range background {
		g.Go(func() error { return f(ctx) })
	}
	for _, s := range servers {
		g.Go(func() error { return serveHTTP(ctx, s.ln, s.handler, s.logger) })
	}
	return g.Wait()
}

// serveHTTP serves handler on ln until ctx is done, then lets requests in flight finish.
func serveHTTP(ctx context.Context, ln net.Listener, handler http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("serving HTTP", "addr", ln.Addr().String())
	select {
	case err := <-served: // Serve failed before anyone asked it to stop
		return fmt.Errorf("serve HTTP on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("stop HTTP on %s: %w", ln.Addr(), err)
	}
	logger.Info("HTTP stopped")
	return nil
}

// runWorker polls both task queues until ctx is done or a worker fails for good.
func runWorker(ctx context.Context, c client.Client, acts *activities.Activities, cacheSize int, logger *slog.Logger) error {
	fatal := make(chan error, 1)
	// Process-wide, and read when the first worker is created: set it before worker.New.
	worker.SetStickyWorkflowCacheSize(cacheSize)
	customers := newWorker(c, workflows.TaskQueue, fatal)
	customers.RegisterWorkflow(workflows.CustomerLifecycle)
	// Campaign and SegmentRecompute run on the fan-out queue only; `starter setup` names any run
	// left on this one from before they moved (docs/VERSIONING.md).
	customers.RegisterActivity(acts)
	fanOut := newWorker(c, workflows.FanOutTaskQueue, fatal)
	fanOut.RegisterWorkflow(workflows.Campaign)
	fanOut.RegisterWorkflow(workflows.SegmentRecompute)
	fanOut.RegisterActivity(acts)
	if err := customers.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %q: %w", workflows.TaskQueue, err)
	}
	if err := fanOut.Start(); err != nil {
		customers.Stop()
		return fmt.Errorf("start worker on task queue %q: %w", workflows.FanOutTaskQueue, err)
	}
	logger.Info("worker started", "task_queue", workflows.TaskQueue, "fan_out_task_queue", workflows.FanOutTaskQueue,
		"workflow_cache_size", cacheSize)
	var err error
	select {
	case <-ctx.Done():
		logger.Info("stopping: finishing activities in flight", "timeout", stopTimeout.String())
	case err = <-fatal:
		err = fmt.Errorf("worker failed: %w", err)
	}
	fanOut.Stop()
	customers.Stop()
	if err == nil {
		logger.Info("worker stopped")
	}
	return err
}

// newWorker is a worker on queue that reports a fatal error on fatal.
func newWorker(c client.Client, queue string, fatal chan<- error) worker.Worker {
	return worker.New(c, queue, worker.Options{
		WorkerStopTimeout: stopTimeout,
		// A campaign's ReachCustomers heartbeats its progress: sent at least every second, a
		// cancel reaches it within a second and a retry after a crash repeats at most a second.
		MaxHeartbeatThrottleInterval: time.Second,
		OnFatalError: func(err error) {
			select {
			case fatal <- err:
			default:
			}
		},
	})
}

// describeDatabase names a database without its password: host:port/dbname.
func describeDatabase(databaseURL string) string {
	pc, err := pgconn.ParseConfig(databaseURL)
	if err != nil {
		return "the DATABASE_URL (which does not parse)"
	}
	return fmt.Sprintf("%s:%d/%s", pc.Host, pc.Port, pc.Database)
}
