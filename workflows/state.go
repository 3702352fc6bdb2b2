package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Stage is where a customer stands; it is mirrored into the LifecycleStage search attribute.
type Stage string

const (
	StageNew          Stage = "new"          // known, nothing bought yet
	StagePurchased    Stage = "purchased"    // bought; follow-ups ahead
	StageFollowedUp   Stage = "followed-up"  // at least one follow-up sent
	StageUnsubscribed Stage = "unsubscribed" // withdrew marketing consent
	StageSuppressed   Stage = "suppressed"   // the mail provider reported the address as undeliverable or unwanted
)

// Outcome of a decision about a follow-up or an event.
type Outcome string

const (
	OutcomeScheduled Outcome = "scheduled" // queued, due at a time
	OutcomeDeferred  Outcome = "deferred"  // due, but waits for min_gap
	OutcomeSent      Outcome = "sent"
	OutcomeDropped   Outcome = "dropped"  // will not be sent: expired, replaced, unsubscribed
	OutcomeSkipped   Outcome = "skipped"  // the send step found nothing to send or no consent
	OutcomeFailed    Outcome = "failed"   // the provider refused for good
	OutcomeIgnored   Outcome = "ignored"  // an event that does not concern this customer
	OutcomeAccepted  Outcome = "accepted" // the customer said yes to the offer
	// OutcomeHeldOut: decided like an email and not sent, the customer being in the follow-up's
	// holdout (the control group the report measures lift against).
	OutcomeHeldOut Outcome = "held_out"
)

// SentEmail is one follow-up that went out.
type SentEmail struct {
	Kind      lifecycle.Kind `json:"kind"`
	Key       string         `json:"key"`
	Subject   string         `json:"subject"`
	MessageID string         `json:"message_id"`
	SentAt    time.Time      `json:"sent_at"`
	Goal      string         `json:"goal,omitempty"` // what accepting this offer reaches, e.g. sale:trousers
}

// Decision records what the workflow decided and why, for the status query.
type Decision struct {
	At      time.Time      `json:"at"`
	Kind    lifecycle.Kind `json:"kind,omitempty"`
	Key     string         `json:"key,omitempty"`
	Outcome Outcome        `json:"outcome"`
	Until   time.Time      `json:"until,omitzero"` // deferred or scheduled until
	Reason  string         `json:"reason"`         // the sentence, for people
	// Code is why, from one fixed set: metrics, campaign outcomes and explain use it. Decisions
	// recorded before it existed have none; read it with ReasonCode.
	Code lifecycle.ReasonCode `json:"code,omitempty"`
}

// PurchaseRecord is a purchase as the workflow remembers it.
type PurchaseRecord struct {
	ID       string    `json:"id"`
	SKU      string    `json:"sku"`
	Product  string    `json:"product"`
	Name     string    `json:"name"`
	Category string    `json:"category"`
	Color    string    `json:"color"`
	Size     string    `json:"size"`
	At       time.Time `json:"at"`
}

// Bounds keep the state (and so every continue-as-new payload) small for a customer of years.
const (
	maxDecisions = 50
	maxEmails    = 50
	maxPurchases = 50
	maxDoneKeys  = 500
	maxMoments   = 12
)

// State is everything a customer's workflow knows. It is carried whole through continue-as-new.
type State struct {
	CustomerID  string                `json:"customer_id"`
	Stage       Stage                 `json:"stage"`
	Preferences lifecycle.Preferences `json:"preferences"`
	Purchases   []PurchaseRecord      `json:"purchases"`
	Wishes      []lifecycle.Wish      `json:"wishes"`
	Pending     []lifecycle.FollowUp  `json:"pending"`
	Emails      []SentEmail           `json:"emails"`
	// HeldOut are the follow-ups held out (the email they would have been, never sent). Each
	// counts as a contact for min_gap and max_per_window, like an email: the control group must be
	// treated like the emailed in everything but the email, or what follows it would differ too.
	HeldOut    []SentEmail `json:"held_out,omitempty"`
	Decisions  []Decision  `json:"decisions"`
	LastSentAt time.Time   `json:"last_sent_at"` // the last marketing email, or follow-up held out
	// DoneKeys are follow-up keys that were sent, dropped, skipped or failed: a duplicate event
	// with one of these keys is ignored. The send log in Postgres guards beyond this bound.
	DoneKeys []string `json:"done_keys"`

	// The customer's voice.
	Timezone      string    `json:"timezone,omitempty"` // IANA; quiet hours are in this zone
	ConsentSource string    `json:"consent_source,omitempty"`
	ConsentAt     time.Time `json:"consent_at,omitzero"`
	Paused        bool      `json:"paused,omitempty"`
	// LearningStopped: the customer asked the shop to learn nothing more from what they do.
	LearningStopped bool `json:"learning_stopped,omitempty"`
	// PreferencesEdited: a preference edit was saved. Before it and before the first purchase, the
	// workflow's empty preferences mean "not read yet" rather than "none" (recordedPurchase).
	PreferencesEdited bool             `json:"preferences_edited,omitempty"`
	Kinds             []lifecycle.Kind `json:"kinds,omitempty"`    // follow-up kinds wanted; empty: all
	Accepted          []string         `json:"accepted,omitempty"` // offer keys the customer said yes to
	Goals             []string         `json:"goals,omitempty"`    // goals reached: no more offers of these

	// The usage phase, the moment of truth and the value segment.
	Usage           []lifecycle.UsageProfile `json:"usage,omitempty"`   // one per metric, sorted by metric
	Moments         []Moment                 `json:"moments,omitempty"` // moments of truth and what was decided
	LastComplaintAt time.Time                `json:"last_complaint_at,omitzero"`
	Segment         lifecycle.Segment        `json:"segment,omitempty"`
	SegmentReasons  []string                 `json:"segment_reasons,omitempty"`
	SegmentAt       time.Time                `json:"segment_at,omitzero"`
	// Unhappy is the purchase the customer said is not what they hoped for: until they say it is, or
	// buy again, upsells give way to service contact.
	Unhappy  string   `json:"unhappy,omitempty"`
	Answered []string `json:"answered,omitempty"` // check-in keys answered; the first answer stands
	// Handoffs are the hand-offs to the shop still open (hand-offs change).
	Handoffs []OpenHandoff `json:"handoffs,omitempty"`
	// Replies are the last replies by email to a question (exit, feedback, check-in), oldest first.
	Replies []Reply `json:"replies,omitempty"`
}

// Moment is one moment of truth: a meter reading crossing the threshold, and what followed.
type Moment struct {
	At        time.Time           `json:"at"`
	Metric    string              `json:"metric"`
	UsedPct   int                 `json:"used_pct"`
	Behaviour lifecycle.Behaviour `json:"behaviour"`
	Why       string              `json:"why"`             // why this behaviour
	Offer     string              `json:"offer,omitempty"` // the offer chosen; empty: none
	Decision  string              `json:"decision"`        // why this offer, or why none
}

func newState(customerID string) *State {
	return &State{CustomerID: customerID, Stage: StageNew}
}

func (s *State) decide(d Decision) {
	s.Decisions = appendBounded(s.Decisions, d, maxDecisions)
}

func (s *State) markDone(key string) {
	s.DoneKeys = appendBounded(s.DoneKeys, key, maxDoneKeys)
}

// known reports whether a follow-up with key is queued or already handled.
func (s *State) known(key string) bool {
	if slices.Contains(s.DoneKeys, key) {
		return true
	}
	return slices.ContainsFunc(s.Pending, func(f lifecycle.FollowUp) bool { return f.Key == key })
}

func (s *State) removePending(key string) {
	s.Pending = slices.DeleteFunc(s.Pending, func(f lifecycle.FollowUp) bool { return f.Key == key })
}

// readyAt is the earliest time f may be sent under the contact policy: a transactional email at
// once; a marketing one at its due time, pushed past min_gap after the last marketing email, past
// the frequency cap, and out of the customer's quiet hours.
func (s *State) readyAt(f lifecycle.FollowUp, p lifecycle.Policy, loc *time.Location) time.Time {
	if f.Kind.Transactional() {
		return f.Due
	}
	t := f.Due
	if f.Kind.Timely() {
		// The moment of truth passes: no waiting for min_gap or the cap, but no offer at night.
		return p.QuietHours.NextAllowed(t, loc)
	}
	if !s.LastSentAt.IsZero() {
		if gapEnd := s.LastSentAt.Add(p.MinGap); gapEnd.After(t) {
			t = gapEnd
		}
	}
	t = s.afterCap(t, p)
	return p.QuietHours.NextAllowed(t, loc)
}

// afterCap returns the first time at or after t when fewer than MaxPerWindow marketing emails
// went out in the CapWindow before it.
func (s *State) afterCap(t time.Time, p lifecycle.Policy) time.Time {
	if p.MaxPerWindow <= 0 || p.CapWindow <= 0 {
		return t
	}
	for {
		var inWindow []time.Time
		for _, e := range s.Emails {
			if !e.Kind.Transactional() && e.SentAt.After(t.Add(-p.CapWindow)) && !e.SentAt.After(t) {
				inWindow = append(inWindow, e.SentAt)
			}
		}
		if len(s.HeldOut) > 0 { // a contact like an email: merged in time order
			for _, e := range s.HeldOut {
				if e.SentAt.After(t.Add(-p.CapWindow)) && !e.SentAt.After(t) {
					inWindow = append(inWindow, e.SentAt)
				}
			}
			slices.SortFunc(inWindow, func(x, y time.Time) int { return x.Compare(y) })
		}
		if len(inWindow) < p.MaxPerWindow {
			return t
		}
		// Wait until enough of them have left the window.
		t = inWindow[len(inWindow)-p.MaxPerWindow].Add(p.CapWindow)
	}
}

// next returns the follow-up to send next and when: the earliest ready one; among those ready at
// the same time the kind with the higher priority (confirmation, restock, sale, season), then the
// earliest due.
func (s *State) next(p lifecycle.Policy, loc *time.Location) (lifecycle.FollowUp, time.Time, bool) {
	if len(s.Pending) == 0 {
		return lifecycle.FollowUp{}, time.Time{}, false
	}
	best := s.Pending[0]
	bestAt := s.readyAt(best, p, loc)
	for _, f := range s.Pending[1:] {
		at := s.readyAt(f, p, loc)
		switch {
		case at.Before(bestAt):
		case at.Equal(bestAt) && f.Kind.Priority() < best.Kind.Priority():
		case at.Equal(bestAt) && f.Kind.Priority() == best.Kind.Priority() && f.Due.Before(best.Due):
		default:
			continue
		}
		best, bestAt = f, at
	}
	return best, bestAt, true
}

// marketingBlocked says why no marketing email may go out now (code and sentence), or "" when it may.
func (s *State) marketingBlocked() (lifecycle.ReasonCode, string) {
	switch {
	case s.Stage == StageUnsubscribed:
		return lifecycle.ReasonUnsubscribed, "unsubscribed"
	case s.Stage == StageSuppressed:
		return lifecycle.ReasonSuppressed, "address suppressed by the mail provider"
	case s.Paused:
		return lifecycle.ReasonPaused, "the customer paused all mail"
	}
	return "", ""
}

// unwanted says why the customer does not want f (code and sentence), or "".
func (s *State) unwanted(f lifecycle.FollowUp) (lifecycle.ReasonCode, string) {
	if f.Kind.Transactional() {
		return "", ""
	}
	if code, reason := s.marketingBlocked(); code != "" {
		return code, reason
	}
	if len(s.Kinds) > 0 && slices.Contains(lifecycle.MarketingKinds, f.Kind) && !slices.Contains(s.Kinds, f.Kind) {
		return lifecycle.ReasonKindOptedOut, fmt.Sprintf("the customer chose not to receive %s emails", f.Kind)
	}
	if goal := goalOf(f); goal != "" && slices.Contains(s.Goals, goal) {
		return lifecycle.ReasonGoalReached, fmt.Sprintf("goal reached: the customer already said yes to a %s offer for %s", f.Kind, goalSubject(goal))
	}
	if s.Unhappy != "" && f.Kind.Upsell() {
		return lifecycle.ReasonUnhappy, fmt.Sprintf("the customer said %s is not what they hoped for: service contact comes before any %s email", s.purchaseName(s.Unhappy), f.Kind)
	}
	if reason := segmentUnwanted(s.Segment, f); reason != "" {
		return lifecycle.ReasonSegment, reason
	}
	return "", ""
}

// segmentUnwanted says why the strategy of segment leaves out f, or "". Shoppers get
// discount-led sale mail rather than collections and invitations; leavers get only the exit
// question, one win-back and, when their contract ends soon, the retention offer (an offer with
// ContractEndsAt, leaver-retention change). The usage phase (tips, check-ins, the moment of truth)
// and a wished-for restock serve every other segment.
func segmentUnwanted(seg lifecycle.Segment, f lifecycle.FollowUp) string {
	k := f.Kind
	switch seg {
	case lifecycle.SegmentShopper:
		switch k {
		case lifecycle.KindSeason, lifecycle.KindInvitation, lifecycle.KindFeedback, lifecycle.KindExit, lifecycle.KindWinback:
			return fmt.Sprintf("segment shopper: discount-led sale mail only, no %s email", k)
		}
	case lifecycle.SegmentLeaver:
		if k == lifecycle.KindOffer && !f.ContractEndsAt.IsZero() {
			return "" // the retention offer: only a leaver-retention run schedules one
		}
		if k != lifecycle.KindExit && k != lifecycle.KindWinback && !k.Transactional() {
			return fmt.Sprintf("segment leaver: only the exit question and one win-back, no %s email", k)
		}
	default:
		if k == lifecycle.KindExit || k == lifecycle.KindWinback {
			return fmt.Sprintf("segment %s: %s emails are for leavers", segmentName(seg), k)
		}
	}
	return ""
}

func segmentName(seg lifecycle.Segment) string {
	if seg == lifecycle.SegmentNone {
		return "none"
	}
	return string(seg)
}

// purchaseName names the purchase with id for a person, e.g. "Classic trousers".
func (s *State) purchaseName(id string) string {
	for _, p := range s.Purchases {
		if p.ID == id && p.Name != "" {
			return p.Name
		}
	}
	return "purchase " + id
}

// goalOf names what accepting f's offer reaches: the product of a restock, the category of a
// sale, the collection of a season email.
func goalOf(f lifecycle.FollowUp) string {
	switch f.Kind {
	case lifecycle.KindRestock:
		if f.Product != nil {
			return "restock:" + f.Product.Product
		}
	case lifecycle.KindSale:
		return "sale:" + f.Category
	case lifecycle.KindSeason:
		return "season:" + f.Collection
	case lifecycle.KindOffer:
		return "offer:" + f.Metric
	}
	return ""
}

func goalSubject(goal string) string {
	_, subject, _ := strings.Cut(goal, ":")
	if subject == "" {
		return "the newest items"
	}
	return subject
}

// stageAfterConsent is the stage of a customer who may be mailed again.
func (s *State) stageAfterConsent() Stage {
	switch {
	case len(s.Emails) > 0:
		return StageFollowedUp
	case len(s.Purchases) > 0:
		return StagePurchased
	}
	return StageNew
}

func appendBounded[T any](list []T, v T, limit int) []T {
	list = append(list, v)
	if len(list) > limit {
		list = slices.Clone(list[len(list)-limit:])
	}
	return list
}
