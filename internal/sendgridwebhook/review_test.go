package sendgridwebhook_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/sendgridwebhook"
)

// Review of issue #13 (hole): the concurrency slot is taken before the body is read, and the only
// check before it is the headers' format and age, which anyone can forge (the current time and
// any base64 string). Eight strangers that trickle their bodies (the server's ReadTimeout is 30 s,
// and they reconnect) hold every slot, and SendGrid's genuine deliveries get 503 for as long as
// they keep at it. A forged delivery should not be able to take a slot a signed one needs.
func TestForgedSlowDeliveriesDoNotStarveSendGrid(t *testing.T) {
	b := setup(t)
	ts := strconv.FormatInt(now.Unix(), 10)
	var writers []*io.PipeWriter
	t.Cleanup(func() {
		for _, w := range writers {
			w.CloseWithError(io.ErrUnexpectedEOF)
		}
	})
	for range sendgridwebhook.DefaultMaxConcurrent {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		req := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid", pr)
		req.Header.Set(sendgridwebhook.TimestampHeader, ts)                 // forged: just the time
		req.Header.Set(sendgridwebhook.SignatureHeader, "AAAAAAAAAAAAAAAA") // forged: any base64
		go b.handler.ServeHTTP(httptest.NewRecorder(), req)
		_, _ = pw.Write([]byte("[")) // the body starts, and never ends; returns once the handler read it
	}
	// Each Write above returned once its handler read it: every forged request is inside
	// ReadAll, holding a slot.
	rec := b.post(t, batch(t, ev("bounce", "sg_message_id", "genuine")))
	require.Equal(t, http.StatusOK, rec.Code,
		"a genuine signed delivery while %d forged, unsigned requests trickle their bodies: %d %s",
		sendgridwebhook.DefaultMaxConcurrent, rec.Code, rec.Body)
}
