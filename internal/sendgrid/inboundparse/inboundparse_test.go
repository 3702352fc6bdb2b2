package inboundparse_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/replies"
	"github.com/tailorhq/tailor/internal/sendgrid/inboundparse"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/workflows"
)

var (
	_ inboundparse.Addresses = (*store.DB)(nil)
	_ inboundparse.Verifier  = (*links.Signer)(nil)
	_ inboundparse.Replies   = (*events.Service)(nil)
)

const domain = "reply.shop.example"

type delivery struct {
	customerID, signal string
	payload            any
}

type fakeLifecycle struct {
	mu  sync.Mutex
	got []delivery
}

func (f *fakeLifecycle) Signal(_ context.Context, customerID, name string, payload any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, delivery{customerID, name, payload})
	return nil
}

func (f *fakeLifecycle) deliveries() []delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]delivery(nil), f.got...)
}

// logBuffer collects the handler's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// counter records the outcomes as the worker's metrics count them.
type counter struct {
	mu  sync.Mutex
	got map[string]int
}

func (c *counter) CountInboundReply(outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.got == nil {
		c.got = map[string]int{}
	}
	c.got[outcome]++
}

func (c *counter) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.got {
		out[k] = v
	}
	return out
}

type bundle struct {
	counter *counter
	st      *store.DB
	signer  *links.Signer
	lc      *fakeLifecycle
	handler http.Handler
	log     *logBuffer
	now     time.Time
}

func setup(t *testing.T) bundle {
	t.Helper()
	st, _ := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportCustomers(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,consent\n"+
		"david,David,david@example.com,nl,Europe/Amsterdam,,,true\n"+
		"ann,Ann,ann@example.com,en,UTC,,,true\n"))
	require.NoError(t, err)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	signer, err := links.New([]byte(strings.Repeat("k", 32)), "https://shop.example", 0, func() time.Time { return now })
	require.NoError(t, err)
	lc := &fakeLifecycle{}
	log := &logBuffer{}
	count := &counter{}
	h := inboundparse.New(inboundparse.Config{Domain: domain, Now: func() time.Time { return now }}, inboundparse.Deps{
		Addresses: st, Verifier: signer, Replies: events.New(st, lc, func() time.Time { return now }), Counter: count,
		Logger: slog.New(slog.NewTextHandler(log, nil)),
	})
	return bundle{counter: count, st: st, signer: signer, lc: lc, handler: h, log: log, now: now}
}

// address records the reply address of the email with key, as the send activity does, and
// returns it.
func (b bundle) address(t *testing.T, customerID string, kind lifecycle.Kind, key string) string {
	t.Helper()
	ref := b.signer.ReplyRef(customerID, key)
	require.NoError(t, b.st.RememberReplyAddress(context.Background(), store.ReplyAddress{Ref: ref, CustomerID: customerID, SendKey: key, Kind: kind}))
	return replies.Address(domain, ref)
}

// post is one Inbound Parse post: the fields in SendGrid's order, and files as attachments.
type post struct {
	fields [][2]string
	files  map[string][]byte
}

// sendgridPost builds a post shaped like SendGrid's default (parsed) Inbound Parse: the reply to
// the email whose Reply-To was to.
func sendgridPost(to, text string) post {
	return post{fields: [][2]string{
		{"headers", "Received: by mx0047p1mdw1.sendgrid.net with SMTP id abc\r\nMessage-ID: <CAF=" + fmt.Sprint(len(text)) + "x@mail.example.com>\r\nFrom: David <david@example.com>\r\nTo: " + to + "\r\nSubject: Re: Waarom gaat u weg?\r\n"},
		{"dkim", "{@example.com : pass}"},
		{"to", to},
		{"html", "<div dir=\"ltr\">" + strings.ReplaceAll(text, "\n", "<br>") + "</div>"},
		{"from", "David <david@example.com>"},
		{"text", text},
		{"sender_ip", "209.85.128.41"},
		{"envelope", `{"to":["` + to + `"],"from":"david@example.com"}`},
		{"attachments", "0"},
		{"subject", "Re: Waarom gaat u weg?"},
		{"charsets", `{"to":"UTF-8","html":"UTF-8","subject":"UTF-8","from":"UTF-8","text":"UTF-8"}`},
		{"SPF", "pass"},
	}}
}

func (p post) request(t *testing.T) *http.Request {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, f := range p.fields {
		require.NoError(t, w.WriteField(f[0], f[1]))
	}
	for name, content := range p.files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, name, name+".jpg"))
		h.Set("Content-Type", "image/jpeg")
		part, err := w.CreatePart(h)
		require.NoError(t, err)
		_, err = part.Write(content)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	r := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid/inbound", &body)
	r.Header.Set("Content-Type", w.FormDataContentType())
	return r
}

func (b bundle) serve(t *testing.T, p post) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, p.request(t))
	return rec.Code, rec.Body.String()
}

func (b bundle) notes(t *testing.T, customerID string) []store.Note {
	t.Helper()
	notes, err := b.st.Notes(context.Background(), customerID)
	require.NoError(t, err)
	return notes
}

func TestReplyBecomesNoteAndSignal(t *testing.T) {
	tests := []struct {
		kind        lifecycle.Kind
		key         string
		text        string
		wantNote    store.NoteKind
		wantText    string
		wantContact string
	}{
		{lifecycle.KindExit, "customer/david/exit/20261201", "Ik ben verhuisd naar Gent.\n\nOp di 1 dec. 2026 om 10:00 schreef Uw kleermaker <x@y>:\n> Waarom gaat u weg?", store.NoteExit, "Ik ben verhuisd naar Gent.", ""},
		{lifecycle.KindFeedback, "customer/david/feedback/20261201", "Prima service.\r\n\r\nOn Tue, 1 Dec 2026 at 10:00, Your tailor <x@y> wrote:\r\n> How are we doing?", store.NoteFeedback, "Prima service.", ""},
		{lifecycle.KindCheckin, "customer/david/checkin/p1", "De broek is te lang. Kunt u mij bellen?\n> Is het wat u hoopte?", store.NoteCheckin, "De broek is te lang. Kunt u mij bellen?", "mij bellen"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			b := setup(t)
			to := b.address(t, "david", tt.kind, tt.key)
			code, body := b.serve(t, sendgridPost(to, tt.text))
			require.Equal(t, http.StatusOK, code, "%s reply %q: %s", tt.kind, tt.text, body)
			require.True(t, strings.HasPrefix(body, "recorded: reply-"), "%s reply: %s", tt.kind, body)

			notes := b.notes(t, "david")
			require.Len(t, notes, 1, "%s reply %q", tt.kind, tt.text)
			assert.Equal(t, tt.wantNote, notes[0].Kind)
			assert.Equal(t, tt.wantText, notes[0].Text, "the quoted email is cut")

			got := b.lc.deliveries()
			require.Len(t, got, 1, "one reply signal delivered")
			assert.Equal(t, "david", got[0].customerID)
			assert.Equal(t, workflows.SignalReply, got[0].signal)
			assert.Contains(t, fmt.Sprint(got[0].payload), tt.key)
			assert.Contains(t, fmt.Sprint(got[0].payload), tt.wantText)
			assert.Contains(t, b.log.String(), "from=d***@example.com", "the sender is logged masked")
			assert.NotContains(t, b.log.String(), "david@example.com", "never the whole address")
			if tt.wantContact != "" {
				assert.Contains(t, fmt.Sprint(got[0].payload), tt.wantContact, "the signal names the contact phrase")
				assert.Contains(t, b.log.String(), "asks_contact")
			}

			// SendGrid posting the same message again records nothing new.
			code, body = b.serve(t, sendgridPost(to, tt.text))
			require.Equal(t, http.StatusOK, code, body)
			assert.True(t, strings.HasPrefix(body, "recorded before: "), body)
			assert.Len(t, b.notes(t, "david"), 1)
			assert.Len(t, b.lc.deliveries(), 1, "no second signal owed")
			assert.Equal(t, map[string]int{inboundparse.OutcomeRecorded: 1, inboundparse.OutcomeDuplicate: 1}, b.counter.counts())
		})
	}
}

func TestForgedOrUnknownReplyAddressIsRefused(t *testing.T) {
	b := setup(t)
	genuine := b.address(t, "david", lifecycle.KindExit, "customer/david/exit/20261201")
	ref, ok := replies.FindRef(domain, genuine)
	require.True(t, ok)
	// A record whose ref was not made with the link secret: as if someone wrote the table.
	forgedRef := strings.Repeat("a", links.ReplyRefLen)
	require.NoError(t, b.st.RememberReplyAddress(context.Background(), store.ReplyAddress{Ref: forgedRef, CustomerID: "ann", SendKey: "customer/ann/exit/20261201", Kind: lifecycle.KindExit}))
	// A genuine ref of an email that asks nothing.
	saleKey := "customer/ann/sale/s1"
	saleRef := b.signer.ReplyRef("ann", saleKey)
	require.NoError(t, b.st.RememberReplyAddress(context.Background(), store.ReplyAddress{Ref: saleRef, CustomerID: "ann", SendKey: saleKey, Kind: lifecycle.KindSale}))
	flipped := []byte(ref)
	flipped[0] = map[bool]byte{true: 'b', false: 'a'}[flipped[0] == 'a']

	tests := []struct {
		name, to, why, outcome string
	}{
		{"unknown ref", replies.Address(domain, string(flipped)), "unknown reply address", inboundparse.OutcomeRefusedUnknown},
		{"forged record", replies.Address(domain, forgedRef), "does not match", inboundparse.OutcomeRefusedForged},
		{"other domain", replies.Address("evil.example", ref), "no reply address", inboundparse.OutcomeRefusedNoAddress},
		{"no reply address", "shop@shop.example", "no reply address", inboundparse.OutcomeRefusedNoAddress},
		{"email that asks nothing", replies.Address(domain, saleRef), "asks no question", inboundparse.OutcomeRefusedQuestion},
		{"empty once the quote is cut", genuine, "empty reply", inboundparse.OutcomeRefusedEmpty},
	}
	want := map[string]int{}
	for _, tt := range tests {
		text := "Bel me."
		if tt.name == "empty once the quote is cut" {
			text = "\n> Waarom gaat u weg?\n"
		}
		code, body := b.serve(t, sendgridPost(tt.to, text))
		assert.Equal(t, http.StatusOK, code, "%s: SendGrid must not retry what is refused again: %s", tt.name, body)
		assert.Contains(t, body, "refused: ", tt.name)
		assert.Contains(t, body, tt.why, tt.name)
		assert.Contains(t, b.log.String(), "reply refused, nothing stored", tt.name)
		want[tt.outcome]++
		assert.Equal(t, want, b.counter.counts(), "%s: counted as %s", tt.name, tt.outcome)
	}
	assert.Empty(t, b.notes(t, "david"), "nothing stored for a refused reply")
	assert.Empty(t, b.notes(t, "ann"), "nothing stored for a refused reply")
	assert.Empty(t, b.lc.deliveries(), "nobody signalled for a refused reply")
}

func TestOversizedPartsAreCut(t *testing.T) {
	b := setup(t)
	to := b.address(t, "david", lifecycle.KindFeedback, "customer/david/feedback/20261201")
	long := "Heel tevreden. " + strings.Repeat("Zeer goed geholpen € ", 5000) // > 64 KiB text part
	p := sendgridPost(to, long)
	p.files = map[string][]byte{"attachment1": bytes.Repeat([]byte{0xff}, 3<<20)}
	code, body := b.serve(t, p)
	require.Equal(t, http.StatusOK, code, body)
	notes := b.notes(t, "david")
	require.Len(t, notes, 1)
	assert.LessOrEqual(t, len(notes[0].Text), events.MaxNoteText, "the note keeps at most MaxNoteText bytes")
	assert.True(t, strings.HasPrefix(notes[0].Text, "Heel tevreden."), notes[0].Text[:40])
	assert.True(t, strings.ToValidUTF8(notes[0].Text, "") == notes[0].Text, "cut on a rune boundary")
	logs := b.log.String()
	assert.Contains(t, logs, "field cut to its cap")
	assert.Contains(t, logs, "field=text")
	assert.Contains(t, logs, "attachment dropped")
	assert.Contains(t, logs, "reply text cut for its note")
}

func TestHTMLOnlyReply(t *testing.T) {
	b := setup(t)
	to := b.address(t, "david", lifecycle.KindExit, "customer/david/exit/20261201")
	p := sendgridPost(to, "")
	for i, f := range p.fields {
		if f[0] == "html" {
			p.fields[i][1] = `<div>Te duur geworden.</div><div class="gmail_quote">Op di schreef:<blockquote>Waarom?</blockquote></div>`
		}
	}
	code, body := b.serve(t, p)
	require.Equal(t, http.StatusOK, code, body)
	notes := b.notes(t, "david")
	require.Len(t, notes, 1)
	assert.Equal(t, "Te duur geworden.", notes[0].Text)
}

func TestNotMultipartOrNotPost(t *testing.T) {
	b := setup(t)
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/webhooks/sendgrid/inbound", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)

	rec = httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid/inbound", strings.NewReader(`{"to":"x"}`))
	r.Header.Set("Content-Type", "application/json")
	b.handler.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
}

func TestBodyOverTheLimit(t *testing.T) {
	b := setup(t)
	to := b.address(t, "david", lifecycle.KindExit, "customer/david/exit/20261201")
	p := sendgridPost(to, "Bel me.")
	p.files = map[string][]byte{"attachment1": make([]byte, inboundparse.MaxBodyBytes)}
	code, _ := b.serve(t, p)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Empty(t, b.notes(t, "david"))
}
