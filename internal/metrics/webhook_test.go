package metrics_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/metrics"
	"github.com/tailorhq/tailor/internal/sendgrid/eventwebhook"
)

var _ eventwebhook.RejectionCounter = (*metrics.Metrics)(nil)

func TestWebhookEventsRejected(t *testing.T) {
	m, err := metrics.New()
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	m.CountWebhookEventRejected(eventwebhook.RejectInvalidText)
	m.CountWebhookEventRejected(eventwebhook.RejectInvalidText)
	m.CountWebhookEventRejected(eventwebhook.RejectDatabase)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`tailor_webhook_events_rejected_total{reason="invalid_text"} 2`,
		`tailor_webhook_events_rejected_total{reason="database"} 1`,
	} {
		require.True(t, strings.Contains(rec.Body.String(), want), "/metrics lacks %s", want)
	}
}
