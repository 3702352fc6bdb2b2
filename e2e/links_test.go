package tailor_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/sendgridsink"
)

// End-to-end tests of the customer's voice (issue 3): the links in the emails and SendGrid's Event
// Webhook, driven over HTTP against the worker's own server, as a mailbox provider, a customer's
// browser and SendGrid would.

// e2eStopPolicy: the season fallback comes 8s after the purchase, so that it is still pending
// when the test stops David's mail a few seconds after the restock email, and would go out inside
// the test's quiet window if stopping had not dropped it.
const e2eStopPolicy = `min_gap: 2s
restock_window: 2m
season_fallback: 8s
`

// e2eInterestPolicy: a min_gap the confirmation must not wait for, and no season fallback in sight.
const e2eInterestPolicy = `min_gap: 6s
restock_window: 2m
season_fallback: 10m
`

// stopMargin is how long after the moment a dropped follow-up would have gone out the test still
// watches for it.
const stopMargin = 3 * time.Second

func TestUnsubscribeLinkStopsAllLaterMail(t *testing.T) {
	s := newStack(t, true, withHTTP(), withPolicy(e2eStopPolicy))
	ctx := context.Background()
	s.setupShop()
	s.startWorker()

	restock := s.restockEmail()
	link := requireListUnsubscribe(t, s, restock)
	require.Equal(t, link, s.linkIn(restock.Text, links.PurposeUnsubscribe), "the text carries the same unsubscribe link as the header")
	seasonDue := s.awaitSeasonPending()

	// GET shows the confirmation page and changes nothing: mail scanners follow links.
	resp := s.page(http.MethodGet, link, "", "")
	require.Equal(t, http.StatusOK, resp.code, "GET %s:\n%s", link, resp.body)
	require.Contains(t, resp.body, "Unsubscribe <strong>d***@example.com</strong> from all marketing mail?")
	require.Contains(t, resp.body, `<form method="post">`)

	// Tampered links: a flipped character of the signature, and David's signature on a payload
	// naming Els. Both get 400, whether opened or one-click POSTed.
	body, sig, ok := strings.Cut(strings.TrimPrefix(link, s.baseURL+"/u/"), ".")
	require.True(t, ok, "token of %s has two parts", link)
	flipped := s.baseURL + "/u/" + body + "." + flip(sig, len(sig)/2)
	forged := s.baseURL + "/u/" + forgePayload(t, body, "els") + "." + sig
	for _, bad := range []string{flipped, forged} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			resp := s.oneClick(method, bad)
			require.Equal(t, http.StatusBadRequest, resp.code, "%s of a tampered link %s:\n%s", method, bad, resp.body)
			require.Contains(t, resp.body, "This link is not valid")
		}
	}

	// Nothing has changed for anyone.
	for _, id := range []string{"david", "els"} {
		c, err := s.store.Customer(ctx, id)
		require.NoError(t, err)
		require.True(t, c.MarketingConsent, "%s keeps consent after a GET and tampered links", id)
	}
	st := s.status("david")
	require.Equal(t, "followed-up", st.Stage, "a GET and tampered links change nothing")
	require.True(t, slices.ContainsFunc(st.Pending, func(p pendingItem) bool { return p.Kind == "season" }),
		"the season fallback still waits: %+v", st.Pending)
	require.True(t, time.Now().Before(seasonDue.Add(-time.Second)),
		"the test is too slow: the season fallback (due %s) would go out before the unsubscribe; raise season_fallback in e2eStopPolicy", seasonDue.Format(time.RFC3339))

	t.Logf("unsubscribing %v before the season fallback is due", time.Until(seasonDue).Round(time.Millisecond))

	// RFC 8058 one-click: what a mailbox provider sends, without cookies, without following
	// redirects. The answer is the page itself, not a redirect.
	resp = s.oneClick(http.MethodPost, link)
	require.Equal(t, http.StatusOK, resp.code, "one-click POST %s:\n%s", link, resp.body)
	require.Empty(t, resp.header.Get("Location"), "RFC 8058: the POST answers without a redirect")
	require.Contains(t, resp.body, "You are unsubscribed")
	require.Contains(t, resp.body, "will get no more marketing email from us")

	c, err := s.store.Customer(ctx, "david")
	require.NoError(t, err)
	require.False(t, c.MarketingConsent, "the store has David's consent withdrawn")
	s.awaitStatus("david", `stage "unsubscribed" with nothing pending`, func(st e2eStatus) bool {
		return st.Stage == "unsubscribed" && len(st.Pending) == 0
	})

	// Repeating it is harmless (providers retry too).
	resp = s.oneClick(http.MethodPost, link)
	require.Equal(t, http.StatusOK, resp.code, "a second one-click POST:\n%s", resp.body)

	// A sale afterwards, and the dropped season fallback's time passing: nothing goes out.
	s.announceSale(20)
	s.requireNoMoreMail(1, seasonDue.Add(stopMargin), "after the unsubscribe")

	st = s.status("david")
	require.Equal(t, "unsubscribed", st.Stage)
	require.Empty(t, st.Pending)
	require.Len(t, st.Emails, 1, "only the restock email: %+v", st.Emails)
	c, err = s.store.Customer(ctx, "els")
	require.NoError(t, err)
	require.True(t, c.MarketingConsent, "Els is still subscribed")
}

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

func TestInterestedLinkConfirms(t *testing.T) {
	s := newStack(t, true, withHTTP(), withPolicy(e2eInterestPolicy))
	s.setupShop()
	s.startWorker()

	// David bought trousers, so the sale on trousers concerns him.
	require.Contains(t, s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--id", "p1"), "recorded purchase p1")
	s.announceSale(20)
	s.awaitMessages(1, "the sale email")
	sale := s.sink.Messages()[0]
	require.Equal(t, "sale", sale.Kind, "sink: %s", describeMessages(s.sink.Messages()))
	s.awaitStatus("david", "the sale email recorded by the workflow", func(st e2eStatus) bool { return len(st.Emails) == 1 })

	link := s.linkIn(sale.Text, links.PurposeInterested)
	require.Contains(t, sale.Text, "Yes, I'm interested: "+link)
	require.Contains(t, sale.HTML, `<a href="`+link+`"`)
	require.Contains(t, sale.HTML, "interested</a>")
	c := s.verifyLink(link, links.PurposeInterested)
	require.Equal(t, "david", c.CustomerID)
	require.Equal(t, sale.Key, c.OfferKey, "the link names the offer email")

	// Opening the link asks; it accepts nothing yet.
	resp := s.page(http.MethodGet, link, "", "")
	require.Equal(t, http.StatusOK, resp.code, "GET %s:\n%s", link, resp.body)
	require.Contains(t, resp.body, "Shall we bring some?")
	require.Empty(t, s.status("david").Goals, "a GET accepts nothing")

	// The page's button.
	resp = s.page(http.MethodPost, link, "application/x-www-form-urlencoded", "")
	require.Equal(t, http.StatusOK, resp.code, "POST %s:\n%s", link, resp.body)
	require.Contains(t, resp.body, "Thank you! We noted your interest in “"+sale.Subject+"”")

	// The confirmation is transactional: it goes out at once, min_gap (6s) or not.
	s.awaitMessages(2, "the confirmation email")
	msgs := s.sink.Messages()
	conf := msgs[1]
	require.Equal(t, "confirmation", conf.Kind, "sink: %s", describeMessages(msgs))
	require.Equal(t, davidEmail, conf.To)
	require.Equal(t, "customer/david/confirmation/"+sale.Key, conf.Key)
	require.Less(t, conf.ReceivedAt.Sub(sale.ReceivedAt), 6*time.Second, "the confirmation does not wait for min_gap")

	// A second click changes nothing.
	resp = s.page(http.MethodPost, link, "application/x-www-form-urlencoded", "")
	require.Equal(t, http.StatusOK, resp.code, "second POST %s:\n%s", link, resp.body)
	require.Contains(t, resp.body, "You already told us you are interested")

	// The goal is reached: another sale on trousers is not offered.
	s.awaitStatus("david", "the goal sale:trousers", func(st e2eStatus) bool { return slices.Contains(st.Goals, "sale:trousers") })
	s.announceSale(30)
	s.awaitStatus("david", "the second sale skipped", func(st e2eStatus) bool {
		return slices.ContainsFunc(st.Decisions, func(d decisionItem) bool {
			return d.Kind == "sale" && d.Outcome == "skipped" && strings.Contains(d.Reason, "goal reached")
		})
	})
	s.requireNoMoreMail(2, conf.ReceivedAt.Add(6*time.Second+stopMargin), "after the accepted offer")
	st := s.status("david")
	require.False(t, slices.ContainsFunc(st.Pending, func(p pendingItem) bool { return p.Kind == "sale" }),
		"no second sale waits: %+v", st.Pending)
	require.Len(t, st.Emails, 2, "%+v", st.Emails)
}

// --- helpers ---

type (
	pendingItem = struct {
		Kind string    `json:"kind"`
		Due  time.Time `json:"due"`
	}
	decisionItem = struct {
		Kind    string `json:"kind"`
		Key     string `json:"key"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	}
)

// setupShop creates the schema and imports the catalogue and the two customers.
func (s *stack) setupShop() {
	s.t.Helper()
	s.starter("setup")
	require.Contains(s.t, s.starter("import", "products", s.file("products.csv", e2eProducts)), "imported 9 products")
	require.Contains(s.t, s.starter("import", "customers", s.file("customers.csv", e2eCustomers)), "imported 2 customers")
}

// restockEmail has David buy the blue trousers wishing for grey, restocks the grey and returns
// the restock email once the workflow has recorded it.
func (s *stack) restockEmail() sendgridsink.Message {
	s.t.Helper()
	require.Contains(s.t, s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p1"),
		"recorded purchase p1")
	// How the starter reports reaching the customers is not what these tests are about.
	s.starter("restock", "--sku", "TR-GREY-50", "--quantity", "3")
	s.awaitMessages(1, "the restock email")
	m := s.sink.Messages()[0]
	require.Equal(s.t, "restock", m.Kind, "sink: %s", describeMessages(s.sink.Messages()))
	require.Equal(s.t, davidEmail, m.To)
	require.Equal(s.t, "customer/david/restock/p1", m.Key)
	s.awaitStatus("david", "the restock email recorded by the workflow", func(st e2eStatus) bool { return len(st.Emails) == 1 })
	return m
}

// awaitSeasonPending waits until David's season fallback is pending and returns when it is due.
func (s *stack) awaitSeasonPending() time.Time {
	s.t.Helper()
	var due time.Time
	s.awaitStatus("david", "the season fallback pending", func(st e2eStatus) bool {
		for _, p := range st.Pending {
			if p.Kind == "season" {
				due = p.Due
				return st.Stage == "followed-up"
			}
		}
		return false
	})
	return due
}

// announceSale announces a week's sale on trousers.
func (s *stack) announceSale(pct int) {
	s.t.Helper()
	until := time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02")
	s.starter("sale", "--category", "trousers", "--discount", strconv.Itoa(pct), "--until", until)
}

// requireNoMoreMail watches the sink until the later of until and quietWindow from now, and
// requires it to hold no more than n emails all along.
func (s *stack) requireNoMoreMail(n int, until time.Time, what string) {
	s.t.Helper()
	window := max(time.Until(until), quietWindow)
	require.Never(s.t, func() bool { return len(s.sink.Messages()) > n }, window, e2ePoll,
		"no email may go out %s (watched %v)", what, window.Round(time.Second))
	require.Len(s.t, s.sink.Messages(), n, "sink: %s", describeMessages(s.sink.Messages()))
}

// requireListUnsubscribe checks m's RFC 8058 headers and returns the link, which must point at the
// worker's own pages and be signed for m's customer.
func requireListUnsubscribe(t *testing.T, s *stack, m sendgridsink.Message) string {
	t.Helper()
	h := m.Headers["List-Unsubscribe"]
	require.True(t, strings.HasPrefix(h, "<"+s.baseURL+"/u/") && strings.HasSuffix(h, ">"),
		"%s email: List-Unsubscribe %q is not <%s/u/...>", m.Kind, h, s.baseURL)
	require.Equal(t, "List-Unsubscribe=One-Click", m.Headers["List-Unsubscribe-Post"], "%s email", m.Kind)
	link := strings.TrimSuffix(strings.TrimPrefix(h, "<"), ">")
	require.Equal(t, m.CustomerID, s.verifyLink(link, links.PurposeUnsubscribe).CustomerID)
	return link
}

// linkIn finds the one link of purpose in text.
func (s *stack) linkIn(text string, purpose links.Purpose) string {
	s.t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(s.baseURL+"/"+string(purpose)+"/") + `[A-Za-z0-9_.-]+`)
	found := re.FindAllString(text, -1)
	require.NotEmpty(s.t, found, "no %s/%s/ link in:\n%s", s.baseURL, purpose, text)
	for _, l := range found[1:] {
		require.Equal(s.t, found[0], l, "different %s links in one email", purpose)
	}
	return found[0]
}

// verifyLink checks that link is signed with the worker's LINK_SECRET for purpose.
func (s *stack) verifyLink(link string, purpose links.Purpose) links.Claims {
	s.t.Helper()
	signer, err := links.New([]byte(e2eLinkSecret), s.baseURL, 0, nil)
	require.NoError(s.t, err)
	prefix := s.baseURL + "/" + string(purpose) + "/"
	require.True(s.t, strings.HasPrefix(link, prefix), "link %s", link)
	c, err := signer.Verify(purpose, strings.TrimPrefix(link, prefix))
	require.NoError(s.t, err, "link %s", link)
	return c
}

// flip changes the character at i of a base64url string to another base64url character.
func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// forgePayload returns the token payload body with its customer replaced by customerID.
func forgePayload(t *testing.T, body, customerID string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(body)
	require.NoError(t, err)
	var p map[string]any
	require.NoError(t, json.Unmarshal(raw, &p))
	require.Contains(t, p, "c", "the payload names its customer under c: %s", raw)
	p["c"] = customerID
	return base64.RawURLEncoding.EncodeToString(mustJSON(t, p))
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// response is what the worker's HTTP server answered.
type response struct {
	code   int
	header http.Header
	body   string
}

// httpClient has no cookie jar and does not follow redirects, like a mailbox provider's
// one-click unsubscribe.
var httpClient = &http.Client{
	Timeout:       e2eTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// page sends one request to the worker's server.
func (s *stack) page(method, url, contentType, body string) response {
	s.t.Helper()
	return s.do(method, url, contentType, strings.NewReader(body), nil)
}

func (s *stack) do(method, url, contentType string, body io.Reader, header http.Header) response {
	s.t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(s.t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := httpClient.Do(req)
	require.NoError(s.t, err, "%s %s", method, url)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err, "%s %s", method, url)
	return response{code: resp.StatusCode, header: resp.Header, body: string(b)}
}

// oneClick requests link as a mailbox provider does for RFC 8058 one-click unsubscribe (a POST),
// or as a browser opening it (a GET).
func (s *stack) oneClick(method, link string) response {
	s.t.Helper()
	if method == http.MethodGet {
		return s.page(method, link, "", "")
	}
	return s.page(method, link, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click")
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
