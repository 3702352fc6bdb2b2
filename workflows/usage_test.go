package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// The telecom seed: a data bundle of 1000 MB a month, and two customers who reach 80% of it.
const telecomCustomers = `id,name,email,locale,timezone,colors,sizes,categories,consent
anna,Anna Visser,anna@example.com,en,Europe/Amsterdam,,,,true
joost,Joost de Wit,joost@example.com,nl,Europe/Amsterdam,,,,true
`

func telecomStore(t *testing.T) *store.DB {
	st := newStore(t)
	_, err := st.ImportCustomers(context.Background(), strings.NewReader(telecomCustomers))
	require.NoError(t, err)
	return st
}

// telecomPolicy offers a small top-up to the cost-conscious and a retention bundle at churn risk.
func telecomPolicy() lifecycle.Policy {
	p := lifecycle.DefaultPolicy()
	p.Usage.Offers = []lifecycle.BundleOffer{
		{Name: "Data saver 2 GB", PriceCents: 499, Allowance: "2 GB extra until your bundle renews", For: []lifecycle.Behaviour{lifecycle.BehaviourCostConscious}},
		{Name: "Stay-with-us 10 GB", PriceCents: 0, Allowance: "10 GB free this month", For: []lifecycle.Behaviour{lifecycle.BehaviourChurnRisk}},
	}
	return p
}

func (h *harness) usage(offset time.Duration, used float64) {
	h.signal(offset, workflows.SignalUsage, workflows.UsageSignal{Reading: lifecycle.UsageReading{Metric: "data_mb", Used: used, Limit: 1000}})
}

func (h *harness) interested(offset time.Duration, key string, got *workflows.InterestedResult) {
	h.at(offset, func() {
		h.env.UpdateWorkflow(workflows.UpdateInterested, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { require.NoError(h.t, err, "interested in %s", key) },
			OnComplete: func(v any, err error) {
				require.NoError(h.t, err, "interested in %s", key)
				*got, _ = v.(workflows.InterestedResult)
			},
		}, workflows.InterestedRequest{OfferKey: key})
	})
}

func sentKeys(st workflows.Status, kind lifecycle.Kind) []string {
	var keys []string
	for _, e := range st.Emails {
		if e.Kind == kind {
			keys = append(keys, e.Key)
		}
	}
	return keys
}

// Seed 000: at 80% of the bundle a cost-conscious customer, who slowed down after the last warning
// and stayed within the bundle, gets the offer that fits, easy to accept in one click; once she
// accepted it no further offers of that kind go out.
func TestMomentOfTruthCostConsciousGetsTheOfferOnce(t *testing.T) {
	h := newHarness(t, telecomStore(t), telecomPolicy())
	// Month 1: at 80% on day 16 (nothing known yet), then she slows down and stays within.
	h.usage(0, 0)
	h.usage(16*day, 800)
	h.usage(29*day, 900)
	// Month 2: 80% again on day 46: she is cost-conscious, the offer goes out that day.
	h.usage(30*day, 10)
	h.usage(46*day, 810)
	var accepted workflows.InterestedResult
	offerKey := "customer/anna/offer/data_mb/20260204T100000Z"
	h.interested(46*day+time.Hour, offerKey, &accepted)
	h.usage(59*day, 850)
	// Month 3: 80% again, but she said yes to the offer for data: none again.
	h.usage(60*day, 5)
	h.usage(76*day, 805)
	h.requireCanceled(h.runUntil(80*day, workflows.CustomerLifecycleInput{CustomerID: "anna"}))

	require.Equal(t, []string{"offer@day46", "confirmation@day46"}, sentDays(h.status), "decisions: %+v", h.status.Decisions)
	require.Equal(t, []string{offerKey}, sentKeys(h.status, lifecycle.KindOffer))
	require.True(t, accepted.Accepted, "accepted in one click")

	require.Len(t, h.status.Moments, 3)
	first, second, third := h.status.Moments[0], h.status.Moments[1], h.status.Moments[2]
	require.Equal(t, lifecycle.BehaviourUnknown, first.Behaviour, "month 1: %+v", first)
	require.Empty(t, first.Offer)
	require.Contains(t, first.Decision, "no offer configured")
	require.Equal(t, lifecycle.BehaviourCostConscious, second.Behaviour, "month 2: %+v", second)
	require.Equal(t, "Data saver 2 GB", second.Offer)
	require.Equal(t, 81, second.UsedPct)
	require.Equal(t, lifecycle.BehaviourCostConscious, third.Behaviour, "month 3: %+v", third)

	skipped := decisions(h.status, workflows.OutcomeSkipped)
	require.Len(t, skipped, 2, "decisions: %+v", h.status.Decisions)
	require.Contains(t, skipped[0].Reason, "no offer configured for this behaviour")
	require.Contains(t, skipped[1].Reason, "goal reached")

	mails := h.mailer.sent()
	require.Equal(t, lifecycle.KindOffer, mails[0].Kind)
	require.Contains(t, mails[0].Text, "Data saver 2 GB")
	require.Contains(t, mails[0].Text, "https://shop.example/i/", "one click to accept")
}

// Seed 000: a heavy user, who habitually pays for extra usage, gets no offer at 80%: it would
// cannibalise that revenue. Once churn indicators appear (a complaint), the retention offer fits.
func TestMomentOfTruthHeavyUserGetsNoOfferUnlessChurnLooms(t *testing.T) {
	h := newHarness(t, telecomStore(t), telecomPolicy())
	for month := range 3 {
		start := time.Duration(month*30) * day
		h.usage(start, 100)
		h.usage(start+15*day, 850)
		if month < 2 {
			h.usage(start+29*day, 1300) // over the bundle: paid for extra
		}
	}
	h.signal(80*day, workflows.SignalComplaint, workflows.ComplaintSignal{Reason: "slow connection at home"})
	h.usage(90*day, 100)
	h.usage(105*day, 850)
	h.requireCanceled(h.runUntil(110*day, workflows.CustomerLifecycleInput{CustomerID: "joost"}))

	require.Equal(t, []string{"offer@day105"}, sentDays(h.status), "decisions: %+v", h.status.Decisions)
	require.Len(t, h.status.Moments, 4)
	heavy := h.status.Moments[2]
	require.Equal(t, lifecycle.BehaviourHeavy, heavy.Behaviour, "%+v", heavy)
	require.Empty(t, heavy.Offer)
	require.Contains(t, heavy.Decision, "heavy user without churn indicators: no offer")
	churn := h.status.Moments[3]
	require.Equal(t, lifecycle.BehaviourChurnRisk, churn.Behaviour, "%+v", churn)
	require.Contains(t, churn.Why, "complaint on 2026-03-26")
	require.Equal(t, "Stay-with-us 10 GB", churn.Offer)

	var heavySkip []workflows.Decision
	for _, d := range decisions(h.status, workflows.OutcomeSkipped) {
		if strings.Contains(d.Reason, "heavy user") {
			heavySkip = append(heavySkip, d)
		}
	}
	require.Len(t, heavySkip, 1, "the workflow records why it sent nothing: %+v", h.status.Decisions)
	require.Equal(t, lifecycle.KindOffer, heavySkip[0].Kind)
}

// Seed 003: care tips a while after the purchase, then "is it what you hoped for?"; an unhappy
// answer turns the next step into service contact instead of an upsell.
func TestUsagePhaseCareCheckinAndServiceContact(t *testing.T) {
	policy := lifecycle.DefaultPolicy()
	policy.Care = []lifecycle.CarePlan{{Category: "trousers", TipsAfter: 7 * day, CheckinAfter: 30 * day,
		Tips: map[string]string{"en": "Hang them by the hem to keep the crease."}}}
	h := newHarness(t, newStore(t), policy)
	h.purchase(0, "p1", "TR-BLUE-50", "")
	checkinKey := "customer/david/checkin/p1"
	answer := func(offset time.Duration, happy bool, got *workflows.CheckinResult) {
		h.at(offset, func() {
			h.env.UpdateWorkflow(workflows.UpdateCheckin, "", &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(err error) { require.NoError(t, err, "answer %s", checkinKey) },
				OnComplete: func(v any, err error) {
					require.NoError(t, err, "answer %s", checkinKey)
					*got, _ = v.(workflows.CheckinResult)
				},
			}, workflows.CheckinAnswer{CheckinKey: checkinKey, Happy: happy})
		})
	}
	var unhappy, again workflows.CheckinResult
	answer(31*day, false, &unhappy)
	answer(32*day, true, &again)
	h.sale(44*day, "trousers", 20, 60*day) // an upsell while he is unhappy: skipped
	h.requireCanceled(h.runUntil(100*day, workflows.CustomerLifecycleInput{CustomerID: "david"}))

	require.Equal(t, []string{"care@day7", "checkin@day30", "service@day31"}, sentDays(h.status), "decisions: %+v", h.status.Decisions)
	require.Contains(t, unhappy.Message, "service desk")
	require.True(t, again.AlreadyAnswered, "the first answer stands")
	require.Equal(t, "Classic trousers", h.status.Unhappy)

	var upsellsHeld []string
	for _, d := range append(decisions(h.status, workflows.OutcomeDropped), decisions(h.status, workflows.OutcomeSkipped)...) {
		if strings.Contains(d.Reason, "not what they hoped for") {
			upsellsHeld = append(upsellsHeld, string(d.Kind))
		}
	}
	require.ElementsMatch(t, []string{"season", "sale"}, upsellsHeld, "the season fallback waiting and the later sale give way: %+v", h.status.Decisions)

	mails := h.mailer.sent()
	require.Contains(t, mails[0].Text, "Hang them by the hem")
	require.Contains(t, mails[1].Text, "https://shop.example/c/", "one-click answers")
	require.Empty(t, mails[2].Headers, "service contact is transactional")
}
