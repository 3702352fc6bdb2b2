// Package metrics owns the worker's Prometheus registry: the Temporal SDK's own metrics, reported
// through a tally scope, and Tailor's business counters. The worker serves it at GET /metrics.
//
// Every label value is bounded: kinds and outcomes are enums, and reasons are a short fixed list,
// never free text, customer IDs or addresses.
package metrics

import (
	"io"
	"net/http"
	"strconv"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// reportInterval is how often the tally scope flushes the SDK's metrics into the registry.
const reportInterval = time.Second

// Metrics is one registry and the handles that feed it. Close it when the worker stops.
type Metrics struct {
	registry *prom.Registry
	closer   io.Closer
	// Temporal goes in client.Options.MetricsHandler: the SDK's metrics (temporal_*), and what
	// workflows count through workflow.GetMetricsHandler (tailor_followups_total).
	Temporal client.MetricsHandler
	emails   *prom.CounterVec
	rejected *prom.CounterVec
	authFail *prom.CounterVec
	replies  *prom.CounterVec
}

// New builds a registry with the Go runtime and process collectors, the SDK's metrics and the
// business counters.
func New() (*Metrics, error) {
	reg := prom.NewRegistry()
	emails := prom.NewCounterVec(prom.CounterOpts{
		Name: "tailor_emails_total",
		Help: "Follow-up emails by what SendFollowUp did: sent, skipped (reason no_consent, suppressed, no_products, other), failed (reason permanent, or transient: each attempt Temporal retries) or held (reason sending_paused: the provider refuses the API key, the follow-up waits; each attempt).",
	}, []string{"kind", "outcome", "reason"})
	rejected := prom.NewCounterVec(prom.CounterOpts{
		Name: "tailor_webhook_events_rejected_total",
		Help: "SendGrid webhook events recorded as rejected and answered 2xx (no retry), by reason: undecodable, invalid_text, too_long or database (PostgreSQL refused the content).",
	}, []string{"reason"})
	authFail := prom.NewCounterVec(prom.CounterOpts{
		Name: "tailor_provider_auth_failures_total",
		Help: "Answers of the mail provider that refused the API key (status 401 or 403): sending is paused until it accepts one. Alert on any increase.",
	}, []string{"status"})
	replies := prom.NewCounterVec(prom.CounterOpts{
		Name: "tailor_inbound_replies_total",
		Help: "Replies by email posted by SendGrid Inbound Parse, by outcome: recorded, duplicate (posted before), or refused_<why> (no_address, unknown, forged, no_question, empty): nothing stored, answered 200.",
	}, []string{"outcome"})
	for _, c := range []prom.Collector{emails, rejected, authFail, replies, prom.NewGoCollector(), prom.NewProcessCollector(prom.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	reporter := tallyprom.NewReporter(tallyprom.Options{Registerer: reg})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, reportInterval)
	return &Metrics{
		registry: reg,
		closer:   closer,
		Temporal: sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)),
		emails:   emails,
		rejected: rejected,
		authFail: authFail,
		replies:  replies,
	}, nil
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// CountEmail counts one outcome of SendFollowUp; it implements activities.EmailCounter.
func (m *Metrics) CountEmail(kind, outcome, reason string) {
	m.emails.WithLabelValues(kind, outcome, reason).Inc()
}

// CountWebhookEventRejected counts one SendGrid event recorded as rejected; it implements
// eventwebhook.RejectionCounter.
func (m *Metrics) CountWebhookEventRejected(reason string) {
	m.rejected.WithLabelValues(reason).Inc()
}

// CountInboundReply counts one reply posted to the inbound endpoint; it implements
// inboundparse.Counter.
func (m *Metrics) CountInboundReply(outcome string) {
	m.replies.WithLabelValues(outcome).Inc()
}

// CountAuthFailure counts one refusal of the API key; it implements sendinggate.Counter.
func (m *Metrics) CountAuthFailure(status int) {
	m.authFail.WithLabelValues(strconv.Itoa(status)).Inc()
}

// Close flushes the SDK's metrics one last time and stops the flushing.
func (m *Metrics) Close() error { return m.closer.Close() }
