package lifecycle

import "fmt"

// SegmentReasonCode says, from one fixed set, which rule of ClassifySegment put a customer in their
// segment. The preference page words each code in the customer's language (internal/web); the
// English sentence (SegmentReason.String) is for operators and is never parsed back.
type SegmentReasonCode string

const (
	SegmentReasonExit            SegmentReasonCode = "exit"              // the customer said they leave (ExitWords: what they said)
	SegmentReasonLearningStopped SegmentReasonCode = "learning_stopped"  // the customer asked the shop to stop learning
	SegmentReasonNothingBought   SegmentReasonCode = "nothing_bought"    // no purchase ever
	SegmentReasonNoPurchaseSince SegmentReasonCode = "no_purchase_since" // Days since the last purchase, at least LeaverAfterDays
	SegmentReasonReferrals       SegmentReasonCode = "referrals"         // Referrals: customers they referred
	SegmentReasonBuysAndResponds SegmentReasonCode = "buys_and_responds" // Purchases and Responses in the last Days
	SegmentReasonSaleResponses   SegmentReasonCode = "sale_responses"    // SaleResponses of Responses were to sale emails
	SegmentReasonPurchases       SegmentReasonCode = "purchases"         // Purchases in the last Days
	SegmentReasonSpent           SegmentReasonCode = "spent"             // Cents spent in the last Days
	SegmentReasonToWinOver       SegmentReasonCode = "to_win_over"       // Purchases in the last Days and few responses
)

// SegmentReasonCodes is the fixed set, in ClassifySegment's order.
var SegmentReasonCodes = []SegmentReasonCode{
	SegmentReasonExit, SegmentReasonLearningStopped, SegmentReasonNothingBought, SegmentReasonNoPurchaseSince,
	SegmentReasonReferrals, SegmentReasonBuysAndResponds, SegmentReasonSaleResponses, SegmentReasonPurchases,
	SegmentReasonSpent, SegmentReasonToWinOver,
}

// SegmentReason is one reason for a customer's segment: its code and the numbers behind it, each
// used only by the codes its comment names (the others are zero). It is stored as JSON with the
// segment (customer_segments.typed_reasons), so the names below are a stored format: add fields,
// never rename them.
type SegmentReason struct {
	Code SegmentReasonCode `json:"code"`
	// Days is the lookback window the counts are from, or for SegmentReasonNoPurchaseSince the
	// days since the last purchase.
	Days            int   `json:"days,omitempty"`
	LeaverAfterDays int   `json:"leaver_after_days,omitempty"` // no purchase for this long makes a leaver
	Purchases       int   `json:"purchases,omitempty"`         // in the window
	Cents           int64 `json:"cents,omitempty"`             // spent in the window, at list price
	Referrals       int   `json:"referrals,omitempty"`         // customers they referred
	Responses       int   `json:"responses,omitempty"`         // clicked emails plus accepted offers in the window
	SaleResponses   int   `json:"sale_responses,omitempty"`    // of Responses, those to sale emails
	// ExitWords is what the customer said when they told the shop they leave ("" when they gave no
	// reason): their own words, erased with the segment when the customer is forgotten.
	ExitWords string `json:"exit_words,omitempty"`
}

// String is the reason as an English sentence for operators (starter status and explain, the
// workflow's segment signal). The preference page words the code itself.
func (r SegmentReason) String() string {
	switch r.Code {
	case SegmentReasonExit:
		if r.ExitWords != "" {
			return "said they are leaving: " + r.ExitWords
		}
		return "said they are leaving"
	case SegmentReasonLearningStopped:
		return "asked us to stop learning from what they do"
	case SegmentReasonNothingBought:
		return "nothing bought yet"
	case SegmentReasonNoPurchaseSince:
		return fmt.Sprintf("no purchase for %d days (leaver after %d)", r.Days, r.LeaverAfterDays)
	case SegmentReasonReferrals:
		return fmt.Sprintf("referred %d customers", r.Referrals)
	case SegmentReasonBuysAndResponds:
		return fmt.Sprintf("%d purchases and %d clicks or accepted offers in %d days", r.Purchases, r.Responses, r.Days)
	case SegmentReasonSaleResponses:
		return fmt.Sprintf("%d of %d responses were to sale emails", r.SaleResponses, r.Responses)
	case SegmentReasonPurchases:
		return fmt.Sprintf("%d purchases in %d days", r.Purchases, r.Days)
	case SegmentReasonSpent:
		return fmt.Sprintf("spent %d.%02d in %d days", r.Cents/100, r.Cents%100, r.Days)
	case SegmentReasonToWinOver:
		return fmt.Sprintf("%d purchase(s) in %d days and few responses: still to win over", r.Purchases, r.Days)
	}
	return fmt.Sprintf("reason %q", string(r.Code))
}

// SegmentReasonSentences are the English sentences of reasons, in order: what the segment signal
// and customer_segments.reasons carry.
func SegmentReasonSentences(reasons []SegmentReason) []string {
	out := make([]string, len(reasons))
	for i, r := range reasons {
		out[i] = r.String()
	}
	return out
}
