package activities_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// questionAddresses gives an address to the kinds that ask something, as the worker's adapter does.
type questionAddresses struct{ asked []string }

func (q *questionAddresses) ReplyTo(_ context.Context, customerID, key string, kind lifecycle.Kind) (string, error) {
	q.asked = append(q.asked, key)
	if kind != lifecycle.KindExit && kind != lifecycle.KindFeedback && kind != lifecycle.KindCheckin {
		return "", nil
	}
	return "reply+" + customerID + "@reply.shop.example", nil
}

// The exit question goes out with its reply address as Reply-To; a sale goes out without one; no
// ReplyAddresses (no REPLY_DOMAIN) sends no Reply-To at all.
func TestSendFollowUpSetsReplyToOnQuestions(t *testing.T) {
	st := setup(t)
	for _, tt := range []struct {
		name      string
		replies   bool
		in        activities.SendFollowUpInput
		wantReply string
	}{
		{"exit question", true, activities.SendFollowUpInput{CustomerID: "david", FollowUp: lifecycle.FollowUp{Key: "customer/david/exit/1", Kind: lifecycle.KindExit}}, "reply+david@reply.shop.example"},
		{"sale", true, saleInput(), ""},
		{"exit question without REPLY_DOMAIN", false, activities.SendFollowUpInput{CustomerID: "jan", FollowUp: lifecycle.FollowUp{Key: "customer/jan/exit/1", Kind: lifecycle.KindExit}}, ""},
	} {
		mailer := &scriptedMailer{}
		addrs := &questionAddresses{}
		acts := &activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t)}
		if tt.replies {
			acts.Replies = addrs
		}
		var suite testsuite.WorkflowTestSuite
		suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivity(acts)
		_, err := env.ExecuteActivity("SendFollowUp", tt.in)
		require.NoError(t, err, tt.name)
		require.Len(t, mailer.emails, 1, tt.name)
		require.Equal(t, tt.wantReply, mailer.emails[0].ReplyTo, tt.name)
	}
}
