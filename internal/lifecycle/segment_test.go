package lifecycle_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

func TestClassifySegment(t *testing.T) {
	const day = 24 * time.Hour
	now := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	defaults := lifecycle.DefaultSegmentPolicy()
	// The defaults: leaver after 365 days; ambassador with 1 referral, or 4 purchases and 3 clicks
	// or accepted offers; shopper from a 60% share of sale responses; loyal from 2 purchases or €300.
	noReferralRule := defaults
	noReferralRule.AmbassadorReferrals = 0
	noSpendRule := defaults
	noSpendRule.LoyalMonetaryCents = 0

	// bought is a customer who bought n times in the window, the last time 30 days ago.
	bought := func(n int) lifecycle.SegmentFacts {
		return lifecycle.SegmentFacts{CustomerID: "c1", Purchases: n, LastPurchaseAt: now.Add(-30 * day), MonetaryCents: int64(n) * 5000}
	}
	with := func(f lifecycle.SegmentFacts, change func(*lifecycle.SegmentFacts)) lifecycle.SegmentFacts {
		change(&f)
		return f
	}

	tests := []struct {
		name       string
		facts      lifecycle.SegmentFacts
		policy     lifecycle.SegmentPolicy
		want       lifecycle.Segment
		wantReason string
	}{
		// 1. Leavers.
		{"stated exit", with(bought(1), func(f *lifecycle.SegmentFacts) { f.Exited, f.ExitReason = true, "moving abroad" }), defaults,
			lifecycle.SegmentLeaver, "said they are leaving: moving abroad"},
		{"stated exit without a reason", with(bought(1), func(f *lifecycle.SegmentFacts) { f.Exited = true }), defaults,
			lifecycle.SegmentLeaver, "said they are leaving"},
		{"exit beats ambassador", with(bought(6), func(f *lifecycle.SegmentFacts) { f.Exited, f.Referrals, f.Clicks = true, 3, 10 }), defaults,
			lifecycle.SegmentLeaver, "said they are leaving"},
		{"exit beats never bought", lifecycle.SegmentFacts{CustomerID: "c1", Exited: true}, defaults,
			lifecycle.SegmentLeaver, "said they are leaving"},
		{"no purchase for exactly LeaverAfter", with(bought(0), func(f *lifecycle.SegmentFacts) { f.LastPurchaseAt = now.Add(-365 * day) }), defaults,
			lifecycle.SegmentLeaver, "no purchase for 365 days (leaver after 365)"},
		{"no purchase for a second less than LeaverAfter", with(bought(1), func(f *lifecycle.SegmentFacts) { f.LastPurchaseAt = now.Add(-365*day + time.Second) }), defaults,
			lifecycle.SegmentShopper, "still to win over"},
		{"a long silence beats referrals", with(bought(0), func(f *lifecycle.SegmentFacts) {
			f.LastPurchaseAt, f.Referrals = now.Add(-400*day), 2
		}), defaults, lifecycle.SegmentLeaver, "no purchase for 400 days"},

		// 2. Never bought.
		{"never bought", lifecycle.SegmentFacts{CustomerID: "c1"}, defaults, lifecycle.SegmentNone, "nothing bought yet"},
		{"never bought, however engaged", lifecycle.SegmentFacts{CustomerID: "c1", Referrals: 2, Clicks: 9, SaleResponses: 9}, defaults,
			lifecycle.SegmentNone, "nothing bought yet"},

		// 3. Ambassadors.
		{"exactly AmbassadorReferrals referrals", with(bought(1), func(f *lifecycle.SegmentFacts) { f.Referrals = 1 }), defaults,
			lifecycle.SegmentAmbassador, "referred 1 customers"},
		{"referrals with the referral rule off", with(bought(1), func(f *lifecycle.SegmentFacts) { f.Referrals = 3 }), noReferralRule,
			lifecycle.SegmentShopper, "still to win over"},
		{"referrals beat a sale share", with(bought(1), func(f *lifecycle.SegmentFacts) { f.Referrals, f.Clicks, f.SaleResponses = 1, 5, 5 }), defaults,
			lifecycle.SegmentAmbassador, "referred 1 customers"},
		{"exactly AmbassadorPurchases and AmbassadorEngagement", with(bought(4), func(f *lifecycle.SegmentFacts) { f.Clicks, f.Accepted = 2, 1 }), defaults,
			lifecycle.SegmentAmbassador, "4 purchases and 3 clicks or accepted offers in 365 days"},
		{"one purchase fewer than AmbassadorPurchases", with(bought(3), func(f *lifecycle.SegmentFacts) { f.Clicks, f.Accepted = 2, 1 }), defaults,
			lifecycle.SegmentLoyal, "3 purchases in 365 days"},
		{"one click fewer than AmbassadorEngagement", with(bought(4), func(f *lifecycle.SegmentFacts) { f.Clicks, f.Accepted = 1, 1 }), defaults,
			lifecycle.SegmentLoyal, "4 purchases in 365 days"},
		{"opens are not engagement", with(bought(4), func(f *lifecycle.SegmentFacts) { f.Opens, f.Clicks = 20, 2 }), defaults,
			lifecycle.SegmentLoyal, "4 purchases in 365 days"},
		{"a frequent engaged buyer beats a sale share", with(bought(4), func(f *lifecycle.SegmentFacts) { f.Clicks, f.SaleResponses = 3, 3 }), defaults,
			lifecycle.SegmentAmbassador, "4 purchases and 3 clicks"},

		// 4. Shoppers by their responses.
		{"exactly ShopperSaleShare of responses to sales", with(bought(2), func(f *lifecycle.SegmentFacts) { f.Clicks, f.SaleResponses = 5, 3 }), defaults,
			lifecycle.SegmentShopper, "3 of 5 responses were to sale emails"},
		{"a sale share beats loyal", with(bought(3), func(f *lifecycle.SegmentFacts) { f.Clicks, f.Accepted, f.SaleResponses = 1, 1, 2 }), defaults,
			lifecycle.SegmentShopper, "2 of 2 responses were to sale emails"},
		{"one point below ShopperSaleShare", with(bought(2), func(f *lifecycle.SegmentFacts) { f.Clicks, f.SaleResponses = 100, 59 }), defaults,
			lifecycle.SegmentLoyal, "2 purchases in 365 days"},
		{"no responses: no share", with(bought(2), func(f *lifecycle.SegmentFacts) { f.SaleResponses = 0 }), defaults,
			lifecycle.SegmentLoyal, "2 purchases in 365 days"},

		// 5. Loyal.
		{"exactly LoyalPurchases", bought(2), defaults, lifecycle.SegmentLoyal, "2 purchases in 365 days"},
		{"exactly LoyalMonetaryCents", with(bought(1), func(f *lifecycle.SegmentFacts) { f.MonetaryCents = 30000 }), defaults,
			lifecycle.SegmentLoyal, "spent 300.00 in 365 days"},
		{"a cent below LoyalMonetaryCents", with(bought(1), func(f *lifecycle.SegmentFacts) { f.MonetaryCents = 29999 }), defaults,
			lifecycle.SegmentShopper, "1 purchase(s) in 365 days and few responses: still to win over"},
		{"the spend rule off", with(bought(1), func(f *lifecycle.SegmentFacts) { f.MonetaryCents = 0 }), noSpendRule,
			lifecycle.SegmentShopper, "still to win over"},

		// 6. Everyone else is still to win over.
		{"one purchase, few responses", with(bought(1), func(f *lifecycle.SegmentFacts) { f.Clicks = 1 }), defaults,
			lifecycle.SegmentShopper, "1 purchase(s) in 365 days and few responses: still to win over"},
	}
	seen := map[lifecycle.SegmentReasonCode]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reasons := lifecycle.ClassifySegment(tt.facts, now, tt.policy)
			require.Equal(t, tt.want, got, "facts %+v at %s: reasons %v", tt.facts, now, reasons)
			require.Len(t, reasons, 1, "facts %+v", tt.facts)
			require.Contains(t, reasons[0].String(), tt.wantReason, "facts %+v", tt.facts)
			require.Contains(t, lifecycle.SegmentReasonCodes, reasons[0].Code, "facts %+v", tt.facts)
			seen[reasons[0].Code] = true
		})
	}
	for _, code := range lifecycle.SegmentReasonCodes {
		if code != lifecycle.SegmentReasonLearningStopped { // TestClassifySegmentLearningStopped
			require.True(t, seen[code], "no case above gives the reason %s", code)
		}
	}
}

// A customer who stopped the learning is in no segment, whatever they bought, unless they said
// they leave.
func TestClassifySegmentLearningStopped(t *testing.T) {
	now := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	f := lifecycle.SegmentFacts{CustomerID: "c1", Purchases: 5, LastPurchaseAt: now.AddDate(-2, 0, 0), Referrals: 2, LearningStopped: true}
	seg, reasons := lifecycle.ClassifySegment(f, now, lifecycle.DefaultSegmentPolicy())
	require.Equal(t, lifecycle.SegmentNone, seg)
	require.Equal(t, []lifecycle.SegmentReason{{Code: lifecycle.SegmentReasonLearningStopped}}, reasons)
	f.Exited, f.ExitReason = true, "moving abroad"
	seg, reasons = lifecycle.ClassifySegment(f, now, lifecycle.DefaultSegmentPolicy())
	require.Equal(t, lifecycle.SegmentLeaver, seg)
	require.Equal(t, []lifecycle.SegmentReason{{Code: lifecycle.SegmentReasonExit, ExitWords: "moving abroad"}}, reasons)
}

// The typed reasons carry the numbers, and their English sentences are the ones operators read
// before the reasons were typed (starter status and explain, the workflows' segment signal), so
// nothing an operator or a recorded history holds changes wording.
func TestSegmentReasonSentences(t *testing.T) {
	const day = 24 * time.Hour
	now := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	p := lifecycle.DefaultSegmentPolicy()
	last := now.Add(-30 * day)
	for _, tc := range []struct {
		facts lifecycle.SegmentFacts
		want  lifecycle.SegmentReason
		text  string
	}{
		{lifecycle.SegmentFacts{Exited: true, ExitReason: "moving abroad"},
			lifecycle.SegmentReason{Code: lifecycle.SegmentReasonExit, ExitWords: "moving abroad"}, "said they are leaving: moving abroad"},
		{lifecycle.SegmentFacts{Exited: true}, lifecycle.SegmentReason{Code: lifecycle.SegmentReasonExit}, "said they are leaving"},
		{lifecycle.SegmentFacts{LearningStopped: true, LastPurchaseAt: last},
			lifecycle.SegmentReason{Code: lifecycle.SegmentReasonLearningStopped}, "asked us to stop learning from what they do"},
		{lifecycle.SegmentFacts{}, lifecycle.SegmentReason{Code: lifecycle.SegmentReasonNothingBought}, "nothing bought yet"},
		{lifecycle.SegmentFacts{LastPurchaseAt: now.Add(-400 * day)},
			lifecycle.SegmentReason{Code: lifecycle.SegmentReasonNoPurchaseSince, Days: 400, LeaverAfterDays: 365}, "no purchase for 400 days (leaver after 365)"},
		{lifecycle.SegmentFacts{LastPurchaseAt: last, Purchases: 1, Referrals: 2},
			lifecycle.SegmentReason{Code: lifecycle.SegmentReasonReferrals, Referrals: 2}, "referred 2 customers"},
		{lifecycle.SegmentFacts{LastPurchaseAt: last, Purchases: 4, Clicks: 2, Accepted: 1},
			lifecycle.SegmentReason{Code: lifecycle.SegmentReasonBuysAndResponds, Purchases: 4, Responses: 3, Days: 365}, "4 purchases and 3 clicks or accepted offers in 365 days"},
		{lifecycle.SegmentFacts{LastPurchaseAt: last, Purchases: 2, Clicks: 5, SaleResponses: 3},
			lifecycle.SegmentReason{Code: lifecycle.SegmentReasonSaleResponses, SaleResponses: 3, Responses: 5}, "3 of 5 responses were to sale emails"},
		{lifecycle.SegmentFacts{LastPurchaseAt: last, Purchases: 2},
			lifecycle.SegmentReason{Code: lifecycle.SegmentReasonPurchases, Purchases: 2, Days: 365}, "2 purchases in 365 days"},
		{lifecycle.SegmentFacts{LastPurchaseAt: last, Purchases: 1, MonetaryCents: 31250},
			lifecycle.SegmentReason{Code: lifecycle.SegmentReasonSpent, Cents: 31250, Days: 365}, "spent 312.50 in 365 days"},
		{lifecycle.SegmentFacts{LastPurchaseAt: last, Purchases: 1, MonetaryCents: 5000},
			lifecycle.SegmentReason{Code: lifecycle.SegmentReasonToWinOver, Purchases: 1, Days: 365}, "1 purchase(s) in 365 days and few responses: still to win over"},
	} {
		_, reasons := lifecycle.ClassifySegment(tc.facts, now, p)
		require.Equal(t, []lifecycle.SegmentReason{tc.want}, reasons, "facts %+v", tc.facts)
		require.Equal(t, tc.text, tc.want.String(), "reason %+v", tc.want)
		require.Equal(t, []string{tc.text}, lifecycle.SegmentReasonSentences(reasons), "reason %+v", tc.want)
	}
	require.Equal(t, []string{}, lifecycle.SegmentReasonSentences(nil), "no reasons: an empty list, as the text[] column holds it")
}

func TestDefaultSegmentPolicy(t *testing.T) {
	const day = 24 * time.Hour
	require.Equal(t, lifecycle.SegmentPolicy{
		Schedule: "0 3 * * *", Lookback: 365 * day, LeaverAfter: 365 * day,
		AmbassadorReferrals: 1, AmbassadorPurchases: 4, AmbassadorEngagement: 3,
		ShopperSaleShare: 0.6, LoyalPurchases: 2, LoyalMonetaryCents: 30000, WinbackAfter: 60 * day,
	}, lifecycle.DefaultSegmentPolicy(), "the defaults documented on SegmentPolicy")
	require.Equal(t, lifecycle.DefaultSegmentPolicy(), lifecycle.DefaultPolicy().Segments)
}
