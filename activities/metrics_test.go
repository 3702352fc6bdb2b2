package activities_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/metrics"
)

func TestSendFollowUpCountsOutcomesInMetrics(t *testing.T) {
	st := setup(t)
	m, err := metrics.New()
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	mailer := &scriptedMailer{}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t), Emails: m})

	jan := saleInput()
	jan.CustomerID, jan.FollowUp.Key = "jan", "customer/jan/sale/s1" // jan likes suits, not trousers
	refused := saleInput()
	refused.FollowUp.Key = "customer/david/sale/s2"
	for _, in := range []activities.SendFollowUpInput{saleInput(), jan} {
		_, err := env.ExecuteActivity("SendFollowUp", in)
		require.NoError(t, err, "send %s", in.FollowUp.Key)
	}
	mailer.errs = []error{&lifecycle.SendError{Status: 400, Message: "bad address", Permanent: true}}
	_, err = env.ExecuteActivity("SendFollowUp", refused)
	require.Error(t, err, "send %s to a refusing provider", refused.FollowUp.Key)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`tailor_emails_total{kind="sale",outcome="sent",reason="none"} 1`,
		`tailor_emails_total{kind="sale",outcome="skipped",reason="no_products"} 1`,
		`tailor_emails_total{kind="sale",outcome="failed",reason="permanent"} 1`,
	} {
		require.Contains(t, string(body), want, "/metrics after a send, a skip and a refusal")
	}
}

func TestKindLabelIsBounded(t *testing.T) {
	tests := map[lifecycle.Kind]string{
		lifecycle.KindSale: "sale", lifecycle.KindConfirmation: "confirmation", "": "none", "customer/david": "unknown",
	}
	for kind, want := range tests {
		require.Equal(t, want, activities.KindLabel(kind), "label of kind %q", kind)
	}
}
