package main

import (
	"bytes"
	"context"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/lifecycleclient"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/outbox"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/internal/temporaltest"
)

// End to end on a dev server, through the worker's own run, mux and listener: a reply to the
// exit question that asks for contact, posted as SendGrid's Inbound Parse posts it, reaches the
// customer's workflow, which shows it in status and hands the customer to the shop (a hand-off
// row, the shop's email).
func TestReplyReachesTheCustomersWorkflow(t *testing.T) {
	srv := temporaltest.Start(t)
	st, _ := storetest.New(t)
	ctx := context.Background()
	_, err := st.ImportCustomers(ctx, strings.NewReader("id,name,email,locale,timezone,colors,sizes,consent\ndavid,David,david@example.com,nl,Europe/Amsterdam,,,true\n"))
	require.NoError(t, err)
	signer, err := links.New([]byte(testLinkSecret), "https://shop.example", 0, nil)
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	const domain = "reply.shop.example"
	lc := lifecycleclient.New(srv.Client)
	ev := events.New(st, lc, nil)
	replies := replyAddresses{domain: domain, signer: signer, store: st}
	acts := &activities.Activities{Store: st, Mailer: outbox.New(st, "", nil), Policy: lifecycle.DefaultPolicy(), Links: signer,
		Handoffs: st, ShopEmail: "shop@tailor.example", Replies: replies}
	d := &dependencies{store: st, events: ev, activities: acts, inbound: inboundHandler(domain, st, signer, ev, nil, logger)}
	public, _ := handlers(d, lc, signer, config.WebhookConfig{}, config.CodecConfig{}, config.HTTPConfig{}, logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, srv.Client, acts, 10, []httpServer{{ln, public, logger}}, logger) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-done, "the worker stops cleanly")
	})

	// The exit question went out with this Reply-To.
	exitKey := lifecycle.SendKey("david", lifecycle.KindExit, "20261203")
	to, err := replies.ReplyTo(ctx, "david", exitKey, lifecycle.KindExit)
	require.NoError(t, err)

	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, f := range [][2]string{
		{"headers", "Message-ID: <e2e-1@mail.example.com>\r\n"},
		{"to", to}, {"from", "David <david@example.com>"}, {"subject", "Re: Mag ik vragen waarom?"},
		{"text", "Te duur geworden. Kunt u mij bellen?\n\nOp wo 3 dec. 2026 om 10:00 schreef Uw kleermaker <" + to + ">:\n> Mag ik vragen waarom?"},
		{"envelope", `{"to":["` + to + `"],"from":"david@example.com"}`},
	} {
		require.NoError(t, w.WriteField(f[0], f[1]))
	}
	require.NoError(t, w.Close())
	resp, err := http.Post("http://"+ln.Addr().String()+"/webhooks/sendgrid/inbound", w.FormDataContentType(), &body)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	require.Eventually(t, func() bool {
		s, err := lc.Status(ctx, "david")
		return err == nil && len(s.Replies) == 1 && len(s.Handoffs) == 1
	}, 30*time.Second, 50*time.Millisecond, "the reply and its hand-off in the workflow's status")
	status, err := lc.Status(ctx, "david")
	require.NoError(t, err)
	require.Equal(t, "Te duur geworden. Kunt u mij bellen?", status.Replies[0].Text)
	require.Equal(t, lifecycle.HandoffContactAsked, status.Handoffs[0].Kind)
	require.Eventually(t, func() bool {
		h, err := st.Handoff(ctx, status.Handoffs[0].ID)
		return err == nil && h.Kind == lifecycle.HandoffContactAsked
	}, 30*time.Second, 50*time.Millisecond, "the hand-off row")
	notes, err := st.Notes(ctx, "david")
	require.NoError(t, err)
	require.Len(t, notes, 1)
	require.Equal(t, "exit", string(notes[0].Kind), "an answer to the exit question is an exit note: it counts at the next segment recompute")
}
