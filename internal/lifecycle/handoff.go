package lifecycle

import (
	"strconv"
	"time"
)

// HandoffKind says why the shop must act by hand.
type HandoffKind string

const (
	// HandoffOfferAccepted: the customer said "yes, I'm interested"; the shop arranges it.
	HandoffOfferAccepted HandoffKind = "offer-accepted"
	// HandoffUnhappy: the customer said a purchase is not what they hoped for; service contacts them.
	HandoffUnhappy HandoffKind = "unhappy"
	// HandoffContactAsked: the customer replied to a question by email and asks to be contacted
	// ("call me", "bel me": internal/replies.ContactPhrases).
	HandoffContactAsked HandoffKind = "contact-asked"
)

// MaxHandoffReminders is how many times the shop is reminded of a hand-off left open.
const MaxHandoffReminders = 2

// Handoff is work the customer's workflow hands to the shop: a row in PostgreSQL (handoffs), a
// notification to the shop, and reminders while it stays open.
type Handoff struct {
	ID         string      `json:"id"` // HandoffID: the business key, stable across retries and continue-as-new
	CustomerID string      `json:"customer_id"`
	Kind       HandoffKind `json:"kind"`
	What       string      `json:"what"` // for the shop: what the customer said yes to, or is unhappy with
	CreatedAt  time.Time   `json:"created_at"`
	DoneAt     time.Time   `json:"done_at,omitzero"`
	Reminded   int         `json:"reminded"` // reminders sent so far
}

// HandoffID is handoff/<escaped customer id>/<key>, key being the send key of the accepted offer or
// of the answered check-in: one hand-off per answer however often it is given.
func HandoffID(customerID, key string) string {
	return "handoff/" + KeyEscape(customerID) + "/" + key
}

// RemindAt is when the shop is reminded the next time, after remindAfter per reminder already sent.
func (h Handoff) RemindAt(remindAfter time.Duration) time.Time {
	return h.CreatedAt.Add(time.Duration(h.Reminded+1) * remindAfter)
}

// NotifyKey is the send-log key of the shop's email about h: reminder 0 is the first notice.
func (h Handoff) NotifyKey(reminder int) string {
	if reminder == 0 {
		return h.ID + "/notify"
	}
	return h.ID + "/remind-" + strconv.Itoa(reminder)
}
