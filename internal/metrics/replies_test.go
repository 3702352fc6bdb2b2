package metrics_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/metrics"
	"github.com/tailorhq/tailor/internal/sendgrid/inboundparse"
)

var _ inboundparse.Counter = (*metrics.Metrics)(nil)

func TestInboundRepliesCounted(t *testing.T) {
	m, err := metrics.New()
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	m.CountInboundReply(inboundparse.OutcomeRecorded)
	m.CountInboundReply(inboundparse.OutcomeRefusedForged)
	m.CountInboundReply(inboundparse.OutcomeRefusedForged)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`tailor_inbound_replies_total{outcome="recorded"} 1`,
		`tailor_inbound_replies_total{outcome="refused_forged"} 2`,
	} {
		require.True(t, strings.Contains(rec.Body.String(), want), "/metrics lacks %s", want)
	}
}
