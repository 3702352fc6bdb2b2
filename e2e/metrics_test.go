package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/workflows"
)

// TestMetricsEndToEnd scrapes the real worker's GET /metrics (on OPS_ADDR) after one real follow-up went out
// (docs/OBSERVABILITY.md): the SDK's temporal_* series, the workflow's decision counter and the
// send counter, with the labels an operator's dashboards select on.
func TestMetricsEndToEnd(t *testing.T) {
	s := newStack(t, true, withHTTP())
	s.setupShop()
	s.startWorker()
	s.restockEmail()

	// The SDK's metrics reach the registry through a tally scope flushed every second, so the
	// workflow's counter may show up a moment after the email.
	// The tally reporter writes label values with "-" as "_": a test namespace on an external
	// server (temporaltest) is t-<test>-<hex>, and a dashboard selects it as t_<test>_<hex>.
	namespace := strings.ReplaceAll(s.envValue("TEMPORAL_NAMESPACE"), "-", "_")
	want := []seriesWant{
		{"tailor_emails_total", map[string]string{"kind": "restock", "outcome": "sent", "reason": "none"}},
		{"tailor_followups_total", map[string]string{"kind": "restock", "outcome": "scheduled", "reason": "none",
			"namespace": namespace, "task_queue": workflows.TaskQueue, "workflow_type": "CustomerLifecycle"}},
		{"tailor_campaign_reached_total", map[string]string{"kind": "restock", "workflow_type": "Campaign"}},
		{"tailor_followups_total", map[string]string{"kind": "season", "outcome": "scheduled", "workflow_type": "CustomerLifecycle"}},
		// The SDK's own, labelled by namespace, task queue and workflow or activity type.
		{"temporal_workflow_task_execution_latency_seconds_count", map[string]string{
			"namespace": namespace, "task_queue": workflows.TaskQueue, "workflow_type": "CustomerLifecycle"}},
		{"temporal_local_activity_total", map[string]string{"activity_type": "SendFollowUp", "workflow_type": "CustomerLifecycle"}},
		{"temporal_num_pollers", map[string]string{"poller_type": "workflow_task", "task_queue": workflows.TaskQueue}},
		{"temporal_sticky_cache_size", map[string]string{"task_queue": workflows.TaskQueue}},
		{"process_resident_memory_bytes", nil},
	}
	var page string // the page that held every series
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		resp, err := tryDo(http.MethodGet, s.opsURL+"/metrics", "", nil, nil)
		if !assert.NoError(c, err) || !assert.Equal(c, http.StatusOK, resp.code, "GET /metrics: %.500s", resp.body) {
			return
		}
		page = resp.body
		missing := missingSeries(parseMetrics(page), want)
		assert.Empty(c, missing, "GET %s/metrics after the restock email lacks:\n  %s", s.opsURL, strings.Join(missing, "\n  "))
	}, e2eTimeout, e2ePoll, "waiting for the series of one restock email on GET %s/metrics", s.opsURL)

	// Not on the customers' listener (OPS_ADDR only); the operator's health check reaches Temporal.
	require.Equal(t, http.StatusNotFound, s.page(http.MethodGet, s.baseURL+"/metrics", "", "").code, "GET %s/metrics", s.baseURL)
	health := s.page(http.MethodGet, s.opsURL+"/healthz", "", "")
	require.Equal(t, http.StatusOK, health.code, "GET %s/healthz: %s", s.opsURL, health.body)

	// One restock email, one restock decision: counted once each, nothing failed on the way. (The
	// season fallback may go out meanwhile, 15s after the purchase; it has its own kind.)
	series := parseMetrics(page)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"tailor_emails_total", map[string]string{"kind": "restock", "outcome": "sent"}, 1},
		{"tailor_emails_total", map[string]string{"outcome": "failed"}, 0},
		{"tailor_followups_total", map[string]string{"kind": "restock", "outcome": "scheduled"}, 1},
	} {
		require.Equal(t, c.want, series.sum(c.name, c.labels), "%s%s after one restock email:\n%s",
			c.name, formatLabels(c.labels), series.lines(c.name))
	}
}

// seriesWant is a series the page must hold with a value above zero: name, and the labels it
// must carry with these values (other labels may be there too).
type seriesWant struct {
	name   string
	labels map[string]string
}

// missingSeries describes each want with no positive sample on the page.
func missingSeries(got metricsPage, want []seriesWant) []string {
	var missing []string
	for _, w := range want {
		if got.sum(w.name, w.labels) <= 0 {
			have := got.lines(w.name)
			if have == "" {
				have = "no series of that name"
			}
			missing = append(missing, fmt.Sprintf("%s%s > 0 (have: %s)", w.name, formatLabels(w.labels), have))
		}
	}
	return missing
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
	line   string
}

type metricsPage []sample

// parseMetrics reads the Prometheus text format as the worker's promhttp handler writes it:
// `name{k="v",...} value`, comments skipped. Enough for the label values Tailor and the SDK use,
// which hold no escaped quotes.
func parseMetrics(text string) metricsPage {
	var page metricsPage
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		head, value, ok := cutLast(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		s := sample{name: head, labels: map[string]string{}, value: v, line: line}
		if name, rest, ok := strings.Cut(head, "{"); ok {
			s.name = name
			for pair := range strings.SplitSeq(strings.TrimSuffix(rest, "}"), ",") {
				if k, v, ok := strings.Cut(pair, "="); ok {
					s.labels[k] = strings.Trim(v, `"`)
				}
			}
		}
		page = append(page, s)
	}
	return page
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// sum adds the values of the series named name whose labels include labels.
func (p metricsPage) sum(name string, labels map[string]string) float64 {
	var total float64
	for _, s := range p {
		if s.name == name && hasLabels(s.labels, labels) {
			total += s.value
		}
	}
	return total
}

// lines are the page's lines of the series named name, for failure messages.
func (p metricsPage) lines(name string) string {
	var out []string
	for _, s := range p {
		if s.name == name {
			out = append(out, s.line)
		}
	}
	return strings.Join(out, "\n")
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func formatLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(labels))
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = fmt.Sprintf("%s=%q", k, labels[k])
	}
	return "{" + strings.Join(pairs, ",") + "}"
}
