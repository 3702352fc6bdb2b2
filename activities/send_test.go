package activities_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/sendinggate"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// scriptedMailer answers with the next scripted error, then accepts.
type scriptedMailer struct {
	mu     sync.Mutex
	errs   []error
	emails []lifecycle.Email
}

func (m *scriptedMailer) Send(_ context.Context, e lifecycle.Email) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.errs) > 0 {
		err := m.errs[0]
		m.errs = m.errs[1:]
		return "", err
	}
	m.emails = append(m.emails, e)
	return "msg-" + e.Key, nil
}

func testLinks(t testing.TB) *links.Signer {
	t.Helper()
	signer, err := links.New([]byte("test-secret-test-secret-test-secret!"), "https://shop.example", 0, nil)
	require.NoError(t, err)
	return signer
}

func setup(t *testing.T) *store.DB {
	t.Helper()
	st, _ := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportProducts(ctx, strings.NewReader("sku,product,name,category,color,size,price,stock,collections\n"+
		"TR-BLUE-50,classic-trousers,Classic trousers,trousers,blue,50,89.00,5,\n"))
	require.NoError(t, err)
	_, err = st.ImportCustomers(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,categories\n"+
		"david,David Sable,david@example.com,en,America/New_York,blue,50,trousers\n"+
		"jan,Jan Jansen,jan@example.com,nl,Europe/Amsterdam,blue,50,suits\n"))
	require.NoError(t, err)
	return st
}

func saleInput() activities.SendFollowUpInput {
	return activities.SendFollowUpInput{CustomerID: "david", FollowUp: lifecycle.FollowUp{
		Key: "customer/david/sale/s1", Kind: lifecycle.KindSale, Category: "trousers", DiscountPct: 20,
	}}
}

func TestSendFollowUpClassifiesProviderAnswers(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		wantType      string
		nonRetryable  bool
		wantDelay     time.Duration
		wantLogStatus lifecycle.SendStatus
	}{
		{"refused for good", &lifecycle.SendError{Status: 400, Message: "bad address", Permanent: true},
			activities.ErrTypeEmailRejected, true, 0, lifecycle.SendFailed},
		{"too large", &lifecycle.SendError{Status: 413, Message: "payload too large", Permanent: true},
			activities.ErrTypeEmailRejected, true, 0, lifecycle.SendFailed},
		// A refused key fails no email: the follow-up waits (the workflow tries again), its claim stays.
		{"API key refused", &lifecycle.SendError{Status: 401, Message: "revoked", AuthRefused: true},
			activities.ErrTypeSendingPaused, true, 0, lifecycle.SendClaimed},
		{"API key lacks permission", &lifecycle.SendError{Status: 403, Message: "forbidden", AuthRefused: true},
			activities.ErrTypeSendingPaused, true, 0, lifecycle.SendClaimed},
		{"rate limited", &lifecycle.SendError{Status: 429, Message: "slow down", RetryAfter: 30 * time.Second},
			"RateLimited", false, 30 * time.Second, lifecycle.SendClaimed},
		{"server error", &lifecycle.SendError{Status: 500, Message: "oops"}, "", false, 0, lifecycle.SendClaimed},
		{"timeout", context.DeadlineExceeded, "", false, 0, lifecycle.SendClaimed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := setup(t)
			mailer := &scriptedMailer{errs: []error{tt.err}}
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t)})

			_, err := env.ExecuteActivity("SendFollowUp", saleInput())
			require.Error(t, err, "provider answer %v", tt.err)
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(err, &appErr), "want an application error for %v, got %T", tt.err, err)
			require.Equal(t, tt.nonRetryable, appErr.NonRetryable(), "non-retryable for %v", tt.err)
			if tt.wantType != "" {
				require.Equal(t, tt.wantType, appErr.Type(), "error type for %v", tt.err)
			}
			require.Equal(t, tt.wantDelay, appErr.NextRetryDelay(), "retry delay for %v", tt.err)
			if appErr.Type() == activities.ErrTypeSendingPaused {
				var held activities.SendingPaused
				require.NoError(t, appErr.Details(&held), "details of %v", tt.err)
				require.Equal(t, activities.DefaultSendingPausedRetry, held.RetryIn, "without a gate, %v waits the default", tt.err)
				require.Contains(t, held.Reason, "refused the API key", "reason of %v", tt.err)
			}

			log, err := st.SendLog(context.Background(), "david")
			require.NoError(t, err)
			require.Len(t, log, 1)
			require.Equal(t, tt.wantLogStatus, log[0].Status, "send log after %v", tt.err)

			// The next attempt (Temporal's retry, or the workflow's after a pause) sends while the
			// claim stands; after a refusal of the email it does not.
			res, err := env.ExecuteActivity("SendFollowUp", saleInput())
			require.NoError(t, err)
			var out activities.SendFollowUpResult
			require.NoError(t, res.Get(&out))
			sends := tt.wantLogStatus == lifecycle.SendClaimed
			require.Equal(t, sends, out.Sent, "retry after %v: %+v", tt.err, out)
			require.Len(t, mailer.emails, map[bool]int{true: 1, false: 0}[sends], "emails after %v", tt.err)
		})
	}
}

func TestSendFollowUpSendsOncePerKey(t *testing.T) {
	st := setup(t)
	mailer := &scriptedMailer{}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t)})

	var first, second activities.SendFollowUpResult
	res, err := env.ExecuteActivity("SendFollowUp", saleInput())
	require.NoError(t, err)
	require.NoError(t, res.Get(&first))
	res, err = env.ExecuteActivity("SendFollowUp", saleInput())
	require.NoError(t, err)
	require.NoError(t, res.Get(&second))

	require.Len(t, mailer.emails, 1, "the second call finds the key sent in the send log")
	require.True(t, second.Sent)
	require.Equal(t, first.MessageID, second.MessageID)
	require.Equal(t, first.Subject, second.Subject)
	require.Equal(t, "customer/david/sale/s1", mailer.emails[0].Key)
}

func TestSendFollowUpUnknownCustomerIsPermanent(t *testing.T) {
	st := setup(t)
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st, Mailer: &scriptedMailer{}, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t)})
	in := saleInput()
	in.CustomerID = "nobody"
	_, err := env.ExecuteActivity("SendFollowUp", in)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "got %v", err)
	require.True(t, appErr.NonRetryable())
	require.Equal(t, activities.ErrTypeUnknownCustomer, appErr.Type())
}

func TestSendFollowUpSkipsASaleOutsideTheCustomersCategories(t *testing.T) {
	st := setup(t)
	mailer := &scriptedMailer{}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t)})
	in := saleInput()
	in.CustomerID = "jan" // likes suits, bought nothing
	res, err := env.ExecuteActivity("SendFollowUp", in)
	require.NoError(t, err)
	var out activities.SendFollowUpResult
	require.NoError(t, res.Get(&out))
	require.False(t, out.Sent)
	require.Equal(t, "sale on trousers: not a category the customer bought or likes", out.SkipReason)
	require.Empty(t, mailer.emails)
}

func sendEnv(t *testing.T, st *store.DB, mailer *scriptedMailer, policy lifecycle.Policy) *testsuite.TestActivityEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: policy, Links: testLinks(t)})
	return env
}

func sendResult(t *testing.T, env *testsuite.TestActivityEnvironment, in activities.SendFollowUpInput) activities.SendFollowUpResult {
	t.Helper()
	res, err := env.ExecuteActivity("SendFollowUp", in)
	require.NoError(t, err, "send %s", in.FollowUp.Key)
	var out activities.SendFollowUpResult
	require.NoError(t, res.Get(&out))
	return out
}

func TestSendFollowUpWithoutProducts(t *testing.T) {
	purchase := func(kind lifecycle.Kind) lifecycle.FollowUp {
		return lifecycle.FollowUp{Key: lifecycle.SendKey("david", kind, "p1"), Kind: kind,
			PurchaseID: "p1", ProductName: "Classic trousers", Category: "trousers"}
	}
	offer := lifecycle.FollowUp{Key: "customer/david/offer/m1", Kind: lifecycle.KindOffer, Metric: "data_mb", UsedPct: 80,
		BundleOffer: &lifecycle.BundleOffer{Name: "Data top-up", PriceCents: 1250, Allowance: "5 GB"}}
	for _, tc := range []struct {
		f    lifecycle.FollowUp
		want string // the text contains it
	}{
		{offer, "Data top-up: 5 GB, for €12.50."},
		{purchase(lifecycle.KindCare), "Hang them by the hem."},
		{purchase(lifecycle.KindCheckin), "https://shop.example/c/"},
		{purchase(lifecycle.KindService), "Our service desk will contact you shortly about Classic trousers"},
		{lifecycle.FollowUp{Key: "customer/david/feedback/s1", Kind: lifecycle.KindFeedback}, "what could we do better?"},
		{lifecycle.FollowUp{Key: "customer/david/exit/s1", Kind: lifecycle.KindExit}, "why did you stop coming?"},
	} {
		t.Run(string(tc.f.Kind), func(t *testing.T) {
			st := setup(t)
			mailer := &scriptedMailer{}
			policy := lifecycle.DefaultPolicy()
			policy.Care = []lifecycle.CarePlan{{Category: "trousers", Tips: map[string]string{"en": "Hang them by the hem."}}}
			out := sendResult(t, sendEnv(t, st, mailer, policy), activities.SendFollowUpInput{CustomerID: "david", FollowUp: tc.f})
			require.True(t, out.Sent, "%s needs no products: %+v", tc.f.Kind, out)
			require.Len(t, mailer.emails, 1)
			require.Contains(t, mailer.emails[0].Text, tc.want, "text of %s", tc.f.Kind)
		})
	}
}

func TestSendFollowUpOfferWithoutBundleIsPermanent(t *testing.T) {
	st := setup(t)
	mailer := &scriptedMailer{}
	in := activities.SendFollowUpInput{CustomerID: "david", FollowUp: lifecycle.FollowUp{Key: "customer/david/offer/m1", Kind: lifecycle.KindOffer, UsedPct: 80}}
	_, err := sendEnv(t, st, mailer, lifecycle.DefaultPolicy()).ExecuteActivity("SendFollowUp", in)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "got %v", err)
	require.True(t, appErr.NonRetryable())
	require.Equal(t, activities.ErrTypeInvalidInput, appErr.Type())
	require.Empty(t, mailer.emails)
	log, err := st.SendLog(context.Background(), "david")
	require.NoError(t, err)
	require.Empty(t, log, "nothing is claimed for an offer that cannot be rendered")
}

func TestSendFollowUpNewestInTheCustomersSizes(t *testing.T) {
	for _, kind := range []lifecycle.Kind{lifecycle.KindInvitation, lifecycle.KindWinback} {
		for _, tc := range []struct {
			name   string
			prefs  lifecycle.Preferences
			offers []string // product lines the text contains
			absent []string // product lines it must not contain
			skip   string
		}{
			{name: "their colours first", prefs: lifecycle.Preferences{Colors: []string{"grey"}, Sizes: []string{"50"}},
				offers: []string{"Classic trousers, grey, size 50: €89.00"}, absent: []string{"blue"}},
			{name: "their size when nothing comes in their colours", prefs: lifecycle.Preferences{Colors: []string{"red"}, Sizes: []string{"50"}},
				offers: []string{"Classic trousers, grey, size 50: €89.00", "Classic trousers, blue, size 50: €89.00"}},
			{name: "nothing in their size", prefs: lifecycle.Preferences{Colors: []string{"blue"}, Sizes: []string{"46"}},
				skip: "nothing in stock in the customer's sizes"},
		} {
			t.Run(string(kind)+" "+tc.name, func(t *testing.T) {
				st := setup(t)
				ctx := context.Background()
				_, err := st.ImportProducts(ctx, strings.NewReader("sku,product,name,category,color,size,price,stock,collections\n"+
					"TR-GREY-50,classic-trousers,Classic trousers,trousers,grey,50,89.00,3,winter\n"+
					"TR-GREY-46,classic-trousers,Classic trousers,trousers,grey,46,89.00,0,\n"))
				require.NoError(t, err)
				require.NoError(t, st.SetPreferences(ctx, "david", tc.prefs))
				mailer := &scriptedMailer{}
				f := lifecycle.FollowUp{Key: lifecycle.SendKey("david", kind, "s1"), Kind: kind, Segment: lifecycle.SegmentAmbassador}
				out := sendResult(t, sendEnv(t, st, mailer, lifecycle.DefaultPolicy()), activities.SendFollowUpInput{CustomerID: "david", FollowUp: f})
				if tc.skip != "" {
					require.False(t, out.Sent, "prefs %+v", tc.prefs)
					require.Equal(t, tc.skip, out.SkipReason)
					require.Empty(t, mailer.emails)
					return
				}
				require.True(t, out.Sent, "prefs %+v: %+v", tc.prefs, out)
				require.Len(t, mailer.emails, 1)
				text := mailer.emails[0].Text
				for _, want := range tc.offers {
					require.Contains(t, text, want, "prefs %+v", tc.prefs)
				}
				for _, not := range tc.absent {
					require.NotContains(t, text, not, "prefs %+v", tc.prefs)
				}
				require.NotContains(t, text, "(was ", "full price: no discount")
			})
		}
	}
}

// TestSendFollowUpRefusesAnotherCustomersSendKey is the pair from issue #13: customer a/restock/x
// (stored before ids were checked) was sent its restock for wish y under the key
// customer/a/restock/x/restock/y, which customer a's restock for wish x/restock/y also gets.
// SendFollowUp used to answer "sent" with the other customer's row, and a's email was lost; now it
// fails for good with SendKeyConflict and sends nothing.
func TestSendFollowUpRefusesAnotherCustomersSendKey(t *testing.T) {
	st := setup(t)
	ctx := context.Background()
	_, err := st.ImportCustomers(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,categories\n"+
		"a,Ann,a@example.com,en,UTC,blue,50,trousers\n"))
	require.NoError(t, err)
	legacyKey := "customer/a/restock/x/restock/y"
	_, err = st.ClaimSend(ctx, lifecycle.SendRecord{Key: legacyKey, CustomerID: "a/restock/x", Kind: lifecycle.KindRestock, Subject: "Back in blue"})
	require.NoError(t, err)
	require.NoError(t, st.MarkSent(ctx, legacyKey, "msg-other", time.Now()))

	in := activities.SendFollowUpInput{CustomerID: "a", FollowUp: lifecycle.FollowUp{
		Key: lifecycle.SendKey("a", lifecycle.KindRestock, "x/restock/y"), Kind: lifecycle.KindRestock, WishID: "x/restock/y",
		Product: &lifecycle.Product{SKU: "TR-BLUE-50"},
	}}
	require.Equal(t, legacyKey, in.FollowUp.Key, "the test needs the colliding pair")
	mailer := &scriptedMailer{}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t)})

	res, err := env.ExecuteActivity("SendFollowUp", in)
	if err == nil {
		var out activities.SendFollowUpResult
		require.NoError(t, res.Get(&out))
		t.Fatalf("SendFollowUp of %s for customer a = %+v, want a SendKeyConflict error", in.FollowUp.Key, out)
	}
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %T: %v", err, err)
	require.Equal(t, activities.ErrTypeSendKeyConflict, appErr.Type(), "error type of %v", err)
	require.True(t, appErr.NonRetryable(), "a key conflict cannot heal by retrying: %v", err)
	require.Empty(t, mailer.emails, "nothing sent under another customer's key")
}

type emailCounts map[string]int

func (c emailCounts) CountEmail(kind, outcome, reason string) { c[outcome+"/"+reason]++ }

type authFailures map[int]int

func (c authFailures) CountAuthFailure(status int) { c[status]++ }

// countingMailer refuses the API key while refuse is set, and counts every call.
type countingMailer struct {
	scriptedMailer
	refuse bool
	answer *lifecycle.SendError // when set and the key is not refused: the provider's answer
	calls  int
}

func (m *countingMailer) Send(ctx context.Context, e lifecycle.Email) (string, error) {
	m.calls++
	if m.refuse {
		return "", &lifecycle.SendError{Status: 401, Message: "The provided authorization grant is invalid, expired, or revoked", AuthRefused: true}
	}
	if m.answer != nil {
		return "", m.answer
	}
	return m.scriptedMailer.Send(ctx, e)
}

// Found in review of issue #13: a probe that the provider answers with another 4xx (the email is
// too large, a bad request, a rate limit) proves the key works, and ends the pause at once, rather
// than one probe interval later.
func TestAnotherClientErrorEndsThePause(t *testing.T) {
	for _, answer := range []*lifecycle.SendError{
		{Status: 413, Message: "too large", Permanent: true},
		{Status: 400, Message: "bad request", Permanent: true},
		{Status: 429, Message: "slow down", RetryAfter: time.Second},
	} {
		t.Run(fmt.Sprint(answer.Status), func(t *testing.T) {
			st := setup(t)
			ctx := context.Background()
			now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			gate, err := sendinggate.New(ctx, sendinggate.Config{ProbeInterval: time.Minute},
				sendinggate.Deps{Store: st, Now: func() time.Time { return now }})
			require.NoError(t, err)
			mailer := &countingMailer{refuse: true}
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t), Gate: gate})
			_, err = env.ExecuteActivity("SendFollowUp", saleInput())
			require.Error(t, err, "the key is refused")
			require.Error(t, gate.Check(ctx), "sending paused after a 401")

			mailer.refuse, mailer.answer = false, answer
			now = now.Add(2 * time.Minute) // the next try is the probe
			_, err = env.ExecuteActivity("SendFollowUp", saleInput())
			require.Error(t, err, "the probe's email answered %d", answer.Status)
			require.NoError(t, gate.Check(ctx), "a %d proves the key works: the pause ends", answer.Status)
		})
	}
}

// While the provider refuses the key, one send per probe interval reaches it and the rest are held
// without a request; the first acceptance resumes sending, and every held follow-up then goes out
// once.
func TestSendFollowUpHoldsEverySendWhileTheKeyIsRefused(t *testing.T) {
	st := setup(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	failures := authFailures{}
	gate, err := sendinggate.New(ctx, sendinggate.Config{ProbeInterval: time.Minute},
		sendinggate.Deps{Store: st, Counter: failures, Now: func() time.Time { return now }})
	require.NoError(t, err)
	mailer := &countingMailer{refuse: true}
	counts := emailCounts{}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t), Gate: gate, Emails: counts})
	inputs := []activities.SendFollowUpInput{saleInput(), {CustomerID: "jan", FollowUp: lifecycle.FollowUp{
		Key: "customer/jan/care/1", Kind: lifecycle.KindCare, Category: "suits"}}}
	sendAll := func(when string) (sent int) {
		t.Helper()
		for _, in := range inputs {
			res, err := env.ExecuteActivity("SendFollowUp", in)
			if err != nil {
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, err, &appErr, "%s: %s", when, in.FollowUp.Key)
				require.Equal(t, activities.ErrTypeSendingPaused, appErr.Type(), "%s: %s must be held, not failed", when, in.FollowUp.Key)
				continue
			}
			var out activities.SendFollowUpResult
			require.NoError(t, res.Get(&out))
			require.True(t, out.Sent, "%s: %s: %+v", when, in.FollowUp.Key, out)
			sent++
		}
		return sent
	}

	require.Zero(t, sendAll("key refused"))
	require.Equal(t, 1, mailer.calls, "the first refusal pauses sending: the second follow-up is held without a request")
	pause, paused, err := st.SendingPause(ctx)
	require.NoError(t, err)
	require.True(t, paused, "the pause is recorded for starter status")
	require.Equal(t, 401, pause.Status)

	now = now.Add(30 * time.Second)
	require.Zero(t, sendAll("within the probe interval"))
	require.Equal(t, 1, mailer.calls, "no request within the probe interval")

	now = now.Add(time.Minute)
	require.Zero(t, sendAll("one probe, still refused"))
	require.Equal(t, 2, mailer.calls, "one probe per interval")

	mailer.refuse = false
	now = now.Add(time.Minute)
	require.Equal(t, 2, sendAll("key fixed"), "the probe is accepted, and sending resumes for the next")
	require.Equal(t, 4, mailer.calls)
	require.Equal(t, 2, sendAll("again"), "sent already: the send log answers")
	require.Len(t, mailer.emails, 2, "each follow-up went out once")
	_, paused, err = st.SendingPause(ctx)
	require.NoError(t, err)
	require.False(t, paused, "resumed")

	log, err := st.SendLog(ctx, "")
	require.NoError(t, err)
	for _, r := range log {
		require.Equal(t, lifecycle.SendSent, r.Status, "send log row %s", r.Key)
	}
	require.Equal(t, authFailures{401: 2}, failures, "each refusal counted once")
	require.Equal(t, 6, counts["held/sending_paused"], "held attempts in tailor_emails_total: %v", counts)
	require.Zero(t, counts["failed/permanent"], "no email failed: %v", counts)
}
