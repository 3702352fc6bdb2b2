package workflows_test

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
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/workflows"
)

const day = 24 * time.Hour

// The tailor's catalogue: the trousers David bought (blue), the grey he wanted (out of stock),
// near misses in colour and size, and an autumn collection.
const testProducts = `sku,product,name,category,color,size,price,stock,collections
TR-BLUE-50,classic-trousers,Classic trousers,trousers,blue,50,89.00,5,
TR-GREY-50,classic-trousers,Classic trousers,trousers,grey,50,89.00,0,
TR-GREY-52,classic-trousers,Classic trousers,trousers,grey,52,89.00,0,
TR-GREEN-50,classic-trousers,Classic trousers,trousers,green,50,89.00,0,
CH-GREY-50,chinos,Chinos,trousers,grey,50,69.00,3,autumn
CH-RED-50,chinos,Chinos,trousers,red,50,69.00,3,
CH-BLUE-50,chinos,Chinos,trousers,blue,50,69.00,3,
SU-GREY-50,suit,Flannel suit,suits,grey,50,399.00,2,autumn
SU-BLACK-50,suit,Flannel suit,suits,black,50,379.00,2,autumn
JK-BLUE-48,jacket,Tweed jacket,jackets,blue,48,249.00,2,autumn
`

const testCustomers = `id,name,email,locale,timezone,colors,sizes,categories,consent
david,David Sable,david@example.com,en,America/New_York,,50,,true
els,Els Peeters,els@example.com,nl,Europe/Brussels,,50,,true
bram,Bram Smit,bram@example.com,nl,Europe/Amsterdam,grey,50,trousers,true
nocontact,No Contact,no@example.com,en,Europe/London,,50,,false
`

var storyStart = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// recordingMailer stands in for SendGrid, the edge of the outside world.
type recordingMailer struct {
	mu     sync.Mutex
	emails []lifecycle.Email
}

func (m *recordingMailer) Send(_ context.Context, e lifecycle.Email) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.emails = append(m.emails, e)
	return fmt.Sprintf("msg-%d", len(m.emails)), nil
}

func (m *recordingMailer) sent() []lifecycle.Email {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]lifecycle.Email(nil), m.emails...)
}

type harness struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	store  *store.DB
	mailer *recordingMailer
	status workflows.Status
}

func newHarness(t *testing.T, st *store.DB, policy lifecycle.Policy) *harness {
	return newHarnessAt(t, st, policy, storyStart)
}

// newHarnessAt starts the workflow clock at start; offsets given to the harness count from there.
func newHarnessAt(t *testing.T, st *store.DB, policy lifecycle.Policy, start time.Time) *harness {
	t.Helper()
	return newHarnessWith(t, st, policy, start, nil)
}

// newHarnessWith is newHarnessAt with the activities adjusted by with (nil: none), e.g. a shop
// address for hand-offs.
func newHarnessWith(t *testing.T, st *store.DB, policy lifecycle.Policy, start time.Time, with func(*activities.Activities)) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetTestTimeout(2 * time.Minute)
	h := &harness{t: t, env: env, store: st, mailer: &recordingMailer{}}
	env.RegisterWorkflow(workflows.CustomerLifecycle)
	acts := &activities.Activities{
		Store: st, Mailer: h.mailer, Policy: policy, Links: testLinks(t), Handoffs: st,
	}
	if with != nil {
		with(acts)
	}
	env.RegisterActivity(acts)
	return h
}

// testLinks signs links like production, with a test secret.
func testLinks(t testing.TB) *links.Signer {
	t.Helper()
	signer, err := links.New([]byte("test-secret-test-secret-test-secret!"), "https://shop.example", 0, nil)
	require.NoError(t, err)
	return signer
}

func newStore(t *testing.T) *store.DB {
	t.Helper()
	st, _ := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportProducts(ctx, strings.NewReader(testProducts))
	require.NoError(t, err)
	_, err = st.ImportCustomers(ctx, strings.NewReader(testCustomers))
	require.NoError(t, err)
	return st
}

// at runs fn at offset after the workflow start, in workflow time.
func (h *harness) at(offset time.Duration, fn func()) {
	h.env.RegisterDelayedCallback(fn, offset)
}

func (h *harness) signal(offset time.Duration, name string, arg any) {
	h.at(offset, func() { h.env.SignalWorkflow(name, arg) })
}

func (h *harness) purchase(offset time.Duration, id, sku, wanted string) {
	h.signal(offset, workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: id, SKU: sku, WantedColor: wanted})
}

func (h *harness) restock(offset time.Duration, sku string) {
	h.at(offset, func() {
		p, err := h.store.Restock(context.Background(), sku, 3)
		require.NoError(h.t, err, "restock %s", sku)
		h.env.SignalWorkflow(workflows.SignalRestock, workflows.RestockSignal{Product: p})
	})
}

func (h *harness) sale(offset time.Duration, category string, pct int, until time.Duration) {
	sig := workflows.SaleSignal{SaleID: fmt.Sprintf("sale/%s/%d", category, offset/day), Category: category, DiscountPct: pct}
	if until > 0 {
		sig.Until = storyStart.Add(until)
	}
	h.signal(offset, workflows.SignalSale, sig)
}

// runUntil runs the customer's workflow until end, queries its status, then cancels it.
func (h *harness) runUntil(end time.Duration, in workflows.CustomerLifecycleInput) error {
	h.at(end, func() {
		v, err := h.env.QueryWorkflow(workflows.QueryStatus)
		require.NoError(h.t, err)
		require.NoError(h.t, v.Get(&h.status))
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(workflows.CustomerLifecycle, in)
	require.True(h.t, h.env.IsWorkflowCompleted())
	return h.env.GetWorkflowError()
}

func (h *harness) requireCanceled(err error) {
	h.t.Helper()
	require.True(h.t, temporal.IsCanceledError(err), "the workflow should run until the test cancels it, got %v", err)
}

// sentDays returns, per sent email, its kind and the day after the start it went out.
func sentDays(st workflows.Status) []string {
	var out []string
	for _, e := range st.Emails {
		out = append(out, fmt.Sprintf("%s@day%d", e.Kind, int(e.SentAt.Sub(storyStart)/day)))
	}
	return out
}

func decisions(st workflows.Status, outcome workflows.Outcome) []workflows.Decision {
	var out []workflows.Decision
	for _, d := range st.Decisions {
		if d.Outcome == outcome {
			out = append(out, d)
		}
	}
	return out
}

func TestTailorStory(t *testing.T) {
	h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
	h.purchase(0, "p1", "TR-BLUE-50", "grey")
	h.restock(14*day, "TR-GREY-50")
	h.sale(44*day, "trousers", 20, 60*day)
	h.requireCanceled(h.runUntil(100*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.Equal(t, []string{"restock@day14", "sale@day44", "season@day90"}, sentDays(h.status))
	require.Equal(t, workflows.StageFollowedUp, h.status.Stage)
	require.Equal(t, []string{"blue", "grey"}, h.status.Preferences.Colors, "bought blue, wanted grey")
	require.Empty(t, h.status.Wishes, "the restock email closes the wish")

	mails := h.mailer.sent()
	require.Len(t, mails, 3)
	restock, sale, season := mails[0], mails[1], mails[2]

	require.Equal(t, "Now in stock in grey: Classic trousers", restock.Subject)
	require.Contains(t, restock.Text, "Dear David Sable")
	require.Contains(t, restock.Text, "your favourite grey. Classic trousers, size 50, for €89.00")
	require.Contains(t, restock.HTML, "https://shop.example/u/")
	require.Equal(t, "List-Unsubscribe=One-Click", restock.Headers["List-Unsubscribe-Post"])
	require.True(t, strings.HasPrefix(restock.Headers["List-Unsubscribe"], "<https://shop.example/u/"), "List-Unsubscribe %q", restock.Headers["List-Unsubscribe"])
	require.Equal(t, "customer/david/restock/p1", restock.Key)

	require.Equal(t, "Sale: 20% off trousers in your size", sale.Subject)
	require.Contains(t, sale.Text, "until 2026-03-06")
	require.NotContains(t, sale.Text, "Classic trousers, blue", "he bought the blue pair: not offered again")
	require.Contains(t, sale.Text, "Chinos, grey, size 50: €55.20 (was €69.00)")
	require.Contains(t, sale.Text, "Classic trousers, grey, size 50", "the restocked grey is on sale too")
	require.NotContains(t, sale.Text, "red", "not a colour he likes")
	require.Regexp(t, `<s [^>]*>€89.00</s> <span [^>]*>€71.20</span>`, sale.HTML, "the old price struck through, the sale price beside it")

	require.Equal(t, "New in, chosen for you", season.Subject)
	require.Contains(t, season.Text, "I know you like blue and grey, and that you wear size 50")
	require.Contains(t, season.Text, "Flannel suit, grey, size 50")
	require.NotContains(t, season.Text, "black", "favourite colours only")
	require.NotContains(t, season.Text, "Tweed jacket", "not his size")

	// The send log agrees: one row per follow-up, all sent.
	log, err := h.store.SendLog(context.Background(), "david")
	require.NoError(t, err)
	require.Len(t, log, 3)
	for _, r := range log {
		require.Equal(t, lifecycle.SendSent, r.Status, "send log row %s", r.Key)
	}
}

// TestTailorStoryInDutch: issue #17's "u van blue en grey houdt" and "korting op trousers" read
// in Dutch, with the built-in colours and the shop's vocabulary.
func TestTailorStoryInDutch(t *testing.T) {
	policy := lifecycle.DefaultPolicy()
	policy.Vocabulary = lifecycle.Vocabulary{
		Categories: map[string]lifecycle.Words{"trousers": {"nl": "broeken"}},
		Products:   map[string]lifecycle.Words{"Classic trousers": {"nl": "Klassieke broek"}},
	}
	h := newHarness(t, newStore(t), policy)
	h.purchase(0, "p1", "TR-BLUE-50", "grey")
	h.restock(14*day, "TR-GREY-50")
	h.sale(44*day, "trousers", 20, 60*day)
	h.requireCanceled(h.runUntil(100*day, workflows.CustomerLifecycleInput{CustomerID: "els"}))

	mails := h.mailer.sent()
	require.Len(t, mails, 3)
	require.Equal(t, "Nu op voorraad in grijs: Klassieke broek", mails[0].Subject)
	require.Contains(t, mails[0].Text, "Beste Els Peeters")
	require.Equal(t, "Solden: 20% korting op broeken in uw maat", mails[1].Subject)
	require.Contains(t, mails[1].Text, "Klassieke broek, grijs, maat 50: €\u00a071,20 (was €\u00a089,00)")
	require.Contains(t, mails[2].Text, "Ik weet dat u van blauw en grijs houdt")
}

func TestRestockThatDoesNotMatchIsIgnored(t *testing.T) {
	tests := []struct {
		name   string
		sku    string
		offset time.Duration
		reason string
	}{
		{"wrong colour", "TR-GREEN-50", 14 * day, "matches no open wish"},
		{"wrong size", "TR-GREY-52", 14 * day, "matches no open wish"},
		{"after the window", "TR-GREY-50", 61 * day, "matches no open wish"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
			h.purchase(0, "p1", "TR-BLUE-50", "grey")
			h.restock(tt.offset, tt.sku)
			h.requireCanceled(h.runUntil(80*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

			require.Empty(t, h.mailer.sent(), "restock of %s on day %d", tt.sku, tt.offset/day)
			ignored := decisions(h.status, workflows.OutcomeIgnored)
			require.Len(t, ignored, 1, "restock of %s: %+v", tt.sku, h.status.Decisions)
			require.Contains(t, ignored[0].Reason, tt.reason)
		})
	}
}

func TestMinGapDefersAndDropsExpiredOffers(t *testing.T) {
	h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
	h.purchase(0, "p1", "TR-BLUE-50", "grey")
	h.restock(14*day, "TR-GREY-50")
	h.sale(16*day, "trousers", 10, 25*day) // waits for day 21, still on: sent
	h.sale(22*day, "trousers", 30, 26*day) // waits for day 28, ended on day 26: dropped
	h.requireCanceled(h.runUntil(40*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.Equal(t, []string{"restock@day14", "sale@day21"}, sentDays(h.status))

	deferred := decisions(h.status, workflows.OutcomeDeferred)
	require.Len(t, deferred, 2, "decisions: %+v", h.status.Decisions)
	require.Equal(t, storyStart.Add(21*day), deferred[0].Until, "trousers sale waits 7d after day 14")
	require.Equal(t, storyStart.Add(28*day), deferred[1].Until, "suits sale waits 7d after day 21")

	dropped := decisions(h.status, workflows.OutcomeDropped)
	require.Len(t, dropped, 1, "decisions: %+v", h.status.Decisions)
	require.Equal(t, "customer/david/sale/sale/trousers/22", dropped[0].Key)
	require.Contains(t, dropped[0].Reason, "offer expired")
}

func TestSeasonFallbackAndCampaign(t *testing.T) {
	t.Run("fallback timer fires 90 days after the purchase", func(t *testing.T) {
		h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
		h.purchase(0, "p1", "TR-BLUE-50", "")
		h.at(89*day, func() {
			v, err := h.env.QueryWorkflow(workflows.QueryStatus)
			require.NoError(t, err)
			var st workflows.Status
			require.NoError(t, v.Get(&st))
			require.Len(t, st.Pending, 1)
			require.Equal(t, lifecycle.KindSeason, st.Pending[0].Kind)
			require.Equal(t, storyStart.Add(90*day), st.Pending[0].Due)
		})
		h.requireCanceled(h.runUntil(120*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))
		require.Equal(t, []string{"season@day90"}, sentDays(h.status))
	})

	t.Run("a season campaign replaces the fallback", func(t *testing.T) {
		h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
		h.purchase(0, "p1", "TR-BLUE-50", "")
		h.signal(30*day, workflows.SignalSeason, workflows.SeasonSignal{Collection: "autumn"})
		h.requireCanceled(h.runUntil(120*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

		require.Equal(t, []string{"season@day30"}, sentDays(h.status))
		mails := h.mailer.sent()
		require.Equal(t, "Your autumn selection", mails[0].Subject)
		require.Contains(t, mails[0].Text, "Chinos, grey, size 50")
		require.NotContains(t, mails[0].Text, "Tweed jacket")
		dropped := decisions(h.status, workflows.OutcomeDropped)
		require.Len(t, dropped, 1)
		require.Contains(t, dropped[0].Reason, `season campaign "autumn" came before the fallback`)
	})

	t.Run("only purchases in the fallback's categories start one, and others keep it", func(t *testing.T) {
		policy := lifecycle.DefaultPolicy()
		policy.SeasonFallbackCategories = []string{"suits"}
		h := newHarness(t, newStore(t), policy)
		h.purchase(0, "p1", "TR-BLUE-50", "")      // trousers: no fallback
		h.purchase(10*day, "p2", "SU-GREY-50", "") // a suit: fallback on day 100
		h.purchase(20*day, "p3", "CH-RED-50", "")  // trousers again: p2's fallback stays
		h.requireCanceled(h.runUntil(120*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

		require.Equal(t, []string{"season@day100"}, sentDays(h.status))
		require.Equal(t, lifecycle.SendKey("david", lifecycle.KindSeason, "fallback-p2"), h.mailer.sent()[0].Key)
		require.Empty(t, decisions(h.status, workflows.OutcomeDropped), "no fallback was replaced")
	})

	t.Run("nothing in favourite colours: size only", func(t *testing.T) {
		h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
		h.purchase(0, "p1", "CH-RED-50", "") // likes red only; autumn has no red
		h.signal(30*day, workflows.SignalSeason, workflows.SeasonSignal{Collection: "autumn"})
		h.requireCanceled(h.runUntil(40*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))
		mails := h.mailer.sent()
		require.Len(t, mails, 1)
		require.Contains(t, mails[0].Text, "Flannel suit, black, size 50")
		require.NotContains(t, mails[0].Text, "Tweed jacket")
	})
}

func TestUnsubscribeStopsEverything(t *testing.T) {
	h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
	h.purchase(0, "p1", "TR-BLUE-50", "grey")
	h.restock(14*day, "TR-GREY-50")
	h.sale(18*day, "trousers", 20, 60*day) // deferred to day 21
	h.at(20*day, func() {
		require.NoError(t, h.store.SetConsent(context.Background(), "david", false, "test"))
		h.env.SignalWorkflow(workflows.SignalUnsubscribe, workflows.UnsubscribeSignal{})
	})
	h.sale(40*day, "suits", 20, 60*day)
	h.requireCanceled(h.runUntil(120*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.Equal(t, []string{"restock@day14"}, sentDays(h.status))
	require.Len(t, h.mailer.sent(), 1)
	require.Equal(t, workflows.StageUnsubscribed, h.status.Stage)
	require.Empty(t, h.status.Pending)
	var droppedKeys []string
	for _, d := range decisions(h.status, workflows.OutcomeDropped) {
		droppedKeys = append(droppedKeys, d.Key)
	}
	require.Contains(t, droppedKeys, "customer/david/sale/sale/trousers/18")
	require.Contains(t, droppedKeys, "customer/david/season/fallback-p1")
}

func TestSaleReachesACustomerWhoOnlySaidTheyLikeTheCategory(t *testing.T) {
	h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
	h.sale(3*day, "trousers", 20, 10*day)
	h.requireCanceled(h.runUntil(5*day, workflows.CustomerLifecycleInput{CustomerID: "bram"}))
	require.Equal(t, []string{"sale@day3"}, sentDays(h.status))
	mails := h.mailer.sent()
	require.Equal(t, "Solden: 20% korting op trousers in uw maat", mails[0].Subject)
	require.Contains(t, mails[0].Text, "Chinos, grijs, maat 50: €\u00a055,20 (was €\u00a069,00)")
}

func TestNoConsentNoEmail(t *testing.T) {
	h := newHarness(t, newStore(t), lifecycle.DefaultPolicy())
	h.purchase(0, "p1", "TR-BLUE-50", "")
	h.sale(5*day, "trousers", 20, 0)
	h.requireCanceled(h.runUntil(10*day, workflows.CustomerLifecycleInput{CustomerID: "nocontact"}))
	require.Empty(t, h.mailer.sent())
	skipped := decisions(h.status, workflows.OutcomeSkipped)
	require.Len(t, skipped, 1)
	require.Equal(t, "no marketing consent", skipped[0].Reason)
}

func TestDuplicateEventsSendNothingTwice(t *testing.T) {
	st := newStore(t)
	h := newHarness(t, st, lifecycle.DefaultPolicy())
	h.purchase(0, "p1", "TR-BLUE-50", "grey")
	h.purchase(1*time.Hour, "p1", "TR-BLUE-50", "grey")
	h.restock(14*day, "TR-GREY-50")
	h.restock(14*day+time.Hour, "TR-GREY-50")
	h.sale(30*day, "trousers", 20, 0)
	h.sale(30*day, "trousers", 20, 0)
	h.requireCanceled(h.runUntil(40*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))
	require.Equal(t, []string{"restock@day14", "sale@day30"}, sentDays(h.status))
	require.Len(t, h.mailer.sent(), 2)
	require.Len(t, h.status.Purchases, 1)

	// A second workflow for the same customer (say, after its history was lost) receives the same
	// sale: the send log in Postgres refuses to send that follow-up again.
	again := newHarness(t, st, lifecycle.DefaultPolicy())
	again.purchase(0, "p1", "TR-BLUE-50", "grey")
	again.sale(30*day, "trousers", 20, 0)
	again.requireCanceled(again.runUntil(31*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))
	require.Empty(t, again.mailer.sent(), "the send log already holds customer/david/sale/sale/trousers/30")
	require.Equal(t, []string{"sale@day30"}, sentDays(again.status), "the earlier send is reported as sent")
}

func TestContinueAsNewCarriesEverything(t *testing.T) {
	st := newStore(t)
	first := newHarness(t, st, lifecycle.DefaultPolicy())
	first.purchase(0, "p1", "TR-BLUE-50", "grey")
	first.sale(1*day, "trousers", 20, 0) // the second event: the run continues as new before sending it
	first.env.ExecuteWorkflow(workflows.CustomerLifecycle, workflows.CustomerLifecycleInput{CustomerID: "david", ContinueAsNewAfter: 2})
	require.True(t, first.env.IsWorkflowCompleted())
	err := first.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "want continue-as-new, got %v", err)
	require.Empty(t, first.mailer.sent(), "the first run continued as new before sending")

	var next workflows.CustomerLifecycleInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	require.Equal(t, "david", next.CustomerID)
	require.Equal(t, 2, next.ContinueAsNewAfter)
	require.Len(t, next.State.Wishes, 1, "the grey wish is carried")
	require.Len(t, next.State.Pending, 2, "the sale and the season fallback are carried")

	// The next run picks up the carried state: the wish, the pending sale and the fallback timer.
	second := newHarnessAt(t, st, lifecycle.DefaultPolicy(), storyStart.Add(1*day))
	second.restock(13*day, "TR-GREY-50") // day 14 of the story
	second.requireCanceled(second.runUntil(99*day, workflows.CustomerLifecycleInput{CustomerID: "david", State: next.State}))
	require.Equal(t, []string{"sale@day1", "restock@day14", "season@day90"}, sentDays(second.status))
}
