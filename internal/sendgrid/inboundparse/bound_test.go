package inboundparse_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/replies"
	"github.com/tailorhq/tailor/internal/sendgrid/inboundparse"
)

// withMessageID is p with another Message-ID: another message, as far as the handler can tell.
func withMessageID(p post, id string) post {
	fields := append([][2]string(nil), p.fields...)
	for i, f := range fields {
		if f[0] == "headers" {
			fields[i][1] = "Message-ID: <" + id + "@mail.example.com>\r\nFrom: David <david@example.com>\r\nSubject: Re: Waarom gaat u weg?\r\n"
		}
	}
	return post{fields: fields, files: p.files}
}

// A reply address takes at most MaxRepliesPerDay replies a UTC day; more are refused like a
// forged one (200, nothing stored, logged, counted), a repeat of a recorded one is still answered
// as recorded before, another address of the same customer is not affected, and the next day the
// address takes replies again.
func TestRepliesPerAddressAreBounded(t *testing.T) {
	b := setup(t)
	var now atomic.Pointer[time.Time]
	now.Store(&b.now)
	clock := func() time.Time { return *now.Load() }
	log, count := &logBuffer{}, &counter{}
	h := inboundparse.New(inboundparse.Config{Domain: domain, MaxRepliesPerDay: 3, Now: clock}, inboundparse.Deps{
		Addresses: b.st, Verifier: b.signer, Replies: events.New(b.st, b.lc, clock), Counter: count,
		Logger: slog.New(slog.NewTextHandler(log, nil)),
	})
	serve := func(p post) (int, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, p.request(t))
		return rec.Code, rec.Body.String()
	}
	exitKey := "customer/david/exit/20261201"
	exit := b.address(t, "david", lifecycle.KindExit, exitKey)
	feedback := b.address(t, "david", lifecycle.KindFeedback, "customer/david/feedback/20261201")

	for i := 1; i <= 3; i++ {
		code, body := serve(withMessageID(sendgridPost(exit, fmt.Sprintf("Antwoord %d.", i)), fmt.Sprint("m", i)))
		require.Equal(t, http.StatusOK, code, "reply %d: %s", i, body)
		require.True(t, strings.HasPrefix(body, "recorded: "), "reply %d of 3 allowed: %s", i, body)
	}
	code, body := serve(withMessageID(sendgridPost(exit, "Antwoord 4."), "m4"))
	require.Equal(t, http.StatusOK, code, "a refused reply is answered 200, so SendGrid does not retry it: %s", body)
	require.Contains(t, body, "refused: the reply address took 3 replies today")
	require.Len(t, b.notes(t, "david"), 3, "the fourth reply of the day is not stored")
	require.Len(t, b.lc.deliveries(), 3, "nor signalled")
	logs := log.String()
	assert.Contains(t, logs, "reply refused, nothing stored")
	assert.Contains(t, logs, "outcome="+inboundparse.OutcomeRefusedTooMany)
	assert.Contains(t, logs, "customer_id=david")
	ref, ok := replies.FindRef(domain, exit)
	require.True(t, ok)
	assert.NotContains(t, logs, ref, "the log never holds the ref: a reader could post with it")

	code, body = serve(withMessageID(sendgridPost(exit, "Antwoord 1."), "m1"))
	require.Equal(t, http.StatusOK, code, body)
	require.True(t, strings.HasPrefix(body, "recorded before: "), "SendGrid posting a recorded reply again: %s", body)

	code, body = serve(withMessageID(sendgridPost(feedback, "Prima service."), "f1"))
	require.Equal(t, http.StatusOK, code, body)
	require.True(t, strings.HasPrefix(body, "recorded: "), "another address of the customer: %s", body)

	next := b.now.Add(24 * time.Hour)
	now.Store(&next)
	code, body = serve(withMessageID(sendgridPost(exit, "Antwoord 5."), "m5"))
	require.Equal(t, http.StatusOK, code, body)
	require.True(t, strings.HasPrefix(body, "recorded: "), "the next UTC day: %s", body)

	assert.Equal(t, map[string]int{inboundparse.OutcomeRecorded: 5, inboundparse.OutcomeRefusedTooMany: 1, inboundparse.OutcomeDuplicate: 1}, count.counts())
}

// Replies posted at once to one address cannot pass the bound together.
func TestConcurrentRepliesStayWithinTheBound(t *testing.T) {
	b := setup(t)
	h := inboundparse.New(inboundparse.Config{Domain: domain, MaxRepliesPerDay: 3, MaxConcurrent: 16, Now: func() time.Time { return b.now }},
		inboundparse.Deps{Addresses: b.st, Verifier: b.signer, Replies: events.New(b.st, b.lc, func() time.Time { return b.now })})
	to := b.address(t, "ann", lifecycle.KindCheckin, "customer/ann/checkin/p1")
	const posts = 12
	var wg sync.WaitGroup
	var recorded, refused atomic.Int32
	for i := range posts {
		p := withMessageID(sendgridPost(to, fmt.Sprintf("Past goed, %d.", i)), fmt.Sprint("c", i))
		req := p.request(t)
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch {
			case strings.HasPrefix(rec.Body.String(), "recorded: "):
				recorded.Add(1)
			case strings.Contains(rec.Body.String(), "refused: the reply address took"):
				refused.Add(1)
			default:
				t.Errorf("post %d: %d %s", i, rec.Code, rec.Body.String())
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(3), recorded.Load(), "recorded of %d posted at once", posts)
	assert.Equal(t, int32(posts-3), refused.Load())
	assert.Len(t, b.notes(t, "ann"), 3)
}
