package sendgridwebhook

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

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

// unixSeconds reads the event's timestamp; SendGrid sends an integer, a float is tolerated.
func (e event) unixSeconds() (int64, error) {
	if e.Timestamp == "" {
		return 0, fmt.Errorf("%s event has no timestamp", e.Event)
	}
	if n, err := e.Timestamp.Int64(); err == nil {
		return n, nil
	}
	f, err := e.Timestamp.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s event timestamp %q is not unix seconds", e.Event, e.Timestamp)
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
	h := sha256.New()
	for _, field := range []string{sgMessageID, eventName, strconv.FormatInt(unixSeconds, 10), store.NormalizeEmail(email), url} {
		h.Write(binary.AppendUvarint(nil, uint64(len(field))))
		h.Write([]byte(field))
	}
	return hex.EncodeToString(h.Sum(nil))
}
