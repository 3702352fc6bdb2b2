package e2e

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
)

// The tailor story end to end: setup, imports, a purchase with a wish, the restock, sale and season
// emails in order and min_gap apart, the worker killed and restarted mid-story; and the same
// restock email through the local outbox with encrypted payloads.

// e2eBadCustomers would rename David and add Eve, but line 4 has an invalid email: nothing of it
// may be written.
const e2eBadCustomers = `id,name,email,locale,timezone,colors,sizes
david,David Renamed,david@example.com,en,America/New_York,,50
eve,Eve Adams,eve@example.com,en,Europe/London,,48
mallory,Mallory,not-an-address,en,Europe/London,,48
`

func TestTailorStoryEndToEnd(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()

	// Setup is idempotent: the second run finds everything in place.
	for range 2 {
		out := s.starter("setup")
		require.Contains(t, out, "schema is up to date", "starter setup")
	}
	require.Contains(t, s.starter("import", "products", s.file("products.csv", e2eProducts)), "imported 9 products")
	require.Contains(t, s.starter("import", "customers", s.file("customers.csv", e2eCustomers)), "imported 2 customers")

	// A file with one bad row is refused whole, naming the line.
	bad := s.run("import", "customers", s.file("bad-customers.csv", e2eBadCustomers))
	require.Equal(t, 1, bad.code, "a customers file with an invalid email must fail:\n%s", bad)
	require.Contains(t, bad.stderr, "line 4: email", "the bad row is named by its line:\n%s", bad)
	require.Contains(t, bad.stderr, "nothing from it was imported", "%s", bad)
	_, err := s.store.Customer(ctx, "eve")
	require.ErrorIs(t, err, lifecycle.ErrNotFound, "eve's good row must not be written when the file is refused")
	david, err := s.store.Customer(ctx, "david")
	require.NoError(t, err)
	require.Equal(t, "David Sable", david.Name, "david must not be renamed by a refused file")

	s.startWorker()

	// David buys the blue trousers and wanted them in grey.
	require.Contains(t, s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p1"),
		"recorded purchase p1")
	// No waiting: `starter purchase` records the wish in PostgreSQL before it returns, so a restock
	// right after finds it.
	require.Contains(t, s.starter("restock", "--sku", "TR-GREY-50", "--quantity", "3", "--wait"),
		"notified 1 customers with a matching wish")
	s.awaitMessages(1, "the restock email")
	// Kill the worker between follow-ups: once the workflow has recorded the restock email, so the
	// kill does not land in the send activity's documented at-least-once window (provider accepted,
	// send log not yet marked).
	s.awaitStatus("david", "the restock email recorded by the workflow", func(st e2eStatus) bool {
		return len(st.Emails) == 1
	})
	s.killWorker()

	// While no worker runs, the shop announces a sale, and everything is sent twice: the second
	// sale finds the campaign the first started.
	until := time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02")
	saleCampaign := "campaign/sale/trousers/" + strings.ReplaceAll(until, "-", "") + "-20"
	require.Contains(t, s.starter("sale", "--category", "trousers", "--discount", "20", "--until", until, "--dry-run"),
		"would reach 1 customers who bought or like trousers (david)", "only David bought trousers")
	require.Contains(t, s.starter("sale", "--category", "trousers", "--discount", "20", "--until", until),
		"started campaign "+saleCampaign)
	require.Contains(t, s.starter("sale", "--category", "trousers", "--discount", "20", "--until", until),
		"campaign "+saleCampaign+" already exists (running, reached 0)")
	// A repeated purchase id owes nothing new (the event layer): nothing is sent again.
	require.Contains(t, s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p1"),
		"purchase p1 was recorded before; nothing new sent")

	s.startWorker()
	s.awaitMessages(2, "the sale email, min_gap after the restock")

	// The same events once more, now that the sale has gone out, and a restock no wish waits for.
	require.Contains(t, s.starter("sale", "--category", "trousers", "--discount", "20", "--until", until),
		"campaign "+saleCampaign+" already exists")
	require.Contains(t, s.starter("restock", "--sku", "TR-GREY-50", "--quantity", "1", "--wait"), "notified 0 customers",
		"the restock email closed David's wish")

	s.awaitMessages(3, "the season fallback email, season_fallback after the purchase")
	require.Never(t, func() bool { return len(s.sink.Messages()) > 3 }, quietWindow, e2ePoll,
		"no email may follow the three of the story")

	msgs := s.sink.Messages()
	require.Len(t, msgs, 3, "sink: %s", describeMessages(msgs))
	var kinds []string
	keys := map[string]bool{}
	for _, m := range msgs {
		kinds = append(kinds, m.Kind)
		require.Equal(t, davidEmail, m.To, "%s email", m.Kind)
		require.Equal(t, "david", m.CustomerID, "%s email", m.Kind)
		require.Equal(t, "shop@example.com", m.From, "%s email comes from MAIL_FROM", m.Kind)
		require.False(t, keys[m.Key], "idempotency key %s sent twice: %s", m.Key, describeMessages(msgs))
		keys[m.Key] = true
		require.True(t, strings.HasPrefix(m.Key, "customer/david/"+m.Kind+"/"), "%s email has key %q", m.Kind, m.Key)
		link := requireUnsubscribeLink(t, m.Text, "david", m.Kind+" email text")
		requireUnsubscribeLink(t, m.HTML, "david", m.Kind+" email HTML")
		require.Equal(t, "<"+link+">", m.Headers["List-Unsubscribe"], "%s email headers", m.Kind)
		require.Equal(t, "List-Unsubscribe=One-Click", m.Headers["List-Unsubscribe-Post"], "%s email headers", m.Kind)
	}
	require.Equal(t, []string{"restock", "sale", "season"}, kinds, "kinds in order: %s", describeMessages(msgs))
	restock, sale, season := msgs[0], msgs[1], msgs[2]

	require.Equal(t, "customer/david/restock/p1", restock.Key)
	require.Equal(t, "Now in stock in grey: Classic trousers", restock.Subject)
	require.Contains(t, restock.Text, "Dear David Sable")
	require.Contains(t, restock.Text, "your favourite grey. Classic trousers, size 50, for €89.00")

	require.Equal(t, "Sale: 20% off trousers in your size", sale.Subject)
	require.Contains(t, sale.Text, "until "+until)
	require.Contains(t, sale.Text, "Classic trousers, grey, size 50: €71.20 (was €89.00)", "the restocked grey")
	require.NotContains(t, sale.Text, "Classic trousers, blue", "David bought the blue pair: not offered again")
	require.Contains(t, sale.Text, "Chinos, grey, size 50: €55.20 (was €69.00)")
	require.NotContains(t, sale.Text, "red", "not a colour David likes")
	require.Regexp(t, `<s [^>]*>€89.00</s> <span [^>]*>€71.20</span>`, sale.HTML, "the old price struck through, the sale price beside it")

	require.Equal(t, "customer/david/season/fallback-p1", season.Key)
	require.Contains(t, season.Text, "I know you like blue and grey, and that you wear size 50")
	require.NotContains(t, season.Text, "Classic trousers, blue", "David bought the blue pair: not offered again")
	require.NotContains(t, season.Text, "Tweed jacket", "not David's size")

	// The minimum gap held between the emails as they arrived.
	for i := 1; i < len(msgs); i++ {
		gap := msgs[i].ReceivedAt.Sub(msgs[i-1].ReceivedAt)
		require.GreaterOrEqual(t, gap, 4*time.Second-500*time.Millisecond,
			"%s came %v after %s, min_gap is 4s", msgs[i].Kind, gap, msgs[i-1].Kind)
	}

	st := s.status("david")
	require.Equal(t, "david", st.CustomerID)
	require.Equal(t, "followed-up", st.Stage)
	require.Len(t, st.Purchases, 1, "the repeated purchase p1 is one purchase")
	require.Empty(t, st.Wishes, "the restock email closed the wish")
	require.Empty(t, st.Pending, "nothing is left to send")
	require.Len(t, st.Emails, 3, "status emails: %+v", st.Emails)
	for i, e := range st.Emails {
		require.Equal(t, msgs[i].Kind, e.Kind, "status email %d", i)
		require.Equal(t, msgs[i].Subject, e.Subject, "status email %d (%s)", i, e.Kind)
		require.False(t, e.SentAt.IsZero(), "status email %d (%s) has sent_at", i, e.Kind)
	}

	// The send log agrees: one row per follow-up, all sent.
	log, err := s.store.SendLog(ctx, "david")
	require.NoError(t, err)
	require.Len(t, log, 3)
	for _, r := range log {
		require.Equal(t, lifecycle.SendSent, r.Status, "send log row %s", r.Key)
	}
}

// TestTailorOutboxEndToEnd runs without SENDGRID_API_KEY: the restock email lands in the local
// outbox, which `starter outbox` lists and OUTBOX_DIR holds as .html and .txt.
//
// Both binaries encrypt payloads here (TAILOR_CODEC_KEYS): the story, the campaign's progress and
// `starter status` all pass through the codec.
func TestTailorOutboxEndToEnd(t *testing.T) {
	s := newStack(t, false)
	s.env = append(s.env, "TAILOR_CODEC_KEYS=e2e:"+base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	s.starter("setup")
	s.starter("import", "products", s.file("products.csv", e2eProducts))
	s.starter("import", "customers", s.file("customers.csv", e2eCustomers))
	require.Contains(t, s.starter("outbox", "--customer", "david"), "the outbox has no emails for customer david yet")

	s.startWorker()
	s.starter("purchase", "--customer", "david", "--sku", "TR-BLUE-50", "--wanted-color", "grey", "--id", "p1")
	require.Contains(t, s.starter("restock", "--sku", "TR-GREY-50", "--quantity", "3", "--wait"), "notified 1 customers")

	const subject = "Now in stock in grey: Classic trousers"
	var out string // the answer that showed the email
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		r := s.run("outbox", "--customer", "david")
		out = r.String()
		assert.True(c, r.code == 0 && strings.Contains(r.stdout, subject), "last answer:\n%s", out)
	}, e2eTimeout, e2ePoll, "waiting for the restock email in `starter outbox --customer david`")
	require.Contains(t, out, davidEmail)
	require.Contains(t, out, "1 email(s)", "only the restock email so far:\n%s", out)
	require.Contains(t, s.starter("status", "--customer", "david"), subject, "the starter decodes the workflow's encrypted status")
	require.Contains(t, s.workerLog.String(), "payloads in Temporal are encrypted")

	html, err := filepath.Glob(filepath.Join(s.outboxDir, "david", "*.html"))
	require.NoError(t, err)
	require.Len(t, html, 1, "the outbox folder holds one .html for david")
	txt := strings.TrimSuffix(html[0], ".html") + ".txt"
	require.FileExists(t, txt)
	require.Contains(t, out, html[0], "starter outbox names the file")
	text, err := os.ReadFile(txt)
	require.NoError(t, err)
	require.Contains(t, string(text), "Dear David Sable")
	require.Contains(t, string(text), "your favourite grey. Classic trousers, size 50")
	page, err := os.ReadFile(html[0])
	require.NoError(t, err)
	requireUnsubscribeLink(t, string(page), "david", "outbox page")
}

var unsubscribeLink = regexp.MustCompile(regexp.QuoteMeta(e2eBaseURL+"/u/") + `[A-Za-z0-9_.-]+`)

// requireUnsubscribeLink finds the one-click unsubscribe link in text, checks that it is signed
// with the worker's LINK_SECRET for customerID, and returns it.
func requireUnsubscribeLink(t *testing.T, text, customerID, what string) string {
	t.Helper()
	link := unsubscribeLink.FindString(text)
	require.NotEmpty(t, link, "%s has no unsubscribe link under %s/u/", what, e2eBaseURL)
	signer, err := links.New([]byte(e2eLinkSecret), e2eBaseURL, 0, nil)
	require.NoError(t, err)
	c, err := signer.Verify(links.PurposeUnsubscribe, strings.TrimPrefix(link, e2eBaseURL+"/u/"))
	require.NoError(t, err, "%s: unsubscribe link %s", what, link)
	require.Equal(t, customerID, c.CustomerID, "%s: unsubscribe link %s", what, link)
	return link
}
