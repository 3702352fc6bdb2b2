package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/sendgrid/sink"
)

// The links in the emails end to end (issue 3): one-click unsubscribe and "yes, I'm interested",
// driven over HTTP against the worker's own server, as a mailbox provider and a customer's
// browser would.

// e2eInterestPolicy: a min_gap the confirmation must not wait for, and no season fallback in sight.
const e2eInterestPolicy = `min_gap: 6s
restock_window: 2m
season_fallback: 10m
`

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

func TestInterestedLinkConfirms(t *testing.T) {
	s := newStack(t, true, withHTTP(), withPolicy(e2eInterestPolicy))
	s.setupShop()
	s.startWorker()

	// David bought trousers (wishing for grey), so the sale on trousers concerns him; it offers
	// the grey chinos, not the blue trousers he has (a selection leaves out what was bought).
	require.Contains(t, s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p1"), "recorded purchase p1")
	s.announceSale(20)
	s.awaitMessages(1, "the sale email")
	sale := s.sink.Messages()[0]
	require.Equal(t, "sale", sale.Kind, "sink: %s", describeMessages(s.sink.Messages()))
	s.awaitStatus("david", "the sale email recorded by the workflow", func(st e2eStatus) bool { return len(st.Emails) == 1 })

	link := s.linkIn(sale.Text, links.PurposeInterested)
	require.Contains(t, sale.Text, "Yes, I'm interested: "+link)
	require.Contains(t, sale.HTML, `href="`+link+`"`, "the HTML's button carries the link")
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

// requireListUnsubscribe checks m's RFC 8058 headers and returns the link, which must point at the
// worker's own pages and be signed for m's customer.
func requireListUnsubscribe(t *testing.T, s *stack, m sink.Message) string {
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

// oneClick requests link as a mailbox provider does for RFC 8058 one-click unsubscribe (a POST),
// or as a browser opening it (a GET).
func (s *stack) oneClick(method, link string) response {
	s.t.Helper()
	if method == http.MethodGet {
		return s.page(method, link, "", "")
	}
	return s.page(method, link, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click")
}
