// Package lifecycle holds Tailor's domain: customers, products, preferences, the follow-up kinds
// and the contact policy. It is pure data and pure functions so that workflows, activities and
// adapters can all share it without pulling I/O into deterministic code.
package lifecycle

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is wrapped by adapters when a customer, product or record does not exist.
// Activities turn it into a non-retryable error.
var ErrNotFound = errors.New("not found")

// Locales Tailor has email templates for.
const (
	LocaleEnglish = "en"
	LocaleDutch   = "nl"
)

// ValidLocale reports whether templates exist for locale.
func ValidLocale(locale string) bool { return locale == LocaleEnglish || locale == LocaleDutch }

// Customer is what the shop knows to reach a person.
type Customer struct {
	ID               string
	Name             string
	Email            string
	Locale           string // en or nl
	Timezone         string // IANA name, e.g. Europe/Amsterdam
	MarketingConsent bool
	// Suppressed is set when the mail provider reported the address as bouncing, dropped, spam or
	// unsubscribed: no marketing mail goes to it.
	Suppressed bool
}

// Preferences is what the shop knows a customer likes: stated on import or learned from purchases
// and wishes (bought blue, wanted grey => likes blue and grey).
type Preferences struct {
	Colors     []string `json:"colors"`
	Sizes      []string `json:"sizes"`
	Categories []string `json:"categories"`
}

// Merge returns the union of p and other, each list sorted and without duplicates.
func (p Preferences) Merge(other Preferences) Preferences {
	return Preferences{
		Colors:     union(p.Colors, other.Colors),
		Sizes:      union(p.Sizes, other.Sizes),
		Categories: union(p.Categories, other.Categories),
	}
}

func union(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for _, s := range append(slices.Clone(a), b...) {
		s = Normalize(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// Normalize lower-cases and trims a colour, size or category so "Grey " and "grey" match.
func Normalize(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Product is one SKU: a style (Product) in one colour and size.
type Product struct {
	SKU         string   `json:"sku"`
	Product     string   `json:"product"` // the style shared by all colours and sizes
	Name        string   `json:"name"`
	Category    string   `json:"category"`
	Color       string   `json:"color"`
	Size        string   `json:"size"`
	PriceCents  int64    `json:"price_cents"`
	Stock       int      `json:"stock"`
	Collections []string `json:"collections"`
	// ImageURL is the product's picture and URL its page in the shop, both absolute http(s) URLs
	// (CheckWebURL) or empty: the email's product card shows the picture and links the page.
	ImageURL string `json:"image_url,omitempty"`
	URL      string `json:"url,omitempty"`
}

// Offer is a product as shown in an email, with the price the customer pays.
type Offer struct {
	Product
	OfferCents int64 `json:"offer_cents"` // price after discount; equals PriceCents without one
}

var priceRE = regexp.MustCompile(`^([0-9]{1,13})(?:\.([0-9]{1,2}))?$`)

// ParsePrice turns a price written like "79.95", "80" or "79.5" into cents.
func ParsePrice(s string) (int64, bool) {
	m := priceRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	units, _ := strconv.ParseInt(m[1], 10, 64)
	frac := m[2]
	for len(frac) < 2 {
		frac += "0"
	}
	cents, _ := strconv.ParseInt(frac, 10, 64)
	return units*100 + cents, true
}

// Discounted returns price reduced by pct percent, rounded to whole cents.
func Discounted(priceCents int64, pct int) int64 {
	return (priceCents*int64(100-pct) + 50) / 100
}

// Kind names a follow-up; it is part of every idempotency key and every template name.
type Kind string

const (
	KindRestock Kind = "restock"
	KindSale    Kind = "sale"
	KindSeason  Kind = "season"
)

// KindConfirmation is transactional: the answer to an accepted offer. It bypasses min_gap, caps
// and quiet hours, and needs no marketing consent.
const KindConfirmation Kind = "confirmation"

// Kinds of the usage phase, the moment of truth and the segment strategies.
const (
	KindOffer      Kind = "offer"      // a bundle offer at the moment of truth (usage at the threshold)
	KindCare       Kind = "care"       // care or usage tips a configured time after a purchase
	KindCheckin    Kind = "checkin"    // "is it what you hoped for?" with one-click answers
	KindInvitation Kind = "invitation" // ambassadors: early access, no discount needed
	KindFeedback   Kind = "feedback"   // loyal customers: a short feedback ask
	KindExit       Kind = "exit"       // leavers: why are you leaving?
	KindWinback    Kind = "winback"    // leavers: one win-back after a quiet period
)

// KindService is transactional: after an unhappy check-in answer, the service desk gets in touch
// instead of an upsell.
const KindService Kind = "service"

// Transactional reports whether k answers something the customer did, rather than marketing.
func (k Kind) Transactional() bool { return k == KindConfirmation || k == KindService }

// Timely reports whether k belongs to a moment that passes (the moment of truth): it skips min_gap
// and the frequency cap, but keeps consent and quiet hours.
func (k Kind) Timely() bool { return k == KindOffer }

// Upsell reports whether k sells something; an unhappy customer gets service contact instead.
func (k Kind) Upsell() bool {
	switch k {
	case KindRestock, KindSale, KindSeason, KindOffer, KindInvitation, KindWinback:
		return true
	}
	return false
}

// MarketingKinds are the follow-up kinds a customer can choose on the preference page.
var MarketingKinds = []Kind{KindRestock, KindSale, KindSeason}

// AllKinds lists every follow-up kind; each has templates in every locale.
var AllKinds = []Kind{KindConfirmation, KindService, KindRestock, KindSale, KindSeason,
	KindOffer, KindCare, KindCheckin, KindInvitation, KindFeedback, KindExit, KindWinback}

// Priority orders follow-ups that are due together: a confirmation or service contact the customer
// waits for first, then a moment-of-truth offer or a wished-for item back in stock, then a
// time-limited sale, a seasonal selection, and the segment and usage-phase emails last.
func (k Kind) Priority() int {
	switch k {
	case KindConfirmation, KindService:
		return 0
	case KindOffer, KindRestock:
		return 1
	case KindSale:
		return 2
	case KindSeason:
		return 3
	default:
		return 4
	}
}

// Wish is a product the customer wanted but could not buy, e.g. the same trousers in grey.
type Wish struct {
	ID        string    `json:"id"` // the purchase ID that recorded it
	Product   string    `json:"product"`
	Name      string    `json:"name"`
	Color     string    `json:"color"`
	Size      string    `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

// MatchesRestock reports whether a restocked SKU fulfils the wish within window.
func (w Wish) MatchesRestock(p Product, at time.Time, window time.Duration) bool {
	return p.Product == w.Product &&
		Normalize(p.Color) == Normalize(w.Color) &&
		Normalize(p.Size) == Normalize(w.Size) &&
		!at.After(w.CreatedAt.Add(window))
}

// Policy is the contact policy from LIFECYCLE_CONFIG.
type Policy struct {
	MinGap         time.Duration `json:"min_gap"`         // no two follow-ups closer than this
	RestockWindow  time.Duration `json:"restock_window"`  // a wish expires this long after it was made
	SeasonFallback time.Duration `json:"season_fallback"` // send a seasonal selection this long after a purchase if no season campaign came
	// SeasonFallbackCategories limits the season fallback to purchases in these (normalized)
	// categories; empty: every purchase. A data bundle is no reason for a seasonal collection.
	SeasonFallbackCategories []string      `json:"season_fallback_categories,omitempty"`
	QuietHours               QuietHours    `json:"quiet_hours"`    // no marketing email in this daily window, customer's local time
	MaxPerWindow             int           `json:"max_per_window"` // at most this many marketing emails per CapWindow; 0: no cap
	CapWindow                time.Duration `json:"cap_window"`     // the window of MaxPerWindow
	// AttributionWindow: a purchase this long after a marketing email is credited to it (the store
	// attributes when it records the purchase); the workflow does not read it.
	AttributionWindow time.Duration `json:"attribution_window,omitempty"`
	// HandoffRemindAfter: a hand-off to the shop (an accepted offer, an unhappy check-in) not done
	// this long after it opened reminds the shop, and once more after as long again. Policies
	// recorded before it existed have 0, which the workflow reads as DefaultHandoffRemindAfter.
	HandoffRemindAfter time.Duration `json:"handoff_remind_after,omitempty"`

	// Usage is the moment of truth: threshold, behaviours and offers. Histories recorded before it
	// existed decode it as the zero value, which the workflow reads as "not configured".
	Usage UsagePolicy `json:"usage,omitzero"`
	// Segments are the value-segment thresholds and the leaver's win-back delay.
	Segments SegmentPolicy `json:"segments,omitzero"`
	// Care is the usage phase after a purchase, per product category; empty: none.
	Care []CarePlan `json:"care,omitempty"`
	// Vocabulary is the shop's words in each locale and the categories bought again. Only the
	// activities and the pages read it; the workflow does not, so it stays out of its histories.
	Vocabulary Vocabulary `json:"-"`
	// Holdouts is the share of each kind's follow-ups held out (0 to 100; absent: none), where
	// no campaign holdout applies (HoldoutFor). Only SendFollowUp reads it, so like Vocabulary it
	// stays out of the workflows' histories.
	Holdouts map[Kind]int `json:"-"`
}

// CarePlan is the usage phase of one category: tips a while after the purchase, then a check-in.
type CarePlan struct {
	Category     string            `json:"category"`
	TipsAfter    time.Duration     `json:"tips_after"`     // 0: no tips email
	CheckinAfter time.Duration     `json:"checkin_after"`  // 0: no check-in
	Tips         map[string]string `json:"tips,omitempty"` // locale -> care or usage tips in that language
}

// CarePlanFor returns the plan for category, if one is configured.
func (p Policy) CarePlanFor(category string) (CarePlan, bool) {
	for _, c := range p.Care {
		if Normalize(c.Category) == Normalize(category) {
			return c, true
		}
	}
	return CarePlan{}, false
}

// DefaultAttributionWindow is the attribution window of a policy that names none: Klaviyo's
// default last-touch window.
const DefaultAttributionWindow = 5 * 24 * time.Hour

// DefaultHandoffRemindAfter is how long a hand-off may stay open before the shop is reminded.
const DefaultHandoffRemindAfter = 48 * time.Hour

// RemindAfter is HandoffRemindAfter, or its default when the policy has none.
func (p Policy) RemindAfter() time.Duration {
	if p.HandoffRemindAfter <= 0 {
		return DefaultHandoffRemindAfter
	}
	return p.HandoffRemindAfter
}

// DefaultPolicy is used for every setting LIFECYCLE_CONFIG leaves out.
func DefaultPolicy() Policy {
	return Policy{
		MinGap:             7 * 24 * time.Hour,
		RestockWindow:      60 * 24 * time.Hour,
		SeasonFallback:     90 * 24 * time.Hour,
		CapWindow:          30 * 24 * time.Hour,
		AttributionWindow:  DefaultAttributionWindow,
		HandoffRemindAfter: DefaultHandoffRemindAfter,
		Usage:              DefaultUsagePolicy(),
		Segments:           DefaultSegmentPolicy(),
	}
}

// SendKey is the idempotency key of one follow-up email: stable across retries, worker crashes and
// continue-as-new, so the send log lets each follow-up out exactly once.
//
// The key is customer/<escaped id>/<kind>/<subject>. The customer id is escaped (KeyEscape) so it
// holds no "/", and every kind is a fixed word without "/", so a key splits back into exactly one
// (customer, kind, subject) however many "/" the subject holds: two customers never share a key.
// Ids without "%" and "/" (every id ValidateID accepts, bar "%") are not changed by the escape,
// so their keys are byte for byte those of recorded histories and running workflows.
func SendKey(customerID string, kind Kind, subject string) string {
	return SendKeyPrefix(customerID) + string(kind) + "/" + subject
}

// SendKeyPrefix is the start every SendKey of customerID shares: customer/<escaped id>/.
func SendKeyPrefix(customerID string) string {
	return "customer/" + KeyEscape(customerID) + "/"
}

// KeyEscape escapes "%" as %25 and "/" as %2F, so the result holds no "/" and unescapes to one id.
// The SQL that rebuilds keys (internal/store) does the same with replace().
func KeyEscape(id string) string {
	if !strings.ContainsAny(id, "%/") {
		return id
	}
	return strings.NewReplacer("%", "%25", "/", "%2F").Replace(id)
}

// ErrSendKeyConflict is wrapped when a send key is already in the send log for another customer
// or kind: answering with that row would report an email as sent that never went out.
var ErrSendKeyConflict = errors.New("send key belongs to another customer or kind")

// Purchase is one bought SKU, optionally with the colour the customer wanted instead.
type Purchase struct {
	ID          string    `json:"id"` // chosen by the caller; re-recording the same ID changes nothing
	CustomerID  string    `json:"customer_id"`
	SKU         string    `json:"sku"`
	WantedColor string    `json:"wanted_color,omitempty"`
	At          time.Time `json:"at"`
	// PriceCents is what the customer paid, when the order said (nil: the product's price counts).
	PriceCents *int64 `json:"price_cents,omitempty"`
	// WantedSize is the size wanted but not available, stored with the purchase; only a wanted
	// colour opens a wish so far.
	WantedSize string `json:"wanted_size,omitempty"`
}

// ProductQuery selects in-stock products for an email. Empty fields do not filter.
type ProductQuery struct {
	Category   string
	Collection string
	Sizes      []string // any of
	Colors     []string // any of
	Limit      int      // 0 means 6
	// NotBoughtBy leaves out the SKUs this customer bought, except in the Repeat categories
	// (bought again, like socks or data bundles): nobody wants to be offered what they have.
	NotBoughtBy string
	Repeat      []string
}

// Email is one rendered message, ready for a mail adapter.
type Email struct {
	Key        string `json:"key"` // the send-log idempotency key, carried to the provider as custom_args
	CustomerID string `json:"customer_id"`
	Kind       Kind   `json:"kind"`
	ToEmail    string `json:"to_email"`
	ToName     string `json:"to_name"`
	Subject    string `json:"subject"`
	HTML       string `json:"html"`
	Text       string `json:"text"`
	// Headers are extra mail headers, e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058).
	Headers map[string]string `json:"headers,omitempty"`
	// ReplyTo is the signed reply address of an email that asks a question (exit, feedback,
	// check-in) when REPLY_DOMAIN is set; "" leaves replies to the sender's address.
	ReplyTo string `json:"reply_to,omitempty"`
}

// SendError is returned by a mail adapter when the provider answered without accepting the email.
type SendError struct {
	Status     int           // HTTP status from the provider
	Message    string        // the provider's own explanation
	Permanent  bool          // retrying this email cannot help (bad request, too large)
	RetryAfter time.Duration // when the provider said when to come back (429 X-RateLimit-Reset)
	// AuthRefused: the provider refused the API key itself (401, 403). No email can go out until
	// an operator fixes the key, and none is at fault: sending pauses, the email waits.
	AuthRefused bool
}

func (e *SendError) Error() string {
	return "mail provider answered " + strconv.Itoa(e.Status) + ": " + e.Message
}

// SendingPause is a pause of all sending because the mail provider refused the API key: the
// worker records it in PostgreSQL when the first refusal comes and removes it when an email is
// accepted again.
type SendingPause struct {
	Since         time.Time `json:"since"`   // the first refusal
	Status        int       `json:"status"`  // the provider's HTTP status of the last refusal, 401 or 403
	Message       string    `json:"message"` // the provider's own explanation of the last refusal
	LastRefusedAt time.Time `json:"last_refused_at"`
}

// String says what is paused, since when and why, for logs, health checks and `starter status`.
func (p SendingPause) String() string {
	return "sending paused since " + p.Since.UTC().Format(time.RFC3339) + ": the mail provider refused the API key (" +
		strconv.Itoa(p.Status) + ": " + p.Message + "); fix SENDGRID_API_KEY, held follow-ups go out once the provider accepts it"
}

// SendStatus is the state of one row in the send log.
type SendStatus string

const (
	SendClaimed SendStatus = "claimed" // key reserved; the send may or may not have reached the provider
	SendSent    SendStatus = "sent"    // the provider accepted it
	SendFailed  SendStatus = "failed"  // the provider refused it for good
)

// SendRecord is one row of the send log.
type SendRecord struct {
	Key        string
	CustomerID string
	Kind       Kind
	Subject    string
	Status     SendStatus
	MessageID  string
	Error      string
	CreatedAt  time.Time
	SentAt     time.Time // zero until sent
	Behaviour  Behaviour // offer: the behaviour it was chosen for; "" otherwise
}

// FollowUp is one queued email. Key is its idempotency key (SendKey), stable across
// continue-as-new, retries and duplicate events.
type FollowUp struct {
	Key       string    `json:"key"`
	Kind      Kind      `json:"kind"`
	Due       time.Time `json:"due"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: never

	WishID      string   `json:"wish_id,omitempty"`      // restock
	Product     *Product `json:"product,omitempty"`      // restock: the SKU back in stock
	SaleID      string   `json:"sale_id,omitempty"`      // sale
	Category    string   `json:"category,omitempty"`     // sale
	DiscountPct int      `json:"discount_pct,omitempty"` // sale
	Collection  string   `json:"collection,omitempty"`   // season; empty: the newest items
	Fallback    bool     `json:"fallback,omitempty"`     // season fallback timer after a purchase
	Offer       string   `json:"offer,omitempty"`        // confirmation: the subject of the accepted offer email

	// The usage phase and the segments.
	BundleOffer *BundleOffer `json:"bundle_offer,omitempty"` // offer: what is offered
	Metric      string       `json:"metric,omitempty"`       // offer: the metered product, e.g. data_mb
	UsedPct     int          `json:"used_pct,omitempty"`     // offer: how much of the bundle was used
	Behaviour   Behaviour    `json:"behaviour,omitempty"`    // offer: the behaviour it was chosen for (the report groups by it)
	// ContractEndsAt, set on an offer, makes it a retention offer: to a leaver whose contract ends
	// then, within contract_end_within. The leaver strategy lets it through; the email says when
	// the contract ends instead of how much was used.
	ContractEndsAt time.Time `json:"contract_ends_at,omitzero"`
	PurchaseID     string    `json:"purchase_id,omitempty"`  // care, checkin, service: the purchase it is about (Category holds its category)
	ProductName    string    `json:"product_name,omitempty"` // care, checkin, service: its name
	Segment        Segment   `json:"segment,omitempty"`      // the segment when scheduled: the wording adapts
	// Holdout is the campaign's holdout (starter sale --holdout); nil: the policy's for the kind.
	Holdout *Holdout `json:"holdout,omitempty"`
}

// FollowUpOutcome is what became of a follow-up that was not emailed, for campaign summaries.
type FollowUpOutcome struct {
	Key        string     `json:"key"`
	CustomerID string     `json:"customer_id"`
	Kind       Kind       `json:"kind"`
	Outcome    string     `json:"outcome"` // deferred, skipped, dropped or held_out
	Reason     ReasonCode `json:"reason"`  // why, e.g. min_gap, goal_reached, no_consent
	At         time.Time  `json:"at"`
	// Behaviour is an offer's behaviour at the moment of truth (held-out offers: the report
	// groups by it); "" otherwise.
	Behaviour Behaviour `json:"behaviour,omitempty"`
}

// OutcomeHeldOut is the outcome of a follow-up held out: decided like an email, not sent. It is
// final: no later outcome replaces it.
const OutcomeHeldOut = "held_out"

// Campaign kinds are the follow-ups a campaign triggers; their outcomes are recorded.
func (k Kind) Campaign() bool { return k == KindRestock || k == KindSale || k == KindSeason }

// SeasonFallbackAfter reports whether a purchase in category starts a season fallback.
func (p Policy) SeasonFallbackAfter(category string) bool {
	return len(p.SeasonFallbackCategories) == 0 || slices.Contains(p.SeasonFallbackCategories, Normalize(category))
}
