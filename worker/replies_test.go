package main

import (
	"bytes"
	"context"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/workflows"
)

func TestInboundParseMountedOnlyWithReplyDomain(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	require.Nil(t, inboundHandler("", nil, nil, nil, nil, logger))
	require.NotContains(t, publicRoutes(&dependencies{}, nil, config.WebhookConfig{}, logger), "POST /webhooks/sendgrid/inbound")
	on := inboundHandler("reply.shop.example", nil, nil, nil, nil, logger)
	require.NotNil(t, on)
	require.Contains(t, publicRoutes(&dependencies{inbound: on}, nil, config.WebhookConfig{}, logger), "POST /webhooks/sendgrid/inbound")
}

type replySignals struct {
	mu    sync.Mutex
	names []string
}

func (s *replySignals) Signal(_ context.Context, customerID, name string, _ any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names = append(s.names, customerID+" "+name)
	return nil
}

// A reply travels the worker's way: the send activity's reply address for an exit email, then
// SendGrid's post of the customer's answer to that address through the public mux (HTTP_ADDR),
// then a note and the reply signal; the same post with the reference altered is refused.
func TestReplyThroughTheWorkerMux(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportCustomers(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,consent\ndavid,David,david@example.com,nl,Europe/Amsterdam,,,true\n"))
	require.NoError(t, err)
	signer, err := links.New([]byte(testLinkSecret), "https://shop.example", 0, nil)
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	lc := &replySignals{}
	ev := events.New(st, lc, nil)
	const domain = "reply.shop.example"

	key := lifecycle.SendKey("david", lifecycle.KindExit, "20261203")
	addresses := replyAddresses{domain: domain, signer: signer, store: st}
	to, err := addresses.ReplyTo(ctx, "david", key, lifecycle.KindExit)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(to, "reply+") && strings.HasSuffix(to, "@"+domain), to)
	again, err := addresses.ReplyTo(ctx, "david", key, lifecycle.KindExit)
	require.NoError(t, err)
	require.Equal(t, to, again, "a retried send gets the same address")
	none, err := addresses.ReplyTo(ctx, "david", lifecycle.SendKey("david", lifecycle.KindSale, "s1"), lifecycle.KindSale)
	require.NoError(t, err)
	require.Empty(t, none, "a sale asks nothing: no Reply-To")

	d := &dependencies{store: st, events: ev, inbound: inboundHandler(domain, st, signer, ev, nil, logger)}
	public, _ := handlers(d, nil, signer, config.WebhookConfig{}, config.CodecConfig{}, config.HTTPConfig{}, logger)
	post := func(to string) (int, string) {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for _, f := range [][2]string{
			{"headers", "Message-ID: <r1@mail.example.com>\r\nFrom: david@example.com\r\n"},
			{"to", to}, {"from", "David <david@example.com>"}, {"subject", "Re: Waarom gaat u weg?"},
			{"text", "Verhuisd naar Gent. Bel me gerust.\n\nOp wo 3 dec. 2026 om 10:00 schreef Uw kleermaker <" + to + ">:\n> Waarom gaat u weg?"},
			{"envelope", `{"to":["` + to + `"],"from":"david@example.com"}`},
			{"charsets", `{"text":"UTF-8"}`},
		} {
			require.NoError(t, w.WriteField(f[0], f[1]))
		}
		require.NoError(t, w.Close())
		req := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid/inbound", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		rec := httptest.NewRecorder()
		public.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}

	forged := "reply+" + strings.Repeat("a", links.ReplyRefLen) + "@" + domain // a ref nobody signed
	code, body := post(forged)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "refused")
	notes, err := st.Notes(ctx, "david")
	require.NoError(t, err)
	require.Empty(t, notes, "a forged reply stores nothing")

	code, body = post(to)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "recorded: ")
	notes, err = st.Notes(ctx, "david")
	require.NoError(t, err)
	require.Len(t, notes, 1)
	require.Equal(t, "Verhuisd naar Gent. Bel me gerust.", notes[0].Text)
	require.Equal(t, []string{"david " + workflows.SignalReply}, lc.names, "the reply signal was delivered once")
}
