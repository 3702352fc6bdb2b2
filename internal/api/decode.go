package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// event is one checked event of a batch, ready to apply.
type event struct {
	id    string
	typ   string
	value any // Order, Stock, Usage, Customer or Consent
}

// fingerprint identifies what the event says, whatever the JSON's spacing, key order or time
// zone: the same id with the same fingerprint is a retry, with another it is a different event.
func (e event) fingerprint() string {
	b, _ := json.Marshal(e.value) // the event types always marshal
	sum := sha256.Sum256(append([]byte(e.typ+"\n"), b...))
	return hex.EncodeToString(sum[:])
}

// customerID is the customer the event is about, "" for a stock event: the ledger keeps it so that
// forgetting the customer deletes the event's record too.
func (e event) customerID() string {
	switch v := e.value.(type) {
	case Order:
		return v.CustomerID
	case Usage:
		return v.CustomerID
	case Customer:
		return v.CustomerID
	case Consent:
		return v.CustomerID
	}
	return ""
}

// eventTypes lists the types, sorted, for messages.
func eventTypes() []string {
	types := make([]string, 0, len(eventFields))
	for t := range eventFields {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// parseEvent checks raw, the index'th event of a batch, and returns it or its problems.
func parseEvent(index int, raw json.RawMessage) (event, []Problem) {
	path := fmt.Sprintf("events[%d]", index)
	// encoding/json would turn invalid bytes into U+FFFD silently: refuse them instead.
	if !utf8.Valid(raw) {
		return event{}, []Problem{{Path: path, Problem: "is not valid UTF-8"}}
	}
	var head struct {
		Type any `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return event{}, []Problem{{Path: path, Problem: "must be an object"}}
	}
	typ, _ := head.Type.(string)
	fields, ok := eventFields[typ]
	if !ok {
		problem := "required, one of " + strings.Join(eventTypes(), ", ")
		if head.Type != nil {
			problem = fmt.Sprintf("%s: unknown event type, use one of %s", short(fmt.Sprint(head.Type)), strings.Join(eventTypes(), ", "))
		}
		return event{}, []Problem{{Path: path + ".type", Problem: problem}}
	}
	var problems []Problem
	v := read(path, raw, append(append([]field{}, commonFields...), fields...), &problems)
	if len(problems) > 0 {
		return event{}, problems
	}
	e := event{id: v.str("id"), typ: typ}
	switch typ {
	case TypeOrder:
		o := Order{EventID: e.id, OrderID: v.str("order_id"), CustomerID: v.str("customer_id"), OrderedAt: v.time("ordered_at")}
		for _, l := range v["lines"].([]values) {
			line := OrderLine{SKU: l.str("sku"), WantedColor: l.str("wanted_color"), WantedSize: l.str("wanted_size")}
			if p, ok := l["price_cents"].(int64); ok {
				line.PriceCents = &p
			}
			o.Lines = append(o.Lines, line)
		}
		// The purchase ids must pass the id rules too: a 128-byte order id leaves no room.
		if err := lifecycle.ValidateID("order_id", o.PurchaseID(len(o.Lines)-1)); err != nil {
			problems = append(problems, Problem{Path: path + ".order_id",
				Problem: fmt.Sprintf("is too long: its purchase ids (%s-N) must be at most %d bytes", "order_id", lifecycle.MaxIDLen)})
		}
		e.value = o
	case TypeStock:
		e.value = Stock{EventID: e.id, SKU: v.str("sku"), Stock: int(v["stock"].(int64)), At: v.time("at"),
			ImageURL: v.optionalStr("image_url"), URL: v.optionalStr("url")}
	case TypeUsage:
		u := Usage{EventID: e.id, CustomerID: v.str("customer_id"), Metric: lifecycle.Normalize(v.str("metric")),
			Used: v["used"].(float64), Limit: v["limit"].(float64), At: v.time("at"), ContractEnds: v.time("contract_ends")}
		e.value = u
	case TypeCustomer:
		c := Customer{EventID: e.id, CustomerID: v.str("customer_id"), Name: strings.TrimSpace(v.str("name")), Email: v.str("email"),
			Locale: v.str("locale"), Timezone: v.str("timezone"),
			Colors: v.strs("colors"), Sizes: v.strs("sizes"), Categories: v.strs("categories")}
		if b, ok := v["marketing_consent"].(bool); ok {
			c.MarketingConsent = &b
		}
		e.value = c
	case TypeConsent:
		c := Consent{EventID: e.id, CustomerID: v.str("customer_id"), Granted: v["granted"].(bool), Source: v.str("source"), At: v.time("at")}
		if c.Source == "" {
			c.Source = DefaultConsentSource
		}
		e.value = c
	}
	if len(problems) > 0 {
		return event{}, problems
	}
	return e, nil
}

// DefaultConsentSource is a consent event's source when it names none.
const DefaultConsentSource = "api"

func (v values) str(name string) string {
	s, _ := v[name].(string)
	return s
}

// optionalStr is the string field name, nil when the event left it out.
func (v values) optionalStr(name string) *string {
	if s, ok := v[name].(string); ok {
		return &s
	}
	return nil
}

func (v values) time(name string) time.Time {
	t, _ := v[name].(time.Time)
	return t
}

func (v values) strs(name string) []string {
	s, _ := v[name].([]string)
	return s
}
