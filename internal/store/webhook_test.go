package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

func TestRecordEmailEventOnce(t *testing.T) {
	b := setup(t)
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	open := store.EmailEvent{
		DedupeKey: "k-open", SendKey: "customer/c1/restock/Chino", CustomerID: "c1", Kind: "restock",
		SGMessageID: "m1", Email: "Ann@Example.com", Event: "open", OccurredAt: at, ReceivedAt: at.Add(time.Minute),
	}
	click := open
	click.DedupeKey, click.Event, click.URL, click.OccurredAt = "k-click", "click", "https://shop.example.com/p", at.Add(time.Second)
	other := open
	other.DedupeKey, other.SendKey = "k-other", "customer/c2/sale/x"

	for _, e := range []store.EmailEvent{open, click, other} {
		isNew, err := b.s.RecordEmailEvent(b.ctx, e)
		require.NoError(t, err, "record %s", e.DedupeKey)
		require.True(t, isNew, "first record of %s", e.DedupeKey)
	}
	again := open
	again.Event = "changed" // same key: the first copy stays
	isNew, err := b.s.RecordEmailEvent(b.ctx, again)
	require.NoError(t, err)
	require.False(t, isNew, "second record of the same key")
	require.Equal(t, 3, b.count(t, "email_events"))

	for key, want := range map[string]bool{"k-open": true, "k-nope": false} {
		got, err := b.s.EmailEventRecorded(b.ctx, key)
		require.NoError(t, err, key)
		require.Equal(t, want, got, "EmailEventRecorded(%s)", key)
	}

	got, err := b.s.EmailEvents(b.ctx, "customer/c1/restock/Chino")
	require.NoError(t, err)
	wantOpen := open
	wantOpen.Email = "ann@example.com"
	wantClick := click
	wantClick.Email = "ann@example.com"
	for i := range got {
		got[i].OccurredAt = got[i].OccurredAt.UTC()
		got[i].ReceivedAt = got[i].ReceivedAt.UTC()
	}
	require.Equal(t, []store.EmailEvent{wantOpen, wantClick}, got, "events of one email in order")

	none, err := b.s.EmailEvents(b.ctx, "customer/c9/none")
	require.NoError(t, err)
	require.Empty(t, none)

	_, err = b.s.RecordEmailEvent(b.ctx, store.EmailEvent{Event: "open"})
	require.ErrorContains(t, err, "empty dedupe key")
}

func TestSuppress(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, customersCSV) // c1 is ann@example.com
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)

	c, err := b.s.Customer(b.ctx, "c1")
	require.NoError(t, err)
	require.False(t, c.Suppressed, "c1 before any event")

	require.NoError(t, b.s.Suppress(b.ctx, " ANN@example.COM ", "bounce", at))
	require.NoError(t, b.s.Suppress(b.ctx, "ann@example.com", "spamreport", at.Add(time.Hour)), "suppress again")
	require.Equal(t, 1, b.count(t, "suppressions"))

	var reason string
	var createdAt time.Time
	require.NoError(t, b.db.QueryRow(b.ctx, `SELECT reason, created_at FROM suppressions WHERE email = 'ann@example.com'`).Scan(&reason, &createdAt))
	require.Equal(t, "bounce", reason, "the first reason stays")
	require.True(t, createdAt.Equal(at), "the first time stays, got %s", createdAt)

	for _, email := range []string{"ann@example.com", "Ann@Example.com", "bob@example.com"} {
		got, err := b.s.IsSuppressed(b.ctx, email)
		require.NoError(t, err, email)
		require.Equal(t, email != "bob@example.com", got, "IsSuppressed(%s)", email)
	}

	c, err = b.s.Customer(b.ctx, "c1")
	require.NoError(t, err)
	require.True(t, c.Suppressed, "c1 after Suppress")
	c, err = b.s.Customer(b.ctx, "c2")
	require.NoError(t, err)
	require.False(t, c.Suppressed, "c2 was never suppressed")

	require.ErrorContains(t, b.s.Suppress(b.ctx, "  ", "bounce", at), "empty email")
}

func TestCustomerSuppressedMatchesMixedCaseAddress(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, "id,name,email,locale,timezone,colors,sizes\nc3,Cas,Cas.Jansen@Example.NL,nl,Europe/Amsterdam,,\n")
	require.NoError(t, b.s.Suppress(b.ctx, "cas.jansen@example.nl", "unsubscribe", time.Now()))
	c, err := b.s.Customer(b.ctx, "c3")
	require.NoError(t, err)
	require.True(t, c.Suppressed, "customer stored as %s, suppressed in lower case", c.Email)
}

// What PostgreSQL refuses for its content is told apart from other failures, and a rejected
// event is kept storable whatever it holds.
func TestRejectedEmailEvents(t *testing.T) {
	b := setup(t)
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	good := store.EmailEvent{DedupeKey: "k1", Email: "ann@example.com", Event: "bounce", OccurredAt: at}

	for name, e := range map[string]store.EmailEvent{
		"NUL in reason": func() store.EmailEvent { e := good; e.Reason = "550 \x00 no"; return e }(),
		"NUL in email":  func() store.EmailEvent { e := good; e.Email = "ann\x00@example.com"; return e }(),
		"invalid UTF-8": func() store.EmailEvent { e := good; e.URL = "https://x/\xff"; return e }(),
	} {
		_, err := b.s.RecordEmailEvent(b.ctx, e)
		require.Error(t, err, name)
		code, ok := store.RefusedContent(err)
		require.True(t, ok, "%s: %v is the database refusing content", name, err)
		require.Equal(t, "22021", code, name)
	}
	_, ok := store.RefusedContent(errors.New("dial tcp 127.0.0.1:5432: connection refused"))
	require.False(t, ok, "a connection error is not refused content")

	raw := `{"email":"ann` + "\x00\xff" + `@example.com","event":"bounce"}` + strings.Repeat("x", store.MaxRejectedRawBytes)
	rej := store.RejectedEmailEvent{DedupeKey: "k1", Reason: "database", ErrorCode: "22021", Detail: "NUL \x00", Raw: raw, ReceivedAt: at}
	isNew, err := b.s.RecordRejectedEmailEvent(b.ctx, rej)
	require.NoError(t, err, "a rejected event with NUL and invalid UTF-8 is storable")
	require.True(t, isNew)
	isNew, err = b.s.RecordRejectedEmailEvent(b.ctx, rej)
	require.NoError(t, err)
	require.False(t, isNew, "the same rejected event again")

	var reason, code, detail, stored string
	require.NoError(t, b.db.QueryRow(b.ctx, `SELECT reason, error_code, detail, raw FROM rejected_email_events WHERE dedupe_key = 'k1'`).
		Scan(&reason, &code, &detail, &stored))
	require.Equal(t, []string{"database", "22021", "NUL \uFFFD"}, []string{reason, code, detail})
	require.True(t, strings.HasPrefix(stored, `{"email":"ann`+"\uFFFD\uFFFD"+`@example.com"`), "raw sanitized: %q", stored[:40])
	require.LessOrEqual(t, len(stored), store.MaxRejectedRawBytes, "raw capped")
	require.Equal(t, 0, b.count(t, "email_events"))
}

func TestCustomerExists(t *testing.T) {
	b := setup(t)
	b.importCustomers(t, customersCSV)
	for id, want := range map[string]bool{"c1": true, "c2": true, "nobody": false, "": false} {
		got, err := b.s.CustomerExists(b.ctx, id)
		require.NoError(t, err, id)
		require.Equal(t, want, got, "CustomerExists(%q)", id)
	}
}

func TestStorableText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 10, "plain"},
		{"a\x00b", 10, "a\uFFFDb"},
		{"a\xffb", 10, "a\uFFFDb"},
		{"héllo", 2, "h"}, // never half a rune
		{"héllo", 3, "hé"},
	} {
		require.Equal(t, tt.want, store.StorableText(tt.in, tt.max), "StorableText(%q, %d)", tt.in, tt.max)
	}
}

// TestEmailEventsMarkTheirEmail: a delivered, open or click event sets its email's send_log
// delivered_at, opened_at or clicked_at (what the report counts) to the earliest such event, in
// whatever order the events arrive; a repeated event, another kind of event or an event of mail
// Tailor did not log changes nothing.
func TestEmailEventsMarkTheirEmail(t *testing.T) {
	b := setup(t)
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	key := "customer/c1/sale/s1"
	_, err := b.s.ClaimSend(b.ctx, lifecycle.SendRecord{Key: key, CustomerID: "c1", Kind: lifecycle.KindSale, Subject: "Sale", CreatedAt: at})
	require.NoError(t, err)
	require.NoError(t, b.s.MarkSent(b.ctx, key, "m1", at))

	events := []struct {
		dedupe, event string
		after         time.Duration
	}{
		{"d2", "delivered", 2 * time.Minute},
		{"d1", "delivered", time.Minute}, // arrives later, happened earlier
		{"o1", "open", time.Hour},
		{"o2", "open", 3 * time.Hour},
		{"o1", "open", 30 * time.Minute}, // the same event again: ignored
		{"b1", "bounce", time.Second},
		{"c1", "click", 2 * time.Hour},
	}
	for _, e := range events {
		_, err := b.s.RecordEmailEvent(b.ctx, store.EmailEvent{DedupeKey: e.dedupe, SendKey: key, CustomerID: "c1", Kind: "sale",
			Email: "c1@example.com", Event: e.event, OccurredAt: at.Add(e.after)})
		require.NoError(t, err, "record %s %s", e.event, e.dedupe)
	}
	_, err = b.s.RecordEmailEvent(b.ctx, store.EmailEvent{DedupeKey: "x1", SendKey: "customer/c9/sale/unknown",
		Email: "c9@example.com", Event: "open", OccurredAt: at})
	require.NoError(t, err, "an open of an email not in send_log")

	var delivered, opened, clicked time.Time
	require.NoError(t, b.db.QueryRow(b.ctx, `SELECT delivered_at, opened_at, clicked_at FROM send_log WHERE key = $1`, key).
		Scan(&delivered, &opened, &clicked))
	require.Equal(t, at.Add(time.Minute), delivered.UTC(), "delivered_at of %s: the earliest delivered event", key)
	require.Equal(t, at.Add(time.Hour), opened.UTC(), "opened_at of %s: the earliest open, not the repeat", key)
	require.Equal(t, at.Add(2*time.Hour), clicked.UTC(), "clicked_at of %s", key)
}
