package lifecycle

// ReasonCode says, from one fixed set, why a follow-up or an event was decided the way it was. It is
// set where the decision is made; metrics labels, campaign outcomes (followup_outcomes.reason),
// `starter explain` and reports use it, and the decision's sentence is for people only, so
// rewording a sentence changes no count.
type ReasonCode string

const (
	ReasonNone             ReasonCode = "none"              // a plain schedule or send: nothing held it
	ReasonSendingPaused    ReasonCode = "sending_paused"    // the mail provider refuses the API key
	ReasonDuplicate        ReasonCode = "duplicate"         // the event or follow-up was already handled
	ReasonExpired          ReasonCode = "expired"           // the offer ended while it waited
	ReasonMinGap           ReasonCode = "min_gap"           // too soon after the last marketing email
	ReasonCap              ReasonCode = "cap"               // max_per_window reached
	ReasonQuietHours       ReasonCode = "quiet_hours"       // night in the customer's time zone
	ReasonUnsubscribed     ReasonCode = "unsubscribed"      // the customer unsubscribed
	ReasonConsentWithdrawn ReasonCode = "consent_withdrawn" // marketing consent withdrawn
	ReasonSuppressed       ReasonCode = "suppressed"        // the mail provider reported the address
	ReasonPaused           ReasonCode = "paused"            // the customer paused all mail
	ReasonKindOptedOut     ReasonCode = "kind_opted_out"    // the customer chose not to receive this kind
	ReasonGoalReached      ReasonCode = "goal_reached"      // the customer already said yes to such an offer
	ReasonUnhappy          ReasonCode = "unhappy"           // service contact comes before any upsell
	ReasonHeavyUser        ReasonCode = "heavy_user"        // no offer, so as not to cannibalise extra usage
	ReasonNoOffer          ReasonCode = "no_offer"          // no offer configured for the behaviour
	ReasonMomentPassed     ReasonCode = "moment_passed"     // the reading came too late for an offer
	ReasonSegment          ReasonCode = "segment"           // the value segment's strategy decided it
	ReasonReplaced         ReasonCode = "replaced"          // a later follow-up took its place
	ReasonNoMatch          ReasonCode = "no_match"          // a restock that matches no open wish
	ReasonEnded            ReasonCode = "ended"             // the sale had already ended
	ReasonNoConsent        ReasonCode = "no_consent"        // the send step found no marketing consent
	ReasonNoProducts       ReasonCode = "no_products"       // nothing in stock, in the customer's sizes or categories
	ReasonRecalled         ReasonCode = "recalled"          // the shop recalled the campaign (starter campaign cancel --recall)
	ReasonHeldOut          ReasonCode = "held_out"          // in the control group of a holdout: decided like an email, not sent
	ReasonOther            ReasonCode = "other"             // anything else: errors, invalid input
)

// ReasonCodes is the fixed set, in a stable order: every metric label and outcome reason is one of them.
var ReasonCodes = []ReasonCode{
	ReasonNone, ReasonSendingPaused, ReasonDuplicate, ReasonExpired, ReasonMinGap, ReasonCap,
	ReasonQuietHours, ReasonUnsubscribed, ReasonConsentWithdrawn, ReasonSuppressed, ReasonPaused,
	ReasonKindOptedOut, ReasonGoalReached, ReasonUnhappy, ReasonHeavyUser, ReasonNoOffer,
	ReasonMomentPassed, ReasonSegment, ReasonReplaced, ReasonNoMatch, ReasonEnded, ReasonNoConsent,
	ReasonNoProducts, ReasonRecalled, ReasonHeldOut, ReasonOther,
}
