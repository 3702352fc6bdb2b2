package eventwebhook

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseDelivery feeds delivery bodies to the parsing and checks of the webhook: nothing
// panics, every rejection is keyed and has a known reason, and every accepted event is storable:
// valid UTF-8 without NUL bytes in each field, each within its cap, a timestamp PostgreSQL holds.
// The seeds run under plain `go test`; crashers found by -fuzz land in testdata/fuzz.
func FuzzParseDelivery(f *testing.F) {
	for _, seed := range []string{
		`[{"email":"ann@example.com","timestamp":1774747680,"event":"bounce","sg_message_id":"m1","customer_id":"c1","kind":"restock","idempotency_key":"customer/c1/restock/Chino","type":"bounce","reason":"550 no such user"}]`,
		`[{"email":"ann@example.com","timestamp":1774747680,"event":"click","url":"https://shop.example.com/p"},{"event":"open","timestamp":1774747680.5}]`,
		`[{"email":"ann\u0000@example.com","timestamp":1774747680,"event":"bounce"}]`,
		`[{"email":"ann@example.com","timestamp":1774747680,"event":"bounce","reason":"550 \u0000 \ud800 no"}]`,
		`[{"email":"ann@example.com","timestamp":1e18,"event":"bounce"}]`,
		`[{"email":"ann@example.com","timestamp":-1,"event":"bounce"}]`,
		`[{"email":"ann@example.com","timestamp":"1774747680","event":"open"}]`,
		`[{"email":"ann@example.com","timestamp":1774747680,"event":"open","customer_id":"` + strings.Repeat("x", maxIDBytes+1) + `"}]`,
		"[{\"email\":\"ann\xff@example.com\",\"timestamp\":1774747680,\"event\":\"open\"}]",
		`[null, 1, "x", [], {}]`,
		`{"event":"open"}`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	known := map[string]bool{RejectUndecodable: true, RejectInvalidText: true, RejectTooLong: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := parseDelivery(body)
		if err != nil {
			return
		}
		for i, msg := range events {
			ev, unix, rej := parseEvent(msg)
			if rej != nil {
				if rej.key == "" || !known[rej.reason] {
					t.Fatalf("event %d %q: rejection %+v has no key or an unknown reason", i, msg, rej)
				}
				if _, _, again := parseEvent(msg); again == nil || again.key != rej.key {
					t.Fatalf("event %d %q: rejected with key %s, then %+v", i, msg, rej.key, again)
				}
				continue
			}
			if unix < 0 || unix > maxUnixSeconds {
				t.Fatalf("event %d %q: accepted with timestamp %d", i, msg, unix)
			}
			for _, field := range []struct {
				name, value string
				max         int
			}{
				{"email", ev.Email, maxEmailBytes},
				{"event", ev.Event, maxNameBytes},
				{"sg_message_id", ev.SGMessageID, maxIDBytes},
				{"url", ev.URL, maxURLBytes},
				{"reason", ev.Reason, maxReasonBytes},
				{"type", ev.Type, maxNameBytes},
				{"idempotency_key", ev.IdempotencyKey, maxIDBytes},
				{"customer_id", ev.CustomerID, maxIDBytes},
				{"kind", ev.Kind, maxNameBytes},
			} {
				if !utf8.ValidString(field.value) || strings.IndexByte(field.value, 0) >= 0 || len(field.value) > field.max {
					t.Fatalf("event %d %q: accepted %s %q (%d bytes, cap %d)", i, msg, field.name, field.value, len(field.value), field.max)
				}
			}
			rec := ev.record(unix, time.Unix(0, 0))
			if rec.DedupeKey == "" || strings.IndexByte(rec.Email, 0) >= 0 || !utf8.ValidString(rec.Email) {
				t.Fatalf("event %d %q: record %+v", i, msg, rec)
			}
		}
	})
}
