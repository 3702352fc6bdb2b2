package eventwebhook_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/sendgrid/eventwebhook"
)

// trickle starts n forged deliveries (the current time and any base64 pass the header check) whose
// bodies start and never end, and returns once each is inside its body read, holding a reading
// slot. Their signature cannot be checked before the body is in, so anyone can do this.
func trickle(t *testing.T, b *bundle, n int) {
	t.Helper()
	ts := strconv.FormatInt(now.Unix(), 10)
	for range n {
		pr, pw := io.Pipe()
		t.Cleanup(func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
		req := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid", pr)
		req.Header.Set(eventwebhook.TimestampHeader, ts)
		req.Header.Set(eventwebhook.SignatureHeader, "AAAAAAAAAAAAAAAA")
		go b.handler.ServeHTTP(httptest.NewRecorder(), req)
		_, _ = pw.Write([]byte("[")) // returns once the handler read it
	}
}

// Found in review of issue #13: forged deliveries that trickle their bodies took the slots the
// signed ones need, so SendGrid's genuine deliveries got 503 for as long as a stranger kept at it.
// Now they hold reading slots only, which outnumber the processing slots, and never reach a
// processing slot: as many forged deliveries as there are processing slots leave a genuine
// delivery unharmed.
func TestForgedSlowDeliveriesDoNotStarveSendGrid(t *testing.T) {
	b := setup(t)
	trickle(t, b, eventwebhook.DefaultMaxConcurrent)
	rec := b.post(t, batch(t, ev("bounce", "sg_message_id", "genuine")))
	require.Equal(t, http.StatusOK, rec.Code,
		"a genuine signed delivery while %d forged, unsigned requests trickle their bodies: %d %s",
		eventwebhook.DefaultMaxConcurrent, rec.Code, rec.Body)
}

// The reading slots bound what a flood can hold in memory: with every one taken, the next
// delivery answers 503 with Retry-After without its body being read. (Each is also cut off after
// BodyReadTimeout by the real server; a test recorder cannot set read deadlines.)
func TestReadingBound(t *testing.T) {
	b := setup(t)
	trickle(t, b, eventwebhook.DefaultMaxReading)
	req, rb := b.request(t, batch(t, ev("open", "sg_message_id", "one-too-many")))
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, "delivery with %d bodies being read: %s", eventwebhook.DefaultMaxReading, rec.Body)
	require.Equal(t, "5", rec.Header().Get("Retry-After"))
	require.False(t, rb.read.Load(), "the refused delivery's body was read")
}

// A real server cuts off a body that is not sent within BodyReadTimeout with 408, which frees
// its reading slot.
func TestSlowBodyIsCutOff(t *testing.T) {
	if testing.Short() {
		t.Skip("waits BodyReadTimeout")
	}
	b := setup(t)
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	req, err := http.NewRequest(http.MethodPost, srv.URL, pr)
	require.NoError(t, err)
	req.Header.Set(eventwebhook.TimestampHeader, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(eventwebhook.SignatureHeader, "AAAAAAAAAAAAAAAA")
	go func() { _, _ = io.Copy(pw, bytes.NewReader([]byte("["))) }()
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode, "a body that never ends")
}
