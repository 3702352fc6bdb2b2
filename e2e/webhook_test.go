package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// SendGrid's Event Webhook end to end: deliveries signed as SendGrid signs them, refused when the
// signature, the key or the time is wrong, and a bounce delivered twice suppressing once.

func TestSendGridWebhookSuppressesAndRecords(t *testing.T) {
	s := newStack(t, true, withHTTP(), withWebhook(), withPolicy(e2eStopPolicy))
	ctx := context.Background()
	s.setupShop()
	s.startWorker()

	restock := s.restockEmail()
	require.NotEmpty(t, restock.MessageID, "the sink gives every email an X-Message-Id")
	seasonDue := s.awaitSeasonPending()
	now := time.Now().Unix()

	// Deliveries SendGrid did not sign, or signed long ago, get 401 and record nothing. They
	// concern Els, so that anything they did would show.
	elsBatch := mustJSON(t, []map[string]any{{
		"email": "els@example.com", "timestamp": now, "event": "spamreport", "sg_event_id": "els-1",
		"sg_message_id": "els-message.filter-1", "idempotency_key": "customer/els/sale/x", "customer_id": "els", "kind": "sale",
	}})
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ts := strconv.FormatInt(now, 10)
	stale := strconv.FormatInt(now-3600, 10)
	tampered := append([]byte(nil), elsBatch...)
	tampered[len(tampered)-3] ^= 0x01 // a digit of the last field, the timestamp: still JSON, no longer signed
	for name, d := range map[string]delivery{
		"signed with another key":    {timestamp: ts, signature: signWebhook(t, otherKey, ts, elsBatch), body: elsBatch},
		"signature of another body":  {timestamp: ts, signature: signWebhook(t, s.webhook, ts, elsBatch), body: tampered},
		"signature of another time":  {timestamp: strconv.FormatInt(now+1, 10), signature: signWebhook(t, s.webhook, ts, elsBatch), body: elsBatch},
		"without signature":          {timestamp: ts, body: elsBatch},
		"without timestamp":          {signature: signWebhook(t, s.webhook, ts, elsBatch), body: elsBatch},
		"signed an hour ago (stale)": {timestamp: stale, signature: signWebhook(t, s.webhook, stale, elsBatch), body: elsBatch},
	} {
		resp := s.postWebhook(d)
		require.Equal(t, http.StatusUnauthorized, resp.code, "delivery %s:\n%s", name, resp.body)
	}
	els, err := s.store.Customer(ctx, "els")
	require.NoError(t, err)
	require.False(t, els.Suppressed, "a refused delivery suppresses nothing")
	events, err := s.store.EmailEvents(ctx, "customer/els/sale/x")
	require.NoError(t, err)
	require.Empty(t, events, "a refused delivery records nothing")

	require.True(t, time.Now().Before(seasonDue.Add(-time.Second)),
		"the test is too slow: the season fallback (due %s) would go out before the bounce; raise season_fallback in e2eStopPolicy", seasonDue.Format(time.RFC3339))
	t.Logf("reporting the bounce %v before the season fallback is due", time.Until(seasonDue).Round(time.Millisecond))

	// The restock email was delivered and opened, then the address bounced. SendGrid flattens
	// the email's custom args into each event.
	batch := func(attempt string) []byte {
		var evs []map[string]any
		for i, name := range []string{"delivered", "open", "bounce"} {
			ev := map[string]any{
				"email": davidEmail, "timestamp": now - 30 + int64(i), "event": name,
				"sg_event_id": attempt + "-" + name, "sg_message_id": restock.MessageID,
				"idempotency_key": restock.Key, "customer_id": restock.CustomerID, "kind": restock.Kind,
			}
			if name == "bounce" {
				ev["type"], ev["reason"], ev["status"] = "bounce", "550 5.1.1 The email account does not exist", "5.1.1"
			}
			evs = append(evs, ev)
		}
		return mustJSON(t, evs)
	}
	// SendGrid delivers the batch again, with new sg_event_ids and a new signature: one effect.
	for attempt, want := range []string{"3 events, 3 new", "3 events, 0 new"} {
		body := batch("attempt" + strconv.Itoa(attempt))
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		resp := s.postWebhook(delivery{timestamp: ts, signature: signWebhook(t, s.webhook, ts, body), body: body})
		require.Equal(t, http.StatusOK, resp.code, "delivery %d:\n%s", attempt+1, resp.body)
		require.Contains(t, resp.body, want, "delivery %d", attempt+1)
	}

	events, err = s.store.EmailEvents(ctx, restock.Key)
	require.NoError(t, err)
	var names []string
	for _, e := range events {
		names = append(names, e.Event)
		require.Equal(t, restock.MessageID, e.SGMessageID)
		require.Equal(t, "david", e.CustomerID)
		require.Equal(t, "restock", e.Kind)
		require.Equal(t, davidEmail, e.Email)
	}
	require.Equal(t, []string{"delivered", "open", "bounce"}, names, "each event recorded once, in order: %+v", events)
	require.Equal(t, "bounce", events[2].BounceType)
	require.Equal(t, "550 5.1.1 The email account does not exist", events[2].Reason)

	david, err := s.store.Customer(ctx, "david")
	require.NoError(t, err)
	require.True(t, david.Suppressed, "the bounce suppressed David's address in the store")
	s.awaitStatus("david", `stage "suppressed" with nothing pending`, func(st e2eStatus) bool {
		return st.Stage == "suppressed" && len(st.Pending) == 0
	})

	// A sale afterwards, and the dropped season fallback's time passing: nothing goes out.
	s.announceSale(20)
	// David's consent stands, so the sale reaches his workflow, which skips it.
	s.awaitStatus("david", "the sale skipped", func(st e2eStatus) bool {
		return slices.ContainsFunc(st.Decisions, func(d decisionItem) bool {
			return d.Kind == "sale" && d.Outcome == "skipped" && strings.Contains(d.Reason, "suppressed")
		})
	})
	s.requireNoMoreMail(1, seasonDue.Add(stopMargin), "after the bounce")
	st := s.status("david")
	require.Equal(t, "suppressed", st.Stage)
	require.Empty(t, st.Pending)
	require.Len(t, st.Emails, 1, "only the restock email: %+v", st.Emails)
	suppressions := 0
	for _, d := range st.Decisions {
		if strings.Contains(d.Reason, "reported bounce") && strings.Contains(d.Reason, "marketing stopped") {
			suppressions++
		}
	}
	require.Equal(t, 1, suppressions, "the workflow stopped marketing once for the twice-delivered bounce: %+v", st.Decisions)
	els, err = s.store.Customer(ctx, "els")
	require.NoError(t, err)
	require.False(t, els.Suppressed)
}

// delivery is one POST of SendGrid's Event Webhook.
type delivery struct {
	timestamp, signature string // "" leaves the header out
	body                 []byte
}

func (s *stack) postWebhook(d delivery) response {
	s.t.Helper()
	h := http.Header{}
	if d.timestamp != "" {
		h.Set("X-Twilio-Email-Event-Webhook-Timestamp", d.timestamp)
	}
	if d.signature != "" {
		h.Set("X-Twilio-Email-Event-Webhook-Signature", d.signature)
	}
	return s.do(http.MethodPost, s.baseURL+"/webhooks/sendgrid", "application/json", strings.NewReader(string(d.body)), h)
}

// signWebhook signs a delivery as SendGrid does: ECDSA P-256 over SHA-256(timestamp + body),
// ASN.1 DER, base64.
func signWebhook(t *testing.T, key *ecdsa.PrivateKey, timestamp string, body []byte) string {
	t.Helper()
	digest := sha256.Sum256(append([]byte(timestamp), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(sig)
}
