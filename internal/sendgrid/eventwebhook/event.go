package eventwebhook

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tailorhq/tailor/internal/store"
)

// event is one element of the JSON array SendGrid posts. SendGrid flattens an email's custom_args
// into the event, so the idempotency_key, customer_id and kind the sendgrid adapter puts on every
// email arrive as top-level fields.
type event struct {
	Email       string      `json:"email"`
	Timestamp   json.Number `json:"timestamp"` // unix seconds
	Event       string      `json:"event"`
	SGEventID   string      `json:"sg_event_id"` // new on every delivery attempt: not used for dedupe
	SGMessageID string      `json:"sg_message_id"`
	URL         string      `json:"url"`
	Reason      string      `json:"reason"`
	Type        string      `json:"type"` // bounce: "bounce" or "blocked"

	IdempotencyKey string `json:"idempotency_key"`
	CustomerID     string `json:"customer_id"`
	Kind           string `json:"kind"`
}

// maxUnixSeconds is 9999-12-31T23:59:59Z, the last second PostgreSQL's timestamptz and Go's
// time.Unix agree on without overflow.
const maxUnixSeconds = 253402300799

// unixSeconds reads the event's timestamp; SendGrid sends an integer, a float is tolerated. It must
// lie between 1970 and the year 9999.
func (e event) unixSeconds() (int64, error) {
	if e.Timestamp == "" {
		return 0, errors.New("no timestamp")
	}
	if n, err := e.Timestamp.Int64(); err == nil {
		if n < 0 || n > maxUnixSeconds {
			return 0, fmt.Errorf("timestamp %s is not between 1970 and 9999", e.Timestamp)
		}
		return n, nil
	}
	f, err := e.Timestamp.Float64()
	if err != nil || math.IsNaN(f) || f < 0 || f > maxUnixSeconds {
		return 0, fmt.Errorf("timestamp %.40q is not unix seconds between 1970 and 9999", e.Timestamp)
	}
	return int64(f), nil
}

// suppresses reports whether the event means Tailor must stop mailing the address. A bounce of type
// "blocked" is a temporary refusal by the receiving server (SendGrid keeps it off its own bounce
// list too), so it is only recorded.
func (e event) suppresses() bool {
	switch e.Event {
	case "bounce":
		return e.Type != "blocked"
	case "dropped", "spamreport", "unsubscribe", "group_unsubscribe":
		return true
	}
	return false
}

// record turns the event into the row the EventStore keeps.
func (e event) record(unix int64, receivedAt time.Time) store.EmailEvent {
	return store.EmailEvent{
		DedupeKey:   DedupeKey(e.SGMessageID, e.Event, unix, e.Email, e.URL),
		SendKey:     e.IdempotencyKey,
		CustomerID:  e.CustomerID,
		Kind:        e.Kind,
		SGMessageID: e.SGMessageID,
		Email:       store.NormalizeEmail(e.Email),
		Event:       e.Event,
		OccurredAt:  time.Unix(unix, 0).UTC(),
		URL:         e.URL,
		Reason:      e.Reason,
		BounceType:  e.Type,
		ReceivedAt:  receivedAt,
	}
}

// DedupeKey identifies one event across SendGrid's redeliveries: hex SHA-256 over sgMessageID,
// event, timestamp, the normalized email and url, each length-prefixed so that no two different
// tuples hash the same input. sg_event_id is left out on purpose: SendGrid gives a retried event a
// new one.
func DedupeKey(sgMessageID, eventName string, unixSeconds int64, email, url string) string {
	return contentKey(sgMessageID, eventName, strconv.FormatInt(unixSeconds, 10), email, url)
}

// contentKey is DedupeKey with the timestamp as text.
func contentKey(sgMessageID, eventName, timestamp, email, url string) string {
	h := sha256.New()
	for _, field := range []string{sgMessageID, eventName, timestamp, store.NormalizeEmail(email), url} {
		h.Write(binary.AppendUvarint(nil, uint64(len(field))))
		h.Write([]byte(field))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Reasons an event is rejected: recorded in rejected_email_events, counted in
// tailor_webhook_events_rejected_total{reason} and answered 2xx, since a retry carries the same bytes.
const (
	RejectUndecodable = "undecodable"  // not a JSON object, or no usable timestamp
	RejectInvalidText = "invalid_text" // a field holds a NUL byte or invalid UTF-8
	RejectTooLong     = "too_long"     // a field is longer than its cap
	RejectDatabase    = "database"     // PostgreSQL refused the content (store.RefusedContent)
)

// Length caps in bytes. They are far above anything SendGrid or Tailor's own custom args produce
// and keep one event's row small.
const (
	maxEmailBytes  = 320 // 64 local part + @ + 255 domain
	maxURLBytes    = 8 << 10
	maxReasonBytes = 4 << 10
	maxIDBytes     = 1 << 10 // sg_message_id, idempotency_key, customer_id
	maxNameBytes   = 64      // event, type, kind
)

// rejection is why an event is not applied.
type rejection struct {
	key    string // DedupeKey (contentKey when the timestamp is unusable), "raw:" + SHA-256 of the JSON when not an object
	reason string // one of the Reject* constants
	detail string // for a person; names the field, never its content
}

// parseEvent decodes one element of a delivery and checks it. An accepted event has only valid
// UTF-8 without NUL bytes in every field Tailor stores, each within its cap, and a timestamp
// PostgreSQL can hold. Reason is free text from the receiving mail server, so it is made storable
// (NULs and invalid UTF-8 replaced, cut at its cap) rather than rejected: the suppression it
// comes with matters more than its exact text.
func parseEvent(msg json.RawMessage) (event, int64, *rejection) {
	var ev event
	if err := json.Unmarshal(msg, &ev); err != nil {
		return event{}, 0, &rejection{key: rawKey(msg), reason: RejectUndecodable, detail: "not a JSON event object: " + err.Error()}
	}
	unix, err := ev.unixSeconds()
	if err != nil {
		// Keyed on its content with the timestamp as written, so a redelivery is rejected once.
		key := contentKey(ev.SGMessageID, ev.Event, string(ev.Timestamp), ev.Email, ev.URL)
		return event{}, 0, &rejection{key: key, reason: RejectUndecodable, detail: fmt.Sprintf("%.64q event: %v", ev.Event, err)}
	}
	key := func() string { return DedupeKey(ev.SGMessageID, ev.Event, unix, ev.Email, ev.URL) }
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"email", ev.Email, maxEmailBytes},
		{"event", ev.Event, maxNameBytes},
		{"sg_message_id", ev.SGMessageID, maxIDBytes},
		{"url", ev.URL, maxURLBytes},
		{"type", ev.Type, maxNameBytes},
		{"idempotency_key", ev.IdempotencyKey, maxIDBytes},
		{"customer_id", ev.CustomerID, maxIDBytes},
		{"kind", ev.Kind, maxNameBytes},
	} {
		switch {
		case strings.IndexByte(f.value, 0) >= 0:
			return event{}, 0, &rejection{key: key(), reason: RejectInvalidText, detail: f.name + " holds a NUL byte"}
		case !utf8.ValidString(f.value):
			return event{}, 0, &rejection{key: key(), reason: RejectInvalidText, detail: f.name + " is not valid UTF-8"}
		case len(f.value) > f.max:
			return event{}, 0, &rejection{key: key(), reason: RejectTooLong, detail: fmt.Sprintf("%s is %d bytes, more than %d", f.name, len(f.value), f.max)}
		}
	}
	ev.Reason = store.StorableText(ev.Reason, maxReasonBytes)
	return ev, unix, nil
}

// rawKey identifies an event that could not be read by its bytes.
func rawKey(msg []byte) string {
	sum := sha256.Sum256(msg)
	return "raw:" + hex.EncodeToString(sum[:])
}

// parseDelivery splits a delivery's body into its events.
func parseDelivery(body []byte) ([]json.RawMessage, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}
