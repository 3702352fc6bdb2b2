package lifecycle

import "time"

// Segment is a customer's value segment: by value, not revenue alone.
type Segment string

const (
	SegmentNone       Segment = ""           // not computed yet, or nothing bought yet
	SegmentAmbassador Segment = "ambassador" // promoters: reward and involve them
	SegmentLoyal      Segment = "loyal"      // loyal but passive: involve them, make them promoters
	SegmentShopper    Segment = "shopper"    // price-comparing: discounts, build the relationship slowly
	SegmentLeaver     Segment = "leaver"     // ask why, leave a good feeling, win back later
)

// Segments lists the segments a customer can be in.
var Segments = []Segment{SegmentAmbassador, SegmentLoyal, SegmentShopper, SegmentLeaver}

// SegmentFacts are what the database knows about one customer for segmentation.
type SegmentFacts struct {
	CustomerID     string    `json:"customer_id"`
	Purchases      int       `json:"purchases"`        // in the lookback window
	LastPurchaseAt time.Time `json:"last_purchase_at"` // ever; zero: never bought
	MonetaryCents  int64     `json:"monetary_cents"`   // list price of the purchases in the lookback window
	Opens          int       `json:"opens"`            // email opens in the lookback window
	Clicks         int       `json:"clicks"`           // email clicks in the lookback window
	Accepted       int       `json:"accepted"`         // offers accepted ("yes, I'm interested") in the window
	SaleResponses  int       `json:"sale_responses"`   // clicks and acceptances of sale emails
	Referrals      int       `json:"referrals"`        // stated: customers they referred
	Exited         bool      `json:"exited"`           // stated: the customer said they leave
	ExitReason     string    `json:"exit_reason,omitempty"`
	// LearningStopped: the customer asked, on the preference page, that the shop stop learning
	// from what they do; only what they stated counts.
	LearningStopped bool `json:"learning_stopped,omitempty"`
}

// SegmentPolicy holds the segmentation thresholds from LIFECYCLE_CONFIG.
type SegmentPolicy struct {
	// Schedule is the cron spec of the nightly recompute (default "0 3 * * *"), read in
	// ScheduleTimezone.
	Schedule string `json:"schedule"`
	// ScheduleTimezone is the IANA zone Schedule's hours are in; "" is UTC.
	ScheduleTimezone string `json:"schedule_timezone,omitempty"`
	// Lookback is the window purchases and engagement are counted in (default 365 days).
	Lookback time.Duration `json:"lookback"`
	// LeaverAfter: no purchase for this long makes a leaver (default 365 days).
	LeaverAfter time.Duration `json:"leaver_after"`
	// AmbassadorReferrals: this many referrals make an ambassador (default 1).
	AmbassadorReferrals int `json:"ambassador_referrals"`
	// AmbassadorPurchases and AmbassadorEngagement: a frequent buyer who also engages (clicks plus
	// accepted offers) is an ambassador (defaults 4 and 3).
	AmbassadorPurchases  int `json:"ambassador_purchases"`
	AmbassadorEngagement int `json:"ambassador_engagement"`
	// ShopperSaleShare: a customer whose responses are at least this share sale emails is a
	// price-comparing shopper (default 0.6).
	ShopperSaleShare float64 `json:"shopper_sale_share"`
	// LoyalPurchases or LoyalMonetaryCents in the window make a loyal customer (defaults 2 and €300).
	LoyalPurchases     int   `json:"loyal_purchases"`
	LoyalMonetaryCents int64 `json:"loyal_monetary_cents"`
	// WinbackAfter is the quiet period between a leaver's exit question and the one win-back (default 60 days).
	WinbackAfter time.Duration `json:"winback_after"`
}

// DefaultSegmentPolicy is used for every segment setting LIFECYCLE_CONFIG leaves out.
func DefaultSegmentPolicy() SegmentPolicy {
	const day = 24 * time.Hour
	return SegmentPolicy{
		Schedule:             "0 3 * * *",
		Lookback:             365 * day,
		LeaverAfter:          365 * day,
		AmbassadorReferrals:  1,
		AmbassadorPurchases:  4,
		AmbassadorEngagement: 3,
		ShopperSaleShare:     0.6,
		LoyalPurchases:       2,
		LoyalMonetaryCents:   30000,
		WinbackAfter:         60 * day,
	}
}

// ClassifySegment puts a customer in a segment and says why, as typed reasons (SegmentReason: a
// code and its numbers), so the preference page can say them in the customer's language; each
// reason's String is the English sentence operators read. The rules, first match wins:
//  1. stated exit, or no purchase for LeaverAfter: leaver (the no purchase part only while the
//     shop may learn);
//  2. never bought, or learning stopped by the customer: none;
//  3. referrals, or frequent purchases with engagement: ambassador;
//  4. responses mostly to sale emails: shopper;
//  5. enough purchases or spend in the window: loyal;
//  6. otherwise shopper: a customer still to win over, at a discount.
func ClassifySegment(f SegmentFacts, now time.Time, p SegmentPolicy) (Segment, []SegmentReason) {
	because := func(r SegmentReason) []SegmentReason { return []SegmentReason{r} }
	window := days(p.Lookback)
	if f.Exited {
		return SegmentLeaver, because(SegmentReason{Code: SegmentReasonExit, ExitWords: f.ExitReason})
	}
	if f.LearningStopped {
		return SegmentNone, because(SegmentReason{Code: SegmentReasonLearningStopped})
	}
	if f.LastPurchaseAt.IsZero() {
		return SegmentNone, because(SegmentReason{Code: SegmentReasonNothingBought})
	}
	if since := now.Sub(f.LastPurchaseAt); since >= p.LeaverAfter {
		return SegmentLeaver, because(SegmentReason{Code: SegmentReasonNoPurchaseSince, Days: days(since), LeaverAfterDays: days(p.LeaverAfter)})
	}
	if p.AmbassadorReferrals > 0 && f.Referrals >= p.AmbassadorReferrals {
		return SegmentAmbassador, because(SegmentReason{Code: SegmentReasonReferrals, Referrals: f.Referrals})
	}
	engagement := f.Clicks + f.Accepted
	if f.Purchases >= p.AmbassadorPurchases && engagement >= p.AmbassadorEngagement {
		return SegmentAmbassador, because(SegmentReason{Code: SegmentReasonBuysAndResponds, Purchases: f.Purchases, Responses: engagement, Days: window})
	}
	if engagement > 0 && float64(f.SaleResponses)/float64(engagement) >= p.ShopperSaleShare {
		return SegmentShopper, because(SegmentReason{Code: SegmentReasonSaleResponses, SaleResponses: f.SaleResponses, Responses: engagement})
	}
	if f.Purchases >= p.LoyalPurchases {
		return SegmentLoyal, because(SegmentReason{Code: SegmentReasonPurchases, Purchases: f.Purchases, Days: window})
	}
	if p.LoyalMonetaryCents > 0 && f.MonetaryCents >= p.LoyalMonetaryCents {
		return SegmentLoyal, because(SegmentReason{Code: SegmentReasonSpent, Cents: f.MonetaryCents, Days: window})
	}
	return SegmentShopper, because(SegmentReason{Code: SegmentReasonToWinOver, Purchases: f.Purchases, Days: window})
}

func days(d time.Duration) int { return int(d / (24 * time.Hour)) }
